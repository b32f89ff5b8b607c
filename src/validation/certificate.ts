/**
 * X.509 certificates as validation needs them (RFC 5280 §4.1), read with the DER reader
 * rather than through pkijs or node's X509Certificate: the fields are picked out in a few
 * microseconds, and the public key becomes a node:crypto KeyObject once per certificate.
 * {@link CertificateCache} keeps parsed certificates across validations, since the same
 * seal, CA and TSA certificates recur in every document.
 *
 * ```asn1
 * Certificate ::= SEQUENCE { tbsCertificate TBSCertificate, signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING }
 * TBSCertificate ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1, serialNumber, signature AlgorithmIdentifier,
 *   issuer Name, validity Validity, subject Name, subjectPublicKeyInfo, issuerUniqueID [1] IMPLICIT OPTIONAL,
 *   subjectUniqueID [2] IMPLICIT OPTIONAL, extensions [3] EXPLICIT Extensions OPTIONAL }
 * ```
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import {
  children,
  content,
  DerError,
  expectTag,
  hex,
  integerHex,
  nameToString,
  oidString,
  readAlgorithm,
  readName,
  readTime,
  readWhole,
  sequenceItems,
  TAG,
  whole,
  type AlgorithmIdentifier,
  type NameAttribute,
} from './asn1.js';
import { signatureScheme, verifyWith } from './signature-algorithms.js';

const EXT = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  authorityKeyIdentifier: '2.5.29.35',
  policyConstraints: '2.5.29.36',
  extKeyUsage: '2.5.29.37',
  inhibitAnyPolicy: '2.5.29.54',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  qcStatements: '1.3.6.1.5.5.7.1.3',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
} as const;

/**
 * Critical extensions we understand or may safely ignore for path validation without a
 * policy requirement (RFC 5280 §4.2: a certificate with an unrecognised critical extension
 * MUST be rejected). Name constraints are not processed, so a critical nameConstraints
 * rejects the certificate rather than being ignored.
 */
const UNDERSTOOD_CRITICAL = new Set<string>([
  EXT.subjectKeyIdentifier,
  EXT.keyUsage,
  EXT.subjectAltName,
  EXT.issuerAltName,
  EXT.basicConstraints,
  EXT.crlDistributionPoints,
  EXT.certificatePolicies,
  EXT.policyMappings,
  EXT.authorityKeyIdentifier,
  EXT.policyConstraints,
  EXT.extKeyUsage,
  EXT.inhibitAnyPolicy,
  EXT.authorityInfoAccess,
  EXT.qcStatements,
  EXT.ocspNoCheck,
]);

/** RFC 5280 §4.2.1.3 KeyUsage bit positions. */
export const KEY_USAGE = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
} as const;

export const EKU = {
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  any: '2.5.29.37.0',
} as const;

/** A certificate with the fields validation uses. Immutable; shared across validations through {@link CertificateCache}. */
export class ParsedCertificate {
  /** Lower-case hex SHA-256 of the DER. */
  readonly sha256Fingerprint: string;
  /** Lower-case hex of the serial's DER INTEGER content octets (RFC 6960 CertID form, as pki/ocsp.ts serialHex). */
  readonly serialNumber: string;
  readonly serialOctets: Uint8Array;
  /** RFC 4514 strings. */
  readonly subject: string;
  readonly issuer: string;
  readonly subjectAttributes: readonly NameAttribute[];
  /** The Names' DER, for exact issuer/subject matching (RFC 5280 §7.1 byte comparison). */
  readonly subjectDer: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signatureValue: Uint8Array;
  /** SubjectPublicKeyInfo DER. */
  readonly spki: Uint8Array;
  /** The subjectPublicKey BIT STRING's value (without the unused-bits octet), for OCSP key hashes. */
  readonly publicKeyBits: Uint8Array;
  /** Hex SKI (the extension, else SHA-1 of the key bits, RFC 5280 §4.2.1.2 method 1). */
  readonly subjectKeyIdentifier: string;
  readonly authorityKeyIdentifier: string | null;
  readonly isCa: boolean;
  readonly pathLength: number | null;
  /** KeyUsage bits, or null when the extension is absent (then every usage is allowed). */
  readonly keyUsage: ReadonlySet<number> | null;
  readonly extendedKeyUsage: readonly string[] | null;
  readonly extendedKeyUsageCritical: boolean;
  readonly ocspNoCheck: boolean;
  readonly unsupportedCriticalExtensions: readonly string[];
  readonly version: number;
  private key: KeyObject | null | undefined;

