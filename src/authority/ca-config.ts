import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { KEY_ALGORITHMS } from '../signing/key-backend.js';

/**
 * The region's CA hierarchy as declared in ca-config/*.json: which CAs exist, who issues
 * whom, their keys and limits, and the certificate profiles each may issue. Validated in
 * full at start; unknown keys are refused so that a typo is an error, not a silent default.
 */

const OID = z.string().regex(/^[0-2](\.(0|[1-9]\d*))+$/, 'must be a dotted OID such as 1.2.156.10260.4.1.1');
const ID = z.string().regex(/^[a-z][a-z0-9-]{1,40}$/, 'must be lower-case letters, digits and dashes');

export const SUBJECT_ATTRIBUTES = ['C', 'ST', 'L', 'O', 'OU', 'CN', 'serialNumber', 'E'] as const;
export type SubjectAttribute = (typeof SUBJECT_ATTRIBUTES)[number];

const SubjectSchema = z
  .strictObject({
    C: z.string().regex(/^[A-Z]{2}$/, 'must be a 2-letter country code').optional(),
    ST: z.string().min(1).max(128).optional(),
    L: z.string().min(1).max(128).optional(),
    O: z.string().min(1).max(128).optional(),
    OU: z.string().min(1).max(128).optional(),
    CN: z.string().min(1).max(128),
    serialNumber: z.string().min(1).max(64).optional(),
  });
export type SubjectSpec = z.infer<typeof SubjectSchema>;

export const KEY_USAGES = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign'] as const;
export const EXTENDED_KEY_USAGES = ['serverAuth', 'clientAuth', 'codeSigning', 'emailProtection', 'timeStamping', 'ocspSigning', 'documentSigning'] as const;

const ProfileSchema = z.strictObject({
  description: z.string().optional(),
  keyUsage: z.array(z.enum(KEY_USAGES)).min(1),
  extendedKeyUsage: z.array(z.enum(EXTENDED_KEY_USAGES)).default([]),
  /** RFC 3161 §2.3 requires a critical EKU on TSA certificates. */
  extendedKeyUsageCritical: z.boolean().default(false),
  policies: z.array(OID).default([]),
  maxValidityDays: z.number().int().min(1).max(36500),
  defaultValidityDays: z.number().int().min(1).max(36500).optional(),
  keyAlgorithms: z.array(z.enum(KEY_ALGORITHMS)).min(1),
  subject: z.strictObject({
    required: z.array(z.enum(SUBJECT_ATTRIBUTES)).min(1),
    allowed: z.array(z.enum(SUBJECT_ATTRIBUTES)),
    /** Attributes every certificate of this profile carries, whatever the request says. */
    fixed: z.partialRecord(z.enum(SUBJECT_ATTRIBUTES), z.string()).default({}),
  }),
  /** id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1), for delegated OCSP responders. */
  ocspNoCheck: z.boolean().default(false),
});
export type CertificateProfile = z.infer<typeof ProfileSchema>;

const KeyBackendSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('software'), description: z.string().optional() }),
  z.strictObject({
    type: z.literal('pkcs11'),
    description: z.string().optional(),
    library: z.string().min(1),
    /** Index into the token's slot list (SoftHSM renumbers slot ids). The PIN comes from PKCS11_PIN. */
    slot: z.number().int().min(0),
  }),
]);
export type KeyBackendSpec = z.infer<typeof KeyBackendSchema>;

const AuthoritySchema = z.strictObject({
  id: ID,
  description: z.string().optional(),
  /** The CA that certifies this one; absent for the root. */
  issuer: ID.optional(),
  subject: SubjectSchema,
  key: z.strictObject({ backend: z.string(), algorithm: z.enum(KEY_ALGORITHMS).default('ECDSA-P256') }),
  validityDays: z.number().int().min(1).max(36500),
  pathLength: z.number().int().min(0).max(5),
  /** Profiles this CA may issue to end entities. */
  profiles: z.array(z.string()).default([]),
  policies: z.array(OID).default([]),
  crl: z.strictObject({
    validityHours: z.number().int().min(1).max(24 * 30).default(24),
  }).default({ validityHours: 24 }),
});
export type AuthoritySpec = z.infer<typeof AuthoritySchema>;

