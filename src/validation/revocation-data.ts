/**
 * Revocation data embedded in a signed PDF (the DSS /OCSPs and /CRLs, ISO 32000-2 §12.8.4.3;
 * CMS RevocationInfoChoices, RFC 5652 §10.2.1; Adobe's revocation archival attribute), read
 * with the DER reader and checked with node:crypto. pki/ocsp.ts and pki/crl.ts build these
 * structures (and parse OCSP *requests*); reading responses and lists is validation's job.
 *
 * An OCSP response counts only when signed by the certificate's issuer or by a responder
 * the issuer certified with id-kp-OCSPSigning (RFC 6960 §4.2.2.2), and its CertID matches.
 * A CRL counts only when issued and signed by the issuer (keyUsage cRLSign, RFC 5280
 * §6.3.3 (f)) and complete for the certificate: delta CRLs, indirect CRLs and CRLs
 * partitioned by reason are not used.
 */
import { createHash } from 'node:crypto';
import {
  children,
  content,
  DerError,
  equalBytes,
  expectTag,
  hex,
  oidString,
  readAlgorithm,
  readTime,
  readTlv,
  sequenceItems,
  smallInteger,
  TAG,
  whole,
  type AlgorithmIdentifier,
  type Tlv,
} from './asn1.js';
import { EKU, KEY_USAGE, type CertificateCache, type ParsedCertificate } from './certificate.js';
import { serialHexOf } from './cms.js';
import { signatureScheme, verifyWith } from './signature-algorithms.js';

/** RFC 5280 §5.3.1 CRLReason names (also OCSP's revocationReason, RFC 6960 §4.2.1). */
const REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'unused',
  'removeFromCRL',
  'privilegeWithdrawn',
  'aACompromise',
];

const OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
const CERT_ID_HASHES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const EXT_DELTA_CRL_INDICATOR = '2.5.29.27';
const EXT_ISSUING_DISTRIBUTION_POINT = '2.5.29.28';
const EXT_CRL_REASON = '2.5.29.21';
const EXT_CRL_NUMBER = '2.5.29.20';
const EXT_AKI = '2.5.29.35';

/** What one verified piece of revocation data says about one certificate. */
export interface EmbeddedStatus {
  readonly source: string;
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly revokedAt?: Date;
  readonly reason?: string;
  /** OCSP producedAt / CRL thisUpdate: when the information was issued. */
  readonly issuedAt: Date;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | null;
}

// ---------------------------------------------------------------------------------------
// OCSP
// ---------------------------------------------------------------------------------------

interface SingleResponse {
  readonly hashName: string | null;
  readonly issuerNameHash: Uint8Array;
  readonly issuerKeyHash: Uint8Array;
  readonly serialHex: string;
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly revokedAt?: Date;
  readonly reason?: string;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | null;
}

/** A successful basic OCSP response (RFC 6960 §4.2.1). */
export interface ParsedOcspResponse {
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
  readonly responderByName: Uint8Array | null;
  readonly responderByKey: Uint8Array | null;
  readonly producedAt: Date;
  readonly responses: readonly SingleResponse[];
  readonly certificates: readonly Uint8Array[];
}

/**
 * ```asn1
 * OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, responseBytes [0] EXPLICIT SEQUENCE { responseType OID, response OCTET STRING } OPTIONAL }
 * BasicOCSPResponse ::= SEQUENCE { tbsResponseData ResponseData, signatureAlgorithm, signature BIT STRING, certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
 * ResponseData ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1, responderID CHOICE { byName [1] Name, byKey [2] OCTET STRING },
 *   producedAt GeneralizedTime, responses SEQUENCE OF SingleResponse, responseExtensions [1] EXPLICIT OPTIONAL }
 * SingleResponse ::= SEQUENCE { certID CertID, certStatus CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT NULL },
 *   thisUpdate GeneralizedTime, nextUpdate [0] EXPLICIT GeneralizedTime OPTIONAL, singleExtensions [1] EXPLICIT OPTIONAL }
 * ```
 * @throws DerError when not a successful basic response.
 */
