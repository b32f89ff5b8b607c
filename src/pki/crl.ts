/**
 * CRLs (RFC 5280 §5), written directly as DER.
 *
 * Speed: a CRL is one flat list, so it is written here directly, in time linear in the
 * number of entries: der.ts for the fixed parts, and a writer that puts all entries into one
 * buffer. @peculiar/x509's X509CrlGenerator compares every new entry with all earlier ones
 * (quadratic: 10,000 entries took about 4 s, 100,000 about 20 minutes), and even the
 * @peculiar/asn1-x509 classes with AsnConvert.serialize take about 10 s for 100,000 entries.
 * This module builds and signs 100,000 entries in about 0.1 to 0.3 s, so a revocation that
 * republishes the CRL does not stall the event loop.
 */
import { createHash } from 'node:crypto';
import { content, children, DER_NULL, explicit, oid, octetString, readTlv, sequence, TAG, tlv, whole } from './der.js';
import { x509 } from './x509.js';

/** RFC 5280 §5.3.1 CRLReason codes (7 is not used). */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

export interface CrlEntry {
  /** Serial as lower-case hex. */
  serialHex: string;
  revokedAt: Date;
  reason: RevocationReason;
}

export interface CrlParams {
  issuerCertificate: x509.X509Certificate;
  signingKey: CryptoKey;
  signingAlgorithm: Algorithm | EcdsaParams;
  crypto: Crypto;
  /** RFC 5280 §5.2.3: monotonically increasing for this issuer. */
  crlNumber: number;
  thisUpdate: Date;
  nextUpdate: Date;
  entries: readonly CrlEntry[];
}

/**
 * Builds a v2 CRL (RFC 5280 §5) with AKI and cRLNumber extensions, entries in the order
 * given. Times are whole seconds (RFC 5280 §5.1.2.4 UTCTime/GeneralizedTime carry no
 * fractions). Served as DER: openssl rejects @peculiar/x509's "BEGIN CRL" PEM label
 * (libraries.md §3). Linear in the number of entries. Serials must be unique (they are the
 * certificates table's primary key) and are not checked for repeats here: that check is what
 * made @peculiar/x509's generator quadratic.
 *
 * ```asn1
 * CertificateList ::= SEQUENCE {
 *   tbsCertList          TBSCertList,
 *   signatureAlgorithm   AlgorithmIdentifier,
 *   signatureValue       BIT STRING }
 * TBSCertList ::= SEQUENCE {
 *   version                 Version OPTIONAL, -- if present, MUST be v2
 *   signature               AlgorithmIdentifier,
 *   issuer                  Name,
 *   thisUpdate              Time,
 *   nextUpdate              Time OPTIONAL,
 *   revokedCertificates     SEQUENCE OF SEQUENCE {
 *     userCertificate         CertificateSerialNumber,
 *     revocationDate          Time,
 *     crlEntryExtensions      Extensions OPTIONAL } OPTIONAL,
 *   crlExtensions           [0] EXPLICIT Extensions OPTIONAL }
 * ```
 *
 * The key is only used through `params.crypto.subtle.sign`, so non-extractable (PKCS#11)
 * keys work.
 */
export async function buildCrl(params: CrlParams): Promise<Uint8Array> {
  const signature = signatureAlgorithmFor(params.signingKey, params.signingAlgorithm);
  const issuer = readIssuer(params.issuerCertificate);
  const tbsCertList = sequence(
    V2,
    signature.algorithmIdentifier,
    issuer.nameDer,
    time(params.thisUpdate, 'thisUpdate'),
    time(params.nextUpdate, 'nextUpdate'),
    ...(params.entries.length > 0 ? [revokedCertificates(params.entries)] : []), // §5.1.2.6: absent when empty
    explicit(0, sequence(authorityKeyIdentifier(issuer.keyIdentifier), crlNumberExtension(params.crlNumber))),
  );
  const raw = new Uint8Array(await params.crypto.subtle.sign(params.signingAlgorithm, params.signingKey, tbsCertList));
  const signatureValue = signature.ecdsaCoordinateLength ? ecdsaSigValue(raw, signature.ecdsaCoordinateLength) : raw;
  return sequence(tbsCertList, signature.algorithmIdentifier, tlv(TAG.bitString, ZERO, signatureValue));
}

export function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

// ---------------------------------------------------------------------------------------
// Entries
// ---------------------------------------------------------------------------------------

