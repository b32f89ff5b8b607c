import path from 'node:path';
import { z } from 'zod';
import { isValidCreditCode } from '../pki/credit-code.js';

/** Settings that are safe to log and to show operators. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly publicBaseUrl: string;
  /** Which store is used; the PostgreSQL URL itself lives in {@link Secrets}. */
  readonly database: 'postgres' | 'embedded';
  readonly dataDir: string;
  readonly regionId: string;
  readonly regionName: string;
  /** How long a published trust list stays valid (its next update), hours. */
  readonly trustListValidityHours: number;
  /** How often peer regions' trust lists are fetched again, seconds. */
  readonly peerRefreshSeconds: number;
  /** How long a peer region's answer about a licence or certificate status is reused, seconds. */
  readonly peerStatusCacheSeconds: number;
  readonly operatorName: string;
  readonly operatorCreditCode: string | null;
  readonly logLevel: LogLevel;
  readonly maxJsonBodyBytes: number;
  /** Largest document upload (PDF, multipart) accepted. */
  readonly maxDocumentBytes: number;
  /** The declared CA hierarchy (ca-config/). */
  readonly caConfigFile: string;
  /** Folder of licence-type files (one JSON each, see templates/README.md). */
  readonly templatesDir: string;
  /** Software keys and the hierarchy's certificates. */
  readonly keysDir: string;
  /** NODE_ENV=production forbids development shortcuts (a key passphrase stored beside the keys). */
  readonly production: boolean;
  /** Serve HTTPS (and accept department client certificates) when both are set. */
  readonly tls: { certFile: string; keyFile: string } | null;
}

/** Values that must never reach a log line or a response. */
export interface Secrets {
  readonly databaseUrl: string | null;
  readonly adminToken: string | null;
  /** Encrypts software keys at rest; unset means a generated development passphrase in KEYS_DIR. */
  readonly keysPassphrase: string | null;
  readonly pkcs11Pin: string | null;
}