export function parseOcspResponse(der: Uint8Array): ParsedOcspResponse {
  const [status, responseBytes] = sequenceItems(readTlv(der), 'OCSPResponse');
  if (smallInteger(status, 'responseStatus') !== 0) throw new DerError('OCSP response is not successful');
  const [typeTlv, responseTlv] = sequenceItems(children(expectTag(responseBytes, TAG.context(0), 'responseBytes'))[0], 'ResponseBytes');
  if (oidString(typeTlv!) !== OCSP_BASIC) throw new DerError('not a basic OCSP response');
  const basic = readTlv(content(expectTag(responseTlv, TAG.octetString, 'response')));
  const [tbsTlv, algorithmTlv, signatureTlv, certsTlv] = sequenceItems(basic, 'BasicOCSPResponse');
  const fields = sequenceItems(tbsTlv, 'ResponseData');
  let i = fields[0]?.tag === TAG.context(0) ? 1 : 0;
  const responder = fields[i++];
  let responderByName: Uint8Array | null = null;
  let responderByKey: Uint8Array | null = null;
  if (responder?.tag === TAG.context(1)) responderByName = whole(children(responder)[0]!);
  else if (responder?.tag === TAG.context(2)) responderByKey = content(expectTag(children(responder)[0], TAG.octetString, 'byKey'));
  else throw new DerError('bad ResponderID');
  const producedAt = readTime(fields[i++], 'producedAt');
  const responses = sequenceItems(fields[i], 'responses').map(readSingleResponse);
  const signatureBits = content(expectTag(signatureTlv, TAG.bitString, 'signature'));
  const certificates = certsTlv?.tag === TAG.context(0) ? sequenceItems(children(certsTlv)[0], 'certs').map((cert) => whole(cert)) : [];
  return {
    tbs: whole(tbsTlv!),
    signatureAlgorithm: readAlgorithm(algorithmTlv, 'signatureAlgorithm'),
    signature: signatureBits.subarray(1),
    responderByName,
    responderByKey,
    producedAt,
    responses,
    certificates,
  };
}

function readSingleResponse(tlv: Tlv): SingleResponse {
  const fields = sequenceItems(tlv, 'SingleResponse');
  const [algorithm, nameHash, keyHash, serial] = sequenceItems(fields[0], 'CertID');
  const statusTlv = fields[1];
  let status: SingleResponse['status'];
  let revokedAt: Date | undefined;
  let reason: string | undefined;
  if (statusTlv?.tag === 0x80) status = 'good';
  else if (statusTlv?.tag === 0x82) status = 'unknown';
  else if (statusTlv?.tag === 0xa1) {
    status = 'revoked';
    const [time, reasonTlv] = children(statusTlv);
    revokedAt = readTime(time, 'revocationTime');
    if (reasonTlv?.tag === TAG.context(0)) reason = REASONS[smallInteger(children(reasonTlv)[0], 'revocationReason')] ?? 'unspecified';
  } else throw new DerError('bad CertStatus');
  const nextUpdateTlv = fields.slice(3).find((field) => field.tag === TAG.context(0));
  return {
    hashName: CERT_ID_HASHES[readAlgorithm(algorithm, 'CertID.hashAlgorithm').oid] ?? null,
    issuerNameHash: content(expectTag(nameHash, TAG.octetString, 'issuerNameHash')),
    issuerKeyHash: content(expectTag(keyHash, TAG.octetString, 'issuerKeyHash')),
    serialHex: serialHexOf(content(expectTag(serial, TAG.integer, 'serialNumber'))),
    status,
    ...(revokedAt ? { revokedAt } : {}),
    ...(reason ? { reason } : {}),
    thisUpdate: readTime(fields[2], 'thisUpdate'),
    nextUpdate: nextUpdateTlv ? readTime(children(nextUpdateTlv)[0], 'nextUpdate') : null,
  };
}

// ---------------------------------------------------------------------------------------
// CRLs
// ---------------------------------------------------------------------------------------

/** A CRL (RFC 5280 §5.1) with its entries indexed by serial. */
export interface ParsedCrl {
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly authorityKeyIdentifier: string | null;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | null;
  readonly revoked: ReadonlyMap<string, { revokedAt: Date; reason: string }>;
  /** Why this CRL cannot answer for every certificate of its issuer, or null. */
  readonly unusable: string | null;
  readonly onlyUserCerts: boolean;
  readonly onlyCaCerts: boolean;
}

/**
 * ```asn1
 * TBSCertList ::= SEQUENCE { version OPTIONAL, signature, issuer Name, thisUpdate Time, nextUpdate Time OPTIONAL,
 *   revokedCertificates SEQUENCE OF SEQUENCE { userCertificate INTEGER, revocationDate Time, crlEntryExtensions OPTIONAL } OPTIONAL,
 *   crlExtensions [0] EXPLICIT Extensions OPTIONAL }
 * ```
 * @throws DerError
 */