/**
 * The revokedCertificates SEQUENCE, in two passes over the entries: the first checks each
 * entry and measures it, the second writes it into one buffer (no per-entry DER objects).
 */
function revokedCertificates(entries: readonly CrlEntry[]): Uint8Array<ArrayBuffer> {
  const count = entries.length;
  const serials: Uint8Array[] = new Array(count);
  const extensions: Uint8Array[] = new Array(count);
  const contentLengths = new Uint32Array(count);
  let total = 0;
  for (let i = 0; i < count; i++) {
    const entry = entries[i]!;
    const serial = integerFromHex(entry.serialHex);
    const reasonCode = REASON_CODE_EXTENSIONS.get(entry.reason);
    if (reasonCode === undefined) throw new RangeError(`${String(entry.reason)} is not an RFC 5280 CRLReason`);
    const contentLength =
      headerLength(serial.length) + serial.length + timeLength(entry.revokedAt, `revocationDate of ${entry.serialHex}`) + reasonCode.length;
    serials[i] = serial;
    extensions[i] = reasonCode;
    contentLengths[i] = contentLength;
    total += headerLength(contentLength) + contentLength;
  }
  const out = new Uint8Array(headerLength(total) + total);
  let offset = writeHeader(out, 0, TAG.sequence, total);
  for (let i = 0; i < count; i++) {
    const serial = serials[i]!;
    offset = writeHeader(out, offset, TAG.sequence, contentLengths[i]!);
    offset = writeHeader(out, offset, TAG.integer, serial.length);
    out.set(serial, offset);
    offset = writeTime(out, offset + serial.length, entries[i]!.revokedAt);
    out.set(extensions[i]!, offset);
    offset += extensions[i]!.length;
  }
  return out;
}

/**
 * INTEGER content octets for a non-negative number in hex (CertificateSerialNumber,
 * CRLNumber): see {@link positiveInteger}.
 */
function integerFromHex(hex: string): Uint8Array {
  if (typeof hex !== 'string' || !HEX.test(hex)) throw new RangeError(`${String(hex)} is not hex`);
  return positiveInteger(Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex'));
}
const HEX = /^[0-9a-fA-F]+$/;
const ZERO = Uint8Array.of(0);

// ---------------------------------------------------------------------------------------
// Issuer, extensions, signature
// ---------------------------------------------------------------------------------------

/** The issuer certificate's subject Name exactly as encoded there, and its key identifier. */
function readIssuer(certificate: x509.X509Certificate): { nameDer: Uint8Array; keyIdentifier: Uint8Array } {
  const cert = new Uint8Array(certificate.rawData);
  const tbs = children(readTlv(cert))[0];
  const fields = tbs ? children(tbs) : [];
  // version [0] is optional; then serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo.
  const first = fields[0]?.tag === TAG.context(0) ? 1 : 0;
  const subject = fields[first + 4];
  const spki = fields[first + 5];
  if (subject?.tag !== TAG.sequence || spki?.tag !== TAG.sequence) throw new RangeError('the issuer certificate cannot be read');
  const ski = certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  // RFC 5280 §4.2.1.1: the AKI keyIdentifier is the issuer's SKI. A CA certificate without
  // one (§4.2.1.2 says it MUST have one) gets method (1): SHA-1 of the subjectPublicKey bits.
  let keyIdentifier: Uint8Array;
  if (ski) {
    keyIdentifier = Buffer.from(ski.keyId, 'hex');
  } else {
    const bits = children(spki)[1];
    if (bits?.tag !== TAG.bitString) throw new RangeError('the issuer certificate has no subjectPublicKey');
    keyIdentifier = createHash('sha1').update(content(bits).subarray(1)).digest();
  }
  return { nameDer: whole(subject), keyIdentifier };
}

/** AKI (§5.2.1): `AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING }`. */
function authorityKeyIdentifier(keyIdentifier: Uint8Array): Uint8Array {
  return extension(OID.authorityKeyIdentifier, sequence(tlv(0x80, keyIdentifier)));
}

/** cRLNumber (§5.2.3): non-critical, `CRLNumber ::= INTEGER (0..MAX)`. */
function crlNumberExtension(crlNumber: number): Uint8Array {
  if (!Number.isSafeInteger(crlNumber) || crlNumber < 0) throw new RangeError(`CRL number ${crlNumber} is not a non-negative integer`);
  return extension(OID.cRLNumber, tlv(TAG.integer, integerFromHex(crlNumber.toString(16))));
}

/** A non-critical Extension: critical is DEFAULT FALSE, which DER leaves out. */
function extension(extnID: Uint8Array, value: Uint8Array): Uint8Array {
  return sequence(extnID, octetString(value));
}

interface SignatureAlgorithm {
  algorithmIdentifier: Uint8Array;
  /** For ECDSA: the length of r and of s in WebCrypto's raw r||s signature. */
  ecdsaCoordinateLength?: number;
}

const ECDSA_OIDS: Record<string, string> = {
  'SHA-256': '1.2.840.10045.4.3.2', // ecdsa-with-SHA256
  'SHA-384': '1.2.840.10045.4.3.3',
  'SHA-512': '1.2.840.10045.4.3.4',
};
const RSA_PKCS1_OIDS: Record<string, string> = {
  'SHA-256': '1.2.840.113549.1.1.11', // sha256WithRSAEncryption
  'SHA-384': '1.2.840.113549.1.1.12',
  'SHA-512': '1.2.840.113549.1.1.13',
};
const EC_COORDINATE_LENGTHS: Record<string, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };

