import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../clock.js';
import { buildCertificate, type DistinguishedName, positiveSerial } from '../pki/certificate.js';
import { x509 } from '../pki/x509.js';
import {
  type BackendKeyPair,
  type KeyAlgorithmName,
  type KeyBackend,
  signingParams,
} from '../signing/key-backend.js';
import { authoritiesTopDown, type AuthoritySpec, type CaConfig, type CertificateProfile, type SubjectSpec } from './ca-config.js';
import { publicationUrls } from './publication-urls.js';

/** A key in a backend together with the certificate that binds it. */
export interface CertifiedKey {
  readonly certificate: x509.X509Certificate;
  readonly der: Uint8Array;
  readonly keys: BackendKeyPair;
  readonly backend: KeyBackend;
  readonly algorithm: KeyAlgorithmName;
  readonly signingAlgorithm: Algorithm | EcdsaParams;
}

export interface IssuingAuthority extends CertifiedKey {
  readonly spec: AuthoritySpec;
  readonly issuer: IssuingAuthority | null;
  /** This CA's certificate first, up to and including the root. */
  readonly chain: readonly x509.X509Certificate[];
}

export interface ServiceIdentity extends CertifiedKey {
  readonly issuer: IssuingAuthority;
  readonly profile: string;
}

export interface Hierarchy {
  readonly config: CaConfig;
  readonly root: IssuingAuthority;
  readonly authorities: ReadonlyMap<string, IssuingAuthority>;
  /** The delegated OCSP responder of each CA, certified by that CA (RFC 6960 §4.2.2.2). */
  readonly ocspResponders: ReadonlyMap<string, ServiceIdentity>;
  readonly timestampUnit: ServiceIdentity;
  /** Signs the region's trust list; its certificate is what peer regions pin. */
  readonly trustListSigner: ServiceIdentity;
  /** Certificates created during this load (CA ids and service identity names), for the audit log. */
  readonly created: readonly { name: string; caId: string; profile: string; certificate: x509.X509Certificate }[];
}

export interface HierarchyOptions {
  config: CaConfig;
  backends: ReadonlyMap<string, KeyBackend>;
  /** Where CA and service certificates are kept (keys may live in an HSM instead). */
  keysDir: string;
  publicBaseUrl: string;
  clock: Clock;
  random?: (size: number) => Uint8Array;
}

const DAY = 24 * 60 * 60 * 1000;
/** Backdating absorbs clock skew between us and relying parties. */
const BACKDATE = 5 * 60 * 1000;

/**
 * Loads the declared hierarchy from its key backends and certificate files, creating
 * whatever is missing: on a first start the whole hierarchy, later only service
 * certificates that are close to expiry. Existing keys are never replaced.
 */