export const CaConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    description: z.string().optional(),
    keyBackends: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), KeyBackendSchema),
    profiles: z.record(ID, ProfileSchema),
    authorities: z.array(AuthoritySchema).min(2),
    ocsp: z
      .strictObject({
        /** Profile of the delegated responder certificate each CA issues for itself. */
        responderProfile: ID,
        /** How long a pre-produced response stays valid (nextUpdate - thisUpdate). */
        responseValidityMinutes: z.number().int().min(1).max(7 * 24 * 60).default(60),
      }),
    timestamping: z.strictObject({
      authority: ID,
      profile: ID,
      policy: OID,
      accuracySeconds: z.number().int().min(1).max(60).default(1),
      subject: SubjectSchema,
    }),
    /** The certificate that signs the region's published trust list (federation/). */
    trustList: z.strictObject({
      authority: ID,
      profile: ID,
      subject: SubjectSchema,
    }),
  })
  .superRefine((config, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const ids = new Map(config.authorities.map((a, i) => [a.id, i]));
    if (ids.size !== config.authorities.length) issue(['authorities'], 'authority ids must be unique');
    const roots = config.authorities.filter((a) => !a.issuer);
    if (roots.length !== 1) issue(['authorities'], `exactly one root CA (without issuer) is needed, found ${roots.length}`);
    config.authorities.forEach((a, i) => {
      if (!config.keyBackends[a.key.backend]) issue(['authorities', i, 'key', 'backend'], `no key backend named '${a.key.backend}'`);
      for (const p of a.profiles) if (!config.profiles[p]) issue(['authorities', i, 'profiles'], `no profile named '${p}'`);
      if (a.issuer) {
        const parentIndex = ids.get(a.issuer);
        if (parentIndex === undefined) return issue(['authorities', i, 'issuer'], `no authority named '${a.issuer}'`);
        const parent = config.authorities[parentIndex]!;
        if (parent.pathLength <= a.pathLength) {
          issue(['authorities', i, 'pathLength'], `must be less than its issuer's pathLength (${parent.pathLength})`);
        }
        if (a.validityDays > parent.validityDays) {
          issue(['authorities', i, 'validityDays'], `must not exceed its issuer's validityDays (${parent.validityDays})`);
        }
      }
    });
    for (const [name, profile] of Object.entries(config.profiles)) {
      for (const r of profile.subject.required) {
        if (!profile.subject.allowed.includes(r)) issue(['profiles', name, 'subject'], `required attribute ${r} must also be allowed`);
      }
      if ((profile.defaultValidityDays ?? 0) > profile.maxValidityDays) {
        issue(['profiles', name, 'defaultValidityDays'], 'must not exceed maxValidityDays');
      }
    }
    if (!config.profiles[config.ocsp.responderProfile]) issue(['ocsp', 'responderProfile'], 'no such profile');
    if (!ids.has(config.timestamping.authority)) issue(['timestamping', 'authority'], 'no such authority');
    if (!config.profiles[config.timestamping.profile]) issue(['timestamping', 'profile'], 'no such profile');
    const trustListCa = config.authorities.find((a) => a.id === config.trustList.authority);
    if (!trustListCa) issue(['trustList', 'authority'], 'no such authority');
    if (!config.profiles[config.trustList.profile]) issue(['trustList', 'profile'], 'no such profile');
    else if (trustListCa && !trustListCa.profiles.includes(config.trustList.profile)) {
      issue(['trustList', 'profile'], `authority '${trustListCa.id}' does not issue profile '${config.trustList.profile}'`);
    }
  });

export type CaConfig = z.infer<typeof CaConfigSchema>;

/** Thrown at start when the CA configuration cannot be used; lists every problem with its path. */
export class CaConfigError extends Error {
  constructor(file: string, readonly problems: string[]) {
    super(`Invalid CA configuration ${file}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'CaConfigError';
  }
}

export function parseCaConfig(value: unknown, file = 'CA configuration'): CaConfig {
  const parsed = CaConfigSchema.safeParse(value);
  if (!parsed.success) {
    throw new CaConfigError(
      file,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`),
    );
  }
  return parsed.data;
}

export function loadCaConfig(file: string): CaConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CaConfigError(file, [`cannot read the file: ${(error as Error).message}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CaConfigError(file, [`not valid JSON: ${(error as Error).message}`]);
  }
  return parseCaConfig(json, file);
}

/** Authorities ordered so that every issuer comes before the CAs it certifies. */
export function authoritiesTopDown(config: CaConfig): AuthoritySpec[] {
  const ordered: AuthoritySpec[] = [];
  const place = (issuer: string | undefined) => {
    for (const a of config.authorities.filter((x) => x.issuer === issuer)) {
      ordered.push(a);
      place(a.id);
    }
  };
  place(undefined);
  return ordered;
}