export function parseCrl(der: Uint8Array, maxEntries: number): ParsedCrl {
  const [tbsTlv, algorithmTlv, signatureTlv] = sequenceItems(readTlv(der), 'CertificateList');
  const fields = sequenceItems(tbsTlv, 'TBSCertList');
  let i = fields[0]?.tag === TAG.integer ? 1 : 0;
  i++; // signature AlgorithmIdentifier
  const issuer = expectTag(fields[i++], TAG.sequence, 'issuer');
  const thisUpdate = readTime(fields[i++], 'thisUpdate');
  let nextUpdate: Date | null = null;
  if (fields[i] && (fields[i]!.tag === 0x17 || fields[i]!.tag === 0x18)) nextUpdate = readTime(fields[i++], 'nextUpdate');
  const revoked = new Map<string, { revokedAt: Date; reason: string }>();
  if (fields[i]?.tag === TAG.sequence) {
    const list = fields[i++]!;
    for (let offset = list.contentStart; offset < list.contentEnd; ) {
      const entry = readTlv(list.bytes, offset, list.contentEnd);
      offset = entry.end;
      if (revoked.size >= maxEntries) throw new DerError('CRL has too many entries');
      const [serial, date, extensions] = sequenceItems(entry, 'revokedCertificate');
      let reason = 'unspecified';
      if (extensions) {
        for (const extension of sequenceItems(extensions, 'crlEntryExtensions')) {
          const parts = sequenceItems(extension, 'Extension');
          if (oidString(parts[0]!) === EXT_CRL_REASON) {
            reason = REASONS[smallInteger(readTlv(content(parts[parts.length - 1]!)), 'CRLReason')] ?? 'unspecified';
          }
        }
      }
      revoked.set(serialHexOf(content(expectTag(serial, TAG.integer, 'userCertificate'))), { revokedAt: readTime(date, 'revocationDate'), reason });
    }
  }
  let unusable: string | null = null;
  let aki: string | null = null;
  let onlyUserCerts = false;
  let onlyCaCerts = false;
  const extensionsTlv = fields[i]?.tag === TAG.context(0) ? fields[i] : undefined;
  for (const extension of extensionsTlv ? sequenceItems(children(extensionsTlv)[0], 'crlExtensions') : []) {
    const parts = sequenceItems(extension, 'Extension');
    const id = oidString(parts[0]!);
    const critical = parts.length === 3 && content(parts[1]!)[0] !== 0;
    const value = content(parts[parts.length - 1]!);
    if (id === EXT_DELTA_CRL_INDICATOR) unusable = 'a delta CRL';
    else if (id === EXT_AKI) {
      const keyId = sequenceItems(readTlv(value), 'AKI').find((item) => item.tag === 0x80);
      aki = keyId ? hex(content(keyId)) : null;
    } else if (id === EXT_ISSUING_DISTRIBUTION_POINT) {
      // IssuingDistributionPoint ::= SEQUENCE { distributionPoint [0], onlyContainsUserCerts [1], onlyContainsCACerts [2],
      //   onlySomeReasons [3], indirectCRL [4], onlyContainsAttributeCerts [5] }
      for (const item of sequenceItems(readTlv(value), 'IssuingDistributionPoint')) {
        const on = content(item)[0] !== 0;
        if (item.tag === 0x81 && on) onlyUserCerts = true;
        else if (item.tag === 0x82 && on) onlyCaCerts = true;
        else if (item.tag === 0x83 || item.tag === 0xa3) unusable = 'a CRL partitioned by reason';
        else if (item.tag === 0x84 && on) unusable = 'an indirect CRL';
        else if (item.tag === 0x85 && on) unusable = 'a CRL of attribute certificates';
      }
    } else if (critical && id !== EXT_CRL_NUMBER) unusable = `a CRL with the unsupported critical extension ${id}`;
  }
  const signatureBits = content(expectTag(signatureTlv, TAG.bitString, 'signatureValue'));
  return {
    tbs: whole(tbsTlv!),
    signatureAlgorithm: readAlgorithm(algorithmTlv, 'signatureAlgorithm'),
    signature: signatureBits.subarray(1),
    issuerDer: whole(issuer),
    authorityKeyIdentifier: aki,
    thisUpdate,
    nextUpdate,
    revoked,
    unusable,
    onlyUserCerts,
    onlyCaCerts,
  };
}