export async function loadHierarchy(options: HierarchyOptions): Promise<Hierarchy> {
  const random = options.random ?? ((n: number) => randomBytes(n));
  const urls = publicationUrls(options.publicBaseUrl);
  const created: Hierarchy['created'][number][] = [];
  mkdirSync(options.keysDir, { recursive: true, mode: 0o700 });

  const authorities = new Map<string, IssuingAuthority>();
  for (const spec of authoritiesTopDown(options.config)) {
    const issuer = spec.issuer ? authorities.get(spec.issuer)! : null;
    const backend = backendFor(options, spec.key.backend);
    const certified = await certifiedKey({
      options,
      backend,
      alias: spec.id,
      algorithm: spec.key.algorithm,
      renewWhenExpiring: false,
      issue: async (keys) => {
        const now = options.clock.now();
        const signer = issuer ?? { keys, certificate: undefined, signingAlgorithm: signingParams(spec.key.algorithm), backend };
        const certificate = await buildCertificate({
          serialNumber: positiveSerial(random(16)),
          subject: subjectOf(spec.subject),
          issuerCertificate: issuer?.certificate,
          notBefore: new Date(now.getTime() - BACKDATE),
          notAfter: new Date(now.getTime() + spec.validityDays * DAY),
          subjectPublicKey: keys.publicKey,
          signingKey: signer.keys.privateKey,
          signingAlgorithm: signer.signingAlgorithm,
          crypto: signer.backend.crypto,
          ca: { pathLength: spec.pathLength },
          keyUsage: ['keyCertSign', 'cRLSign', 'digitalSignature'],
          policies: issuer ? spec.policies : [],
          ...(issuer
            ? { crlDistributionPoint: urls.crl(issuer.spec.id), ocspUrl: urls.ocsp, caIssuersUrl: urls.caCertificate(issuer.spec.id) }
            : {}),
        });
        created.push({ name: spec.id, caId: issuer?.spec.id ?? spec.id, profile: 'ca', certificate });
        return certificate;
      },
    });
    authorities.set(spec.id, {
      ...certified,
      spec,
      issuer,
      chain: [certified.certificate, ...(issuer?.chain ?? [])],
    });
  }

  const serviceIdentity = async (
    name: string,
    issuer: IssuingAuthority,
    profileName: string,
    subject: DistinguishedName,
  ): Promise<ServiceIdentity> => {
    const profile = options.config.profiles[profileName]!;
    const algorithm = profile.keyAlgorithms[0]!;
    const certified = await certifiedKey({
      options,
      backend: issuer.backend,
      alias: name,
      algorithm,
      renewWhenExpiring: true,
      issue: async (keys) => {
        const certificate = await issueForProfile(options, issuer, profile, subject, keys.publicKey, random, urls);
        created.push({ name, caId: issuer.spec.id, profile: profileName, certificate });
        return certificate;
      },
    });
    return { ...certified, issuer, profile: profileName };
  };

  const ocspResponders = new Map<string, ServiceIdentity>();
  for (const authority of authorities.values()) {
    const subject: DistinguishedName = [
      ...(authority.spec.subject.C ? [['C', authority.spec.subject.C] as const] : []),
      ...(authority.spec.subject.O ? [['O', authority.spec.subject.O] as const] : []),
      ['CN', `${authority.spec.subject.CN} OCSP`],
    ];
    ocspResponders.set(
      authority.spec.id,
      await serviceIdentity(`${authority.spec.id}-ocsp`, authority, options.config.ocsp.responderProfile, subject),
    );
  }
  const ts = options.config.timestamping;
  const timestampUnit = await serviceIdentity('tsa', authorities.get(ts.authority)!, ts.profile, subjectOf(ts.subject));

  const tl = options.config.trustList;
  const trustListSigner = await serviceIdentity('trust-list-signer', authorities.get(tl.authority)!, tl.profile, subjectOf(tl.subject));

  const root = [...authorities.values()].find((a) => a.issuer === null)!;
  return { config: options.config, root, authorities, ocspResponders, timestampUnit, trustListSigner, created };
}

/** Issues an end-entity certificate under `profile`, with the profile's fixed subject attributes. */
export async function issueForProfile(
  options: Pick<HierarchyOptions, 'clock'>,
  issuer: IssuingAuthority,
  profile: CertificateProfile,
  subject: DistinguishedName,
  publicKey: CryptoKey | x509.PublicKey,
  random: (size: number) => Uint8Array,
  urls: ReturnType<typeof publicationUrls>,
  validityDays = profile.defaultValidityDays ?? profile.maxValidityDays,
): Promise<x509.X509Certificate> {
  const now = options.clock.now();
  const notAfter = Math.min(now.getTime() + validityDays * DAY, issuer.certificate.notAfter.getTime());
  return buildCertificate({
    serialNumber: positiveSerial(random(16)),
    subject,
    issuerCertificate: issuer.certificate,
    notBefore: new Date(now.getTime() - BACKDATE),
    notAfter: new Date(notAfter),
    subjectPublicKey: publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: issuer.signingAlgorithm,
    crypto: issuer.backend.crypto,
    keyUsage: profile.keyUsage,
    extendedKeyUsage: profile.extendedKeyUsage,
    extendedKeyUsageCritical: profile.extendedKeyUsageCritical,
    policies: profile.policies,
    ocspNoCheck: profile.ocspNoCheck,
    // A responder that needs no revocation check points nowhere (RFC 6960 §4.2.2.2.1).
    ...(profile.ocspNoCheck
      ? {}
      : { crlDistributionPoint: urls.crl(issuer.spec.id), ocspUrl: urls.ocsp, caIssuersUrl: urls.caCertificate(issuer.spec.id) }),
  });
}