/**
 * The signature AlgorithmIdentifier for the key and `signingAlgorithm`: ECDSA without
 * parameters (RFC 5758 §3.2) with the hash asked for; RSASSA-PKCS1-v1_5 with NULL
 * parameters (RFC 4055 §5) and the hash the key is bound to, which is what WebCrypto signs
 * with.
 */
function signatureAlgorithmFor(key: CryptoKey, requested: Algorithm | EcdsaParams): SignatureAlgorithm {
  const keyAlgorithm = key.algorithm as KeyAlgorithm & Partial<EcKeyAlgorithm & RsaHashedKeyAlgorithm>;
  if (requested.name.toUpperCase() !== keyAlgorithm.name.toUpperCase()) {
    throw new TypeError(`cannot sign ${requested.name} with a ${keyAlgorithm.name} key`);
  }
  const requestedHash = hashName((requested as Partial<EcdsaParams>).hash);
  switch (keyAlgorithm.name.toUpperCase()) {
    case 'ECDSA': {
      const algorithm = requestedHash && ECDSA_OIDS[requestedHash];
      const coordinateLength = EC_COORDINATE_LENGTHS[keyAlgorithm.namedCurve ?? ''];
      if (!algorithm) throw new TypeError(`ECDSA with hash ${requestedHash ?? '(none)'} is not supported for CRLs`);
      if (!coordinateLength) throw new TypeError(`ECDSA curve ${keyAlgorithm.namedCurve ?? '(none)'} is not supported for CRLs`);
      return { algorithmIdentifier: sequence(oid(algorithm)), ecdsaCoordinateLength: coordinateLength };
    }
    case 'RSASSA-PKCS1-V1_5': {
      const boundHash = hashName(keyAlgorithm.hash);
      if (requestedHash && boundHash && requestedHash !== boundHash) {
        throw new TypeError(`the RSA key is bound to ${boundHash}; it cannot sign with ${requestedHash}`);
      }
      const hash = boundHash ?? requestedHash;
      const algorithm = hash && RSA_PKCS1_OIDS[hash];
      if (!algorithm) throw new TypeError(`RSASSA-PKCS1-v1_5 with hash ${hash ?? '(none)'} is not supported for CRLs`);
      return { algorithmIdentifier: sequence(oid(algorithm), DER_NULL) };
    }
    default:
      throw new TypeError(`cannot sign CRLs with a ${keyAlgorithm.name} key`);
  }
}

function hashName(hash: AlgorithmIdentifier | undefined): string | undefined {
  if (hash === undefined) return undefined;
  return (typeof hash === 'string' ? hash : hash.name).toUpperCase();
}

/**
 * WebCrypto's raw ECDSA signature r||s as `Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER,
 * s INTEGER }` (RFC 5480 §2.2 via RFC 5758 §3.2), each a minimal positive INTEGER.
 */
function ecdsaSigValue(raw: Uint8Array, coordinateLength: number): Uint8Array {
  if (raw.length !== 2 * coordinateLength) {
    throw new RangeError(`an ECDSA signature of ${raw.length} octets is not r||s of ${coordinateLength} octets each`);
  }
  return sequence(
    tlv(TAG.integer, positiveInteger(raw.subarray(0, coordinateLength))),
    tlv(TAG.integer, positiveInteger(raw.subarray(coordinateLength))),
  );
}