  constructor(readonly der: Uint8Array) {
    const certificate = readWhole(der, 'Certificate');
    const [tbsTlv, algorithmTlv, signatureTlv] = sequenceItems(certificate, 'Certificate');
    this.tbs = whole(expectTag(tbsTlv, TAG.sequence, 'TBSCertificate'));
    this.signatureAlgorithm = readAlgorithm(algorithmTlv, 'signatureAlgorithm');
    const signatureBits = content(expectTag(signatureTlv, TAG.bitString, 'signatureValue'));
    if (signatureBits[0] !== 0) throw new DerError('signatureValue has unused bits');
    this.signatureValue = signatureBits.subarray(1);

    const fields = children(tbsTlv!);
    let i = 0;
    this.version = 1;
    if (fields[0]?.tag === TAG.context(0)) {
      const [versionTlv] = children(fields[0]);
      this.version = (content(expectTag(versionTlv, TAG.integer, 'version'))[0] ?? 0) + 1;
      i = 1;
    }
    this.serialNumber = integerHex(fields[i], 'serialNumber');
    this.serialOctets = content(fields[i]!);
    const innerAlgorithm = readAlgorithm(fields[i + 1], 'signature');
    if (innerAlgorithm.oid !== this.signatureAlgorithm.oid) throw new DerError('the two signature algorithms of the certificate differ');
    const issuerTlv = expectTag(fields[i + 2], TAG.sequence, 'issuer');
    const [notBefore, notAfter] = sequenceItems(fields[i + 3], 'validity');
    const subjectTlv = expectTag(fields[i + 4], TAG.sequence, 'subject');
    const spkiTlv = expectTag(fields[i + 5], TAG.sequence, 'subjectPublicKeyInfo');
    this.issuerDer = whole(issuerTlv);
    this.subjectDer = whole(subjectTlv);
    this.issuer = nameToString(readName(issuerTlv));
    this.subjectAttributes = readName(subjectTlv);
    this.subject = nameToString(this.subjectAttributes);
    this.notBefore = readTime(notBefore, 'notBefore');
    this.notAfter = readTime(notAfter, 'notAfter');
    this.spki = whole(spkiTlv);
    const [, keyBits] = children(spkiTlv);
    const bits = content(expectTag(keyBits, TAG.bitString, 'subjectPublicKey'));
    this.publicKeyBits = bits.subarray(1);
    this.sha256Fingerprint = createHash('sha256').update(der).digest('hex');

    let ski: string | null = null;
    let aki: string | null = null;
    let isCa = false;
    let pathLength: number | null = null;
    let keyUsage: Set<number> | null = null;
    let eku: string[] | null = null;
    let ekuCritical = false;
    let noCheck = false;
    const unsupported: string[] = [];
    const extensionsTlv = fields.slice(i + 6).find((field) => field.tag === TAG.context(3));
    const seen = new Set<string>();
    for (const extension of extensionsTlv ? sequenceItems(children(extensionsTlv)[0], 'Extensions') : []) {
      const parts = sequenceItems(extension, 'Extension');
      const id = oidString(parts[0]!);
      if (seen.has(id)) throw new DerError(`extension ${id} appears twice (RFC 5280 §4.2)`);
      seen.add(id);
      const critical = parts.length === 3 && parts[1]!.tag === 0x01 && content(parts[1]!)[0] !== 0;
      const value = content(expectTag(parts[parts.length - 1], TAG.octetString, 'extnValue'));
      if (critical && !UNDERSTOOD_CRITICAL.has(id)) unsupported.push(id);
      switch (id) {
        case EXT.subjectKeyIdentifier:
          ski = hex(content(expectTag(readWhole(value, 'SKI'), TAG.octetString, 'SKI')));
          break;
        case EXT.authorityKeyIdentifier: {
          const keyId = sequenceItems(readWhole(value, 'AKI'), 'AKI').find((item) => item.tag === 0x80);
          aki = keyId ? hex(content(keyId)) : null;
          break;
        }
        case EXT.basicConstraints: {
          for (const item of sequenceItems(readWhole(value, 'basicConstraints'), 'basicConstraints')) {
            if (item.tag === 0x01) isCa = content(item)[0] !== 0;
            else if (item.tag === TAG.integer) pathLength = Number.parseInt(hex(content(item)) || '0', 16);
          }
          break;
        }
        case EXT.keyUsage: {
          const ku = content(expectTag(readWhole(value, 'keyUsage'), TAG.bitString, 'keyUsage'));
          keyUsage = new Set();
          for (let bit = 0; bit < (ku.length - 1) * 8; bit++) {
            if ((ku[1 + (bit >> 3)]! >> (7 - (bit & 7))) & 1) keyUsage.add(bit);
          }
          break;
        }
        case EXT.extKeyUsage:
          eku = sequenceItems(readWhole(value, 'extKeyUsage'), 'extKeyUsage').map((purpose) => oidString(purpose));
          ekuCritical = critical;
          break;
        case EXT.ocspNoCheck:
          noCheck = true;
          break;
        default:
          break;
      }
    }
    this.subjectKeyIdentifier = ski ?? createHash('sha1').update(this.publicKeyBits).digest('hex');
    this.authorityKeyIdentifier = aki;
    this.isCa = isCa;
    this.pathLength = pathLength;
    this.keyUsage = keyUsage;
    this.extendedKeyUsage = eku;
    this.extendedKeyUsageCritical = ekuCritical;
    this.ocspNoCheck = noCheck;
    this.unsupportedCriticalExtensions = unsupported;
  }