// ---------------------------------------------------------------------------------------
// The embedded revocation data of one document
// ---------------------------------------------------------------------------------------

/** Parsed revocation items and signature checks, shared across validations (keyed by content hash). */
export class RevocationDataCache {
  private readonly ocsps = new Map<string, ParsedOcspResponse | Error>();
  private readonly crls = new Map<string, ParsedCrl | Error>();
  private readonly verified = new Map<string, boolean>();
  /** By identity, in front of the content-hash caches: one document asks about the same bytes many times. */
  private readonly byIdentity = new WeakMap<Uint8Array, unknown>();
  private readonly verifiedByIdentity = new WeakMap<object, Map<string, boolean>>();
  private readonly certIdHashes = new Map<string, { name: Uint8Array; key: Uint8Array }>();

  constructor(
    private readonly capacity = 10_000,
    private readonly maxCrlEntries = 1_000_000,
  ) {}

  ocsp(der: Uint8Array): ParsedOcspResponse | Error {
    return this.cached(this.ocsps, der, () => parseOcspResponse(der));
  }

  crl(der: Uint8Array): ParsedCrl | Error {
    return this.cached(this.crls, der, () => parseCrl(der, this.maxCrlEntries));
  }

  /** Whether `signer` verifies the signature over `tbs`, cached by (tbs hash, signer). */
  signatureValid(tbs: Uint8Array, algorithm: AlgorithmIdentifier, signature: Uint8Array, signer: ParsedCertificate, owner?: object): boolean {
    const known = owner ? this.verifiedByIdentity.get(owner)?.get(signer.sha256Fingerprint) : undefined;
    if (known !== undefined) return known;
    const ok = this.verifySignature(tbs, algorithm, signature, signer);
    if (owner) {
      let map = this.verifiedByIdentity.get(owner);
      if (!map) this.verifiedByIdentity.set(owner, (map = new Map()));
      map.set(signer.sha256Fingerprint, ok);
    }
    return ok;
  }

  private verifySignature(tbs: Uint8Array, algorithm: AlgorithmIdentifier, signature: Uint8Array, signer: ParsedCertificate): boolean {
    const key = `${createHash('sha256').update(tbs).update(signature).digest('base64')}:${signer.sha256Fingerprint}`;
    let ok = this.verified.get(key);
    if (ok === undefined) {
      const scheme = signatureScheme(algorithm);
      const publicKey = signer.publicKey();
      ok = scheme.ok && publicKey !== null && verifyWith(scheme.scheme, publicKey, [tbs], signature);
      if (this.verified.size >= this.capacity) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(key, ok);
    }
    return ok;
  }

  /** The CertID issuer hashes (RFC 6960 §4.1.1) of `issuer` under `hashName`, cached. */
  issuerHashes(issuer: ParsedCertificate, hashName: string): { name: Uint8Array; key: Uint8Array } {
    const key = `${issuer.sha256Fingerprint}:${hashName}`;
    let hashes = this.certIdHashes.get(key);
    if (!hashes) {
      hashes = { name: createHash(hashName).update(issuer.subjectDer).digest(), key: createHash(hashName).update(issuer.publicKeyBits).digest() };
      if (this.certIdHashes.size >= this.capacity) this.certIdHashes.delete(this.certIdHashes.keys().next().value!);
      this.certIdHashes.set(key, hashes);
    }
    return hashes;
  }

  private cached<T>(map: Map<string, T | Error>, der: Uint8Array, parse: () => T): T | Error {
    const same = this.byIdentity.get(der) as T | Error | undefined;
    if (same !== undefined) return same;
    const key = createHash('sha256').update(der).digest('base64');
    let value = map.get(key);
    if (value === undefined) {
      try {
        value = parse();
      } catch (error) {
        value = error instanceof Error ? error : new Error(String(error));
      }
      if (map.size >= this.capacity) map.delete(map.keys().next().value!);
      map.set(key, value);
    }
    this.byIdentity.set(der, value);
    return value;
  }
}

export interface RevocationItem {
  readonly der: Uint8Array;
  /** e.g. `dss-ocsp`, `cms-crl`. */
  readonly source: string;
}

