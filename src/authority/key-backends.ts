import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { KeyBackend } from '../signing/key-backend.js';
import { UnavailableError } from '../errors.js';
import { createSoftwareBackend } from '../signing/software-backend.js';
import type { CaConfig } from './ca-config.js';

export interface KeyBackendSecrets {
  keysPassphrase: string | null;
  pkcs11Pin: string | null;
}

export interface KeyBackendOptions {
  /** In production a missing KEYS_PASSPHRASE is an error, not a generated development one. */
  production: boolean;
}

/**
 * Opens the key backends the hierarchy uses (and only those: an HSM declared but unused
 * is not touched). The PKCS#11 module is loaded only when a CA needs it.
 */
export async function openKeyBackends(
  config: CaConfig,
  keysDir: string,
  secrets: KeyBackendSecrets,
  logger: Logger,
  options: KeyBackendOptions = { production: false },
): Promise<Map<string, KeyBackend>> {
  const used = new Set(config.authorities.map((a) => a.key.backend));
  const backends = new Map<string, KeyBackend>();
  try {
    for (const name of used) {
      const spec = config.keyBackends[name]!;
      if (spec.type === 'software') {
        backends.set(name, createSoftwareBackend({ name, directory: keysDir, passphrase: softwarePassphrase(keysDir, secrets, logger, options) }));
      } else {
        if (!secrets.pkcs11Pin) throw new Error(`Key backend '${name}' is a PKCS#11 token: set PKCS11_PIN`);
        const { createPkcs11Backend } = await import('../signing/pkcs11-backend.js');
        backends.set(name, await createPkcs11Backend({ name, library: spec.library, slot: spec.slot, pin: secrets.pkcs11Pin }));
      }
    }
  } catch (error) {
    await Promise.all([...backends.values()].map((b) => b.close()));
    throw error;
  }
  return backends;
}

/**
 * Without KEYS_PASSPHRASE the keys are still encrypted, with a random passphrase kept
 * beside them: fine for keys-dev on a laptop, and loudly reported, never for production.
 */
function softwarePassphrase(keysDir: string, secrets: KeyBackendSecrets, logger: Logger, options: KeyBackendOptions): string {
  if (secrets.keysPassphrase) return secrets.keysPassphrase;
  if (options.production) {
    throw new UnavailableError(
      'KeysPassphraseRequired',
      'NODE_ENV=production: set KEYS_PASSPHRASE (software keys are never kept with a development passphrase in production), or move the CA keys to a PKCS#11 backend',
    );
  }
  const file = path.join(keysDir, '.dev-passphrase');
  if (!existsSync(file)) {
    mkdirSync(keysDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
  }
  logger.warn({ keysDir }, 'KEYS_PASSPHRASE is not set: software keys use a development passphrase stored beside them (never do this in production)');
  return readFileSync(file, 'utf8').trim();
}