  /** The public key, or null when node cannot import it. */
  publicKey(): KeyObject | null {
    if (this.key === undefined) {
      try {
        this.key = createPublicKey({ key: Buffer.from(this.spki), format: 'der', type: 'spki' });
      } catch {
        this.key = null;
      }
    }
    return this.key;
  }

  hasKeyUsage(bit: number): boolean {
    return this.keyUsage === null || this.keyUsage.has(bit);
  }

  attribute(type: string): string | null {
    return this.subjectAttributes.find((attribute) => attribute.type === type)?.value ?? null;
  }

  isSelfIssued(): boolean {
    return Buffer.compare(this.subjectDer, this.issuerDer) === 0;
  }

  /** Validity period check (RFC 5280 §4.1.2.5: both ends inclusive). */
  validAt(time: Date): boolean {
    return time.getTime() >= this.notBefore.getTime() && time.getTime() <= this.notAfter.getTime();
  }
}

/**
 * Parsed certificates by SHA-256 of their DER, bounded (least recently added evicted), plus
 * the outcome of each issuer→subject signature check. One cache per validator: it holds
 * only public data, so sharing it between validations is safe.
 */
export class CertificateCache {
  private readonly certificates = new Map<string, ParsedCertificate | Error>();
  private readonly links = new Map<string, boolean>();
  private readonly byIdentity = new WeakMap<Uint8Array, ParsedCertificate | Error>();

  constructor(private readonly capacity = 10_000) {}

  /** The parsed certificate, or an Error for bytes that are not one. */
  parse(der: Uint8Array): ParsedCertificate | Error {
    const same = this.byIdentity.get(der);
    if (same) return same;
    const parsed = this.parseByContent(der);
    this.byIdentity.set(der, parsed);
    return parsed;
  }

  private parseByContent(der: Uint8Array): ParsedCertificate | Error {
    const key = createHash('sha256').update(der).digest('base64');
    let cached = this.certificates.get(key);
    if (!cached) {
      try {
        cached = new ParsedCertificate(Uint8Array.from(der));
      } catch (error) {
        cached = error instanceof Error ? error : new Error(String(error));
      }
      if (this.certificates.size >= this.capacity) this.certificates.delete(this.certificates.keys().next().value!);
      this.certificates.set(key, cached);
    }
    return cached;
  }

  /** Whether `issuer`'s key verifies `subject`'s signature (RFC 5280 §6.1.3 (a)(1)), cached. */
  signedBy(subject: ParsedCertificate, issuer: ParsedCertificate): boolean {
    const key = `${subject.sha256Fingerprint}:${issuer.sha256Fingerprint}`;
    let verified = this.links.get(key);
    if (verified === undefined) {
      const scheme = signatureScheme(subject.signatureAlgorithm);
      const publicKey = issuer.publicKey();
      verified = scheme.ok && publicKey !== null && verifyWith(scheme.scheme, publicKey, [subject.tbs], subject.signatureValue);
      if (this.links.size >= this.capacity * 2) this.links.delete(this.links.keys().next().value!);
      this.links.set(key, verified);
    }
    return verified;
  }
}

/** The certificate summary of a report. */
export function certificateSummary(certificate: ParsedCertificate) {
  return {
    subject: certificate.subject,
    serialNumber: certificate.serialNumber,
    notBefore: certificate.notBefore.toISOString(),
    notAfter: certificate.notAfter.toISOString(),
  };
}