/**
 * The revocation data found in one document and the certificates that may sign OCSP
 * responses, answering "what does the embedded data say about this certificate".
 */
export class EmbeddedRevocationData {
  constructor(
    private readonly ocspItems: readonly RevocationItem[],
    private readonly crlItems: readonly RevocationItem[],
    private readonly cache: RevocationDataCache,
    private readonly certificates: CertificateCache,
  ) {}

  get isEmpty(): boolean {
    return this.ocspItems.length === 0 && this.crlItems.length === 0;
  }

  /** Every verified statement about `certificate` issued by `issuer`, OCSP first. */
  statusesFor(certificate: ParsedCertificate, issuer: ParsedCertificate): EmbeddedStatus[] {
    const out: EmbeddedStatus[] = [];
    for (const item of this.ocspItems) {
      const status = this.fromOcsp(item, certificate, issuer);
      if (status) out.push(status);
    }
    for (const item of this.crlItems) {
      const status = this.fromCrl(item, certificate, issuer);
      if (status) out.push(status);
    }
    return out;
  }

  private fromOcsp(item: RevocationItem, certificate: ParsedCertificate, issuer: ParsedCertificate): EmbeddedStatus | null {
    const response = this.cache.ocsp(item.der);
    if (response instanceof Error) return null;
    const single = response.responses.find((candidate) => {
      if (!candidate.hashName || candidate.serialHex !== certificate.serialNumber) return false;
      const hashes = this.cache.issuerHashes(issuer, candidate.hashName);
      return equalBytes(hashes.name, candidate.issuerNameHash) && equalBytes(hashes.key, candidate.issuerKeyHash);
    });
    if (!single) return null;
    const signer = this.ocspSigner(response, issuer);
    if (!signer || !this.cache.signatureValid(response.tbs, response.signatureAlgorithm, response.signature, signer, response)) return null;
    return {
      source: item.source,
      status: single.status,
      ...(single.revokedAt ? { revokedAt: single.revokedAt } : {}),
      ...(single.reason ? { reason: single.reason } : {}),
      issuedAt: response.producedAt,
      thisUpdate: single.thisUpdate,
      nextUpdate: single.nextUpdate,
    };
  }

  /** RFC 6960 §4.2.2.2: the CA itself, or a responder certificate it issued with id-kp-OCSPSigning. */
  private ocspSigner(response: ParsedOcspResponse, issuer: ParsedCertificate): ParsedCertificate | null {
    const matches = (certificate: ParsedCertificate) =>
      response.responderByName
        ? equalBytes(response.responderByName, certificate.subjectDer)
        : equalBytes(response.responderByKey!, createHash('sha1').update(certificate.publicKeyBits).digest());
    if (matches(issuer)) return issuer;
    for (const der of response.certificates) {
      const candidate = this.certificates.parse(der);
      if (candidate instanceof Error || !matches(candidate)) continue;
      if (!equalBytes(candidate.issuerDer, issuer.subjectDer) || !this.certificates.signedBy(candidate, issuer)) continue;
      if (!candidate.extendedKeyUsage?.includes(EKU.ocspSigning)) continue;
      if (!candidate.validAt(response.producedAt)) continue;
      return candidate;
    }
    return null;
  }

  private fromCrl(item: RevocationItem, certificate: ParsedCertificate, issuer: ParsedCertificate): EmbeddedStatus | null {
    const crl = this.cache.crl(item.der);
    if (crl instanceof Error || crl.unusable) return null;
    if (!equalBytes(crl.issuerDer, issuer.subjectDer)) return null;
    if (crl.authorityKeyIdentifier && crl.authorityKeyIdentifier !== issuer.subjectKeyIdentifier) return null;
    if ((crl.onlyUserCerts && certificate.isCa) || (crl.onlyCaCerts && !certificate.isCa)) return null;
    if (!issuer.hasKeyUsage(KEY_USAGE.cRLSign)) return null;
    if (!this.cache.signatureValid(crl.tbs, crl.signatureAlgorithm, crl.signature, issuer, crl)) return null;
    const entry = crl.revoked.get(certificate.serialNumber);
    const common = { source: item.source, issuedAt: crl.thisUpdate, thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate };
    if (entry && entry.reason !== 'removeFromCRL') return { ...common, status: 'revoked', revokedAt: entry.revokedAt, reason: entry.reason };
    return { ...common, status: 'good' };
  }
}