/**
 * Unsigned big-endian octets as minimal two's-complement INTEGER content octets (X.690
 * §8.3.2): redundant leading zero octets dropped, and a `00` sign octet in front when the
 * top bit is set, so the INTEGER stays positive.
 */
function positiveInteger(unsigned: Uint8Array): Uint8Array {
  let start = 0;
  while (start < unsigned.length - 1 && unsigned[start] === 0) start++;
  const octets = unsigned.subarray(start);
  return octets[0]! >= 0x80 ? Uint8Array.of(0, ...octets) : octets;
}

// ---------------------------------------------------------------------------------------
// Times, and writing straight into a buffer: der.ts builds each TLV as its own array,
// which is fine for the fixed parts but not for 100,000 entries.
// ---------------------------------------------------------------------------------------

function time(date: Date, what: string): Uint8Array {
  const out = new Uint8Array(timeLength(date, what));
  writeTime(out, 0, date);
  return out;
}

/** Tag and definite length octets (X.690 §8.1.3, minimal). */
function headerLength(length: number): number {
  if (length < 0x80) return 2;
  let octets = 0;
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets++;
  return 2 + octets;
}

/** Writes tag and length at `offset`; returns the offset after them. */
function writeHeader(out: Uint8Array, offset: number, tag: number, length: number): number {
  out[offset++] = tag;
  if (length < 0x80) {
    out[offset++] = length;
    return offset;
  }
  const octets = headerLength(length) - 2;
  out[offset++] = 0x80 | octets;
  for (let i = octets - 1, rest = length; i >= 0; i--, rest = Math.floor(rest / 256)) out[offset + i] = rest % 256;
  return offset + octets;
}

/**
 * RFC 5280 §5.1.2.4, §5.1.2.5, §5.1.2.6 with §4.1.2.5: UTCTime (YYMMDDHHMMSSZ) for 1950 to
 * 2049, GeneralizedTime (YYYYMMDDHHMMSSZ) otherwise; seconds always present, no fractions.
 * Checks the date; returns the length of its TLV.
 */
function timeLength(date: Date, what: string): number {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new RangeError(`${what} is not a valid date`);
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`${what} is outside the years 0000 to 9999`);
  return year >= 1950 && year <= 2049 ? 15 : 17;
}

/** Writes a date checked by {@link timeLength}, truncated to whole seconds. */
function writeTime(out: Uint8Array, offset: number, date: Date): number {
  const year = date.getUTCFullYear();
  if (year >= 1950 && year <= 2049) {
    out[offset++] = 0x17;
    out[offset++] = 13;
    offset = writeDigits(out, offset, year % 100, 2);
  } else {
    out[offset++] = 0x18;
    out[offset++] = 15;
    offset = writeDigits(out, offset, year, 4);
  }
  offset = writeDigits(out, offset, date.getUTCMonth() + 1, 2);
  offset = writeDigits(out, offset, date.getUTCDate(), 2);
  offset = writeDigits(out, offset, date.getUTCHours(), 2);
  offset = writeDigits(out, offset, date.getUTCMinutes(), 2);
  offset = writeDigits(out, offset, date.getUTCSeconds(), 2);
  out[offset++] = 0x5a; // Z
  return offset;
}

function writeDigits(out: Uint8Array, offset: number, value: number, digits: number): number {
  for (let i = digits - 1, rest = value; i >= 0; i--, rest = Math.floor(rest / 10)) out[offset + i] = 0x30 + (rest % 10);
  return offset + digits;
}

const ENUMERATED = 0x0a;
/** Version v2 (= 1), RFC 5280 §5.1.2.1. */
const V2 = Uint8Array.of(0x02, 0x01, 0x01);
const OID = {
  authorityKeyIdentifier: oid('2.5.29.35'),
  cRLNumber: oid('2.5.29.20'),
  reasonCode: oid('2.5.29.21'),
};

/**
 * The crlEntryExtensions of each reason: the reasonCode extension (§5.3.1, non-critical,
 * `CRLReason ::= ENUMERATED`), or nothing for 'unspecified' ("the reason code extension
 * SHOULD be absent instead of using the unspecified (0) reasonCode value").
 */
const REASON_CODE_EXTENSIONS = new Map<string, Uint8Array>(
  Object.entries(REVOCATION_REASONS).map(([name, code]) => [
    name,
    code === 0 ? new Uint8Array(0) : sequence(extension(OID.reasonCode, tlv(ENUMERATED, Uint8Array.of(code)))),
  ]),
);