export interface LoadedConfig {
  readonly config: Config;
  readonly secrets: Secrets;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Names every variable that failed validation, so an operator can fix them all at once. */
export class ConfigError extends Error {
  constructor(readonly problems: ReadonlyArray<{ variable: string; message: string }>) {
    super(
      'Invalid configuration:\n' +
        problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

const optionalText = z
  .string()
  .transform((value) => value.trim())
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const environmentSchema = z.object({
  PORT: optionalText.pipe(
    z.coerce
      .number<string | undefined>({ error: 'must be a whole number' })
      .int('must be a whole number')
      .min(0, 'must be between 0 and 65535')
      .max(65535, 'must be between 0 and 65535')
      .default(8080),
  ),
  HOST: optionalText.pipe(z.string().default('127.0.0.1')),
  PUBLIC_BASE_URL: optionalText.pipe(
    z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://licence.example.gov.cn' })
      .optional(),
  ),
  DATABASE_URL: optionalText.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
  ),
  DATA_DIR: optionalText.pipe(z.string().default('./data')),
  REGION_ID: optionalText.pipe(
    z
      .string()
      .regex(/^\d{6}$/, 'must be a 6-digit administrative division code (GB/T 2260), e.g. 140000')
      .default('140000'),
  ),
  REGION_NAME: optionalText.pipe(z.string().max(100, 'must be at most 100 characters').default('山西省')),
  TRUST_LIST_VALIDITY_HOURS: optionalText.pipe(
    z.coerce.number<string | undefined>({ error: 'must be a number of hours' }).int().min(1).max(24 * 30).default(24),
  ),
  PEER_STATUS_CACHE_SECONDS: optionalText.pipe(
    z.coerce.number<string | undefined>({ error: 'must be a number of seconds' }).int().min(0).max(3600).default(30),
  ),
  PEER_REFRESH_SECONDS: optionalText.pipe(
    z.coerce.number<string | undefined>({ error: 'must be a number of seconds' }).int().min(5).max(86_400).default(300),
  ),
  OPERATOR_NAME: optionalText.pipe(z.string().max(200, 'must be at most 200 characters').optional()),
  OPERATOR_CREDIT_CODE: optionalText.pipe(
    z
      .string()
      .refine(isValidCreditCode, 'must be a unified social credit code with a valid check character (GB 32100)')
      .optional(),
  ),
  ADMIN_TOKEN: optionalText.pipe(
    z
      .string()
      .min(32, 'must be at least 32 characters (use a random value, e.g. openssl rand -base64 32)')
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
      .optional(),
  ),
  MAX_DOCUMENT_BYTES: optionalText.pipe(
    z.coerce
      .number<string | undefined>({ error: 'must be a whole number of bytes' })
      .int('must be a whole number of bytes')
      .min(1024, 'must be at least 1024')
      .default(20 * 1024 * 1024),
  ),
  NODE_ENV: optionalText.pipe(z.string().optional()),
  TLS_CERT_FILE: optionalText.pipe(z.string().optional()),
  TLS_KEY_FILE: optionalText.pipe(z.string().optional()),
  CA_CONFIG: optionalText.pipe(z.string().default('./ca-config/hierarchy.json')),
  TEMPLATES_DIR: optionalText.pipe(z.string().default('./templates')),
  KEYS_DIR: optionalText.pipe(z.string().default('./keys-dev')),
  KEYS_PASSPHRASE: optionalText.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  PKCS11_PIN: optionalText.pipe(z.string().min(4, 'must be at least 4 characters').optional()),
  LOG_LEVEL: optionalText.pipe(z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info')),
  MAX_JSON_BODY_BYTES: optionalText.pipe(
    z.coerce
      .number<string | undefined>({ error: 'must be a whole number of bytes' })
      .int('must be a whole number of bytes')
      .min(1024, 'must be at least 1024')
      .default(1024 * 1024),
  ),
});

/**
 * Reads the process environment once, validates it and returns frozen settings with
 * secrets kept apart. Throws {@link ConfigError} naming each bad variable.
 */
export function loadConfig(env: Record<string, string | undefined>): LoadedConfig {
  const parsed = environmentSchema
    .refine((e) => Boolean(e.TLS_CERT_FILE) === Boolean(e.TLS_KEY_FILE), {
      message: 'TLS_CERT_FILE and TLS_KEY_FILE go together',
      path: ['TLS_KEY_FILE'],
    })
    .safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? 'environment'),
        message: issue.message,
      })),
    );
  }
  const e = parsed.data;
  const publicBaseUrl = (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const config: Config = {
    port: e.PORT,
    host: e.HOST,
    publicBaseUrl,
    database: e.DATABASE_URL ? 'postgres' : 'embedded',
    dataDir: path.resolve(e.DATA_DIR),
    regionId: e.REGION_ID,
    regionName: e.REGION_NAME,
    trustListValidityHours: e.TRUST_LIST_VALIDITY_HOURS,
    peerRefreshSeconds: e.PEER_REFRESH_SECONDS,
    peerStatusCacheSeconds: e.PEER_STATUS_CACHE_SECONDS,
    operatorName: e.OPERATOR_NAME ?? `${e.REGION_NAME}电子证照运营中心`,
    operatorCreditCode: e.OPERATOR_CREDIT_CODE ?? null,
    logLevel: e.LOG_LEVEL,
    maxJsonBodyBytes: e.MAX_JSON_BODY_BYTES,
    maxDocumentBytes: e.MAX_DOCUMENT_BYTES,
    caConfigFile: path.resolve(e.CA_CONFIG),
    templatesDir: path.resolve(e.TEMPLATES_DIR),
    keysDir: path.resolve(e.KEYS_DIR),
    production: e.NODE_ENV === 'production',
    tls: e.TLS_CERT_FILE && e.TLS_KEY_FILE ? { certFile: path.resolve(e.TLS_CERT_FILE), keyFile: path.resolve(e.TLS_KEY_FILE) } : null,
  };
  const secrets: Secrets = {
    databaseUrl: e.DATABASE_URL ?? null,
    adminToken: e.ADMIN_TOKEN ?? null,
    keysPassphrase: e.KEYS_PASSPHRASE ?? null,
    pkcs11Pin: e.PKCS11_PIN ?? null,
  };
  return { config: Object.freeze(config), secrets: Object.freeze(secrets) };
}