function subjectOf(spec: SubjectSpec): DistinguishedName {
  const order = ['C', 'ST', 'L', 'O', 'OU', 'CN', 'serialNumber'] as const;
  return order.filter((attr) => spec[attr] !== undefined).map((attr) => [attr, spec[attr]!] as const);
}

function backendFor(options: HierarchyOptions, name: string): KeyBackend {
  const backend = options.backends.get(name);
  if (!backend) throw new Error(`Key backend '${name}' is not available`);
  return backend;
}

interface CertifiedKeyParams {
  options: HierarchyOptions;
  backend: KeyBackend;
  alias: string;
  algorithm: KeyAlgorithmName;
  /** Service certificates are re-issued (same key) once less than a third of their life is left. */
  renewWhenExpiring: boolean;
  issue(keys: BackendKeyPair): Promise<x509.X509Certificate>;
}

async function certifiedKey(p: CertifiedKeyParams): Promise<CertifiedKey> {
  const certFile = path.join(p.options.keysDir, `${p.alias}.cert.pem`);
  let keys = await p.backend.findKeyPair(p.alias);
  const haveCert = existsSync(certFile);
  if (!keys && haveCert) {
    throw new Error(
      `Certificate ${certFile} exists but its key '${p.alias}' is missing from backend '${p.backend.name}'. ` +
        'Restore the key, or remove the certificate to create a new one.',
    );
  }
  keys ??= await p.backend.generateKeyPair(p.alias, p.algorithm);

  let certificate = haveCert ? new x509.X509Certificate(readFileSync(certFile, 'utf8')) : null;
  if (certificate && !(await sameKey(certificate, keys, p.backend.crypto))) {
    throw new Error(`Certificate ${certFile} does not belong to key '${p.alias}' in backend '${p.backend.name}'`);
  }
  if (!certificate || (p.renewWhenExpiring && nearExpiry(certificate, p.options.clock.now()))) {
    certificate = await p.issue(keys);
    writeFileSync(certFile, certificate.toString('pem'), { mode: 0o644 });
  }
  const algorithm = algorithmOf(certificate);
  return {
    certificate,
    der: new Uint8Array(certificate.rawData),
    keys,
    backend: p.backend,
    algorithm,
    signingAlgorithm: signingParams(algorithm),
  };
}

function nearExpiry(certificate: x509.X509Certificate, now: Date): boolean {
  const life = certificate.notAfter.getTime() - certificate.notBefore.getTime();
  return certificate.notAfter.getTime() - now.getTime() < life / 3;
}

async function sameKey(certificate: x509.X509Certificate, keys: BackendKeyPair, crypto: Crypto): Promise<boolean> {
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey));
  return Buffer.from(spki).equals(Buffer.from(certificate.publicKey.rawData));
}

/** The key algorithm of a certificate's public key, from its SPKI. */
export function algorithmOf(certificate: x509.X509Certificate): KeyAlgorithmName {
  const algorithm = keyAlgorithmOf(certificate.publicKey);
  if (!algorithm) throw new Error(`Unsupported key in certificate ${certificate.subject}`);
  return algorithm;
}

/** The key algorithm of a public key (certificate or CSR), or null when we do not support it. */
export function keyAlgorithmOf(publicKey: x509.PublicKey): KeyAlgorithmName | null {
  const alg = publicKey.algorithm as EcKeyAlgorithm & RsaHashedKeyAlgorithm;
  if (alg.name === 'ECDSA' || alg.name === 'ECDH') {
    if (alg.namedCurve === 'P-256') return 'ECDSA-P256';
    if (alg.namedCurve === 'P-384') return 'ECDSA-P384';
  }
  if (alg.name.startsWith('RSA')) {
    if (alg.modulusLength === 2048) return 'RSA-2048';
    if (alg.modulusLength === 3072) return 'RSA-3072';
    if (alg.modulusLength === 4096) return 'RSA-4096';
  }
  return null;
}
