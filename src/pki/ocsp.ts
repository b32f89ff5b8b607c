/**
 * OCSP (RFC 6960), the pure layer: parse requests, compute CertID hashes, build signed
 * responses and error responses. No I/O and no clock: every time comes in as an argument,
 * and the signing key comes with the WebCrypto provider it belongs to.
 *
 * Who answers what (which CA issued a serial, whether it is revoked, how long a response
 * is valid) is the authority's business; this module only speaks the protocol.
 *
 * Caching: a response without a nonce depends only on (CertID, status, times), so the
 * caller can pre-produce one per certificate with {@link certIdFor} and
 * {@link buildOcspResponse} and serve the cached bytes to any nonce-less request whose
 * CertID matches (same hash algorithm, issuer hashes and serial). Only requests that carry
 * a nonce need a fresh signature.
 *
 * Speed: requests and responses are small, fixed structures, so they are walked and written
 * here directly (asn1js tokenises untrusted input; a few lines of DER writing produce the
 * output). pkijs's schema machinery costs about 1 ms per request and 3 ms per response,
 * twenty times an ECDSA signature; it is used only at start-up, in
 * {@link prepareOcspResponder}, and for its signing engine.
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as derWriter from './der.js';
import * as pkijs from 'pkijs';
import { InvalidInputError } from '../errors.js';
import { pkijsEngine } from './pkijs-engine.js';

/** Hash algorithms accepted in a CertID (RFC 6960 §4.1.1; RFC 5019 clients send SHA-1). */
export type OcspHashAlgorithm = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

/** Hash for the response signature. For RSA keys WebCrypto binds it at import time. */
export type OcspSignatureHash = 'SHA-256' | 'SHA-384' | 'SHA-512';

/** At most this many CertIDs per request, to bound the work one request can cause. */
export const MAX_CERT_IDS_PER_REQUEST = 20;

/** RFC 9654 §2.1 (which obsoletes RFC 8954): a nonce has 1 to 128 octets. */
export const MAX_NONCE_LENGTH = 128;

const HASH_OIDS: Record<OcspHashAlgorithm, string> = {
  'SHA-1': '1.3.14.3.2.26',
  'SHA-256': '2.16.840.1.101.3.4.2.1',
  'SHA-384': '2.16.840.1.101.3.4.2.2',
  'SHA-512': '2.16.840.1.101.3.4.2.3',
};
const HASH_BY_OID = new Map(Object.entries(HASH_OIDS).map(([name, oid]) => [oid, name as OcspHashAlgorithm]));
const NODE_HASH_NAMES: Record<OcspHashAlgorithm, string> = {
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

const OID_OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';
const OID_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
const OID_RSA_ENCRYPTION_SIGNATURES = /^1\.2\.840\.113549\.1\.1\.(5|11|12|13)$/;

/**
 * Limits for parsing untrusted request bytes. A request with 20 CertIDs, a nonce and a
 * signature with a couple of certificates stays far below them.
 */
const REQUEST_PARSE_LIMITS: asn1js.FromBerOptions = {
  maxDepth: 32,
  maxNodes: 4000,
  // OCTET/BIT STRING contents are opaque here; do not speculatively parse them as ASN.1.
  parseEmbedded: false,
};

// ---------------------------------------------------------------------------------------
// CertID
// ---------------------------------------------------------------------------------------

/**
 * One CertID (RFC 6960 §4.1.1), decoded for lookup and kept as DER for the response.
 *
 * ```asn1
 * CertID ::= SEQUENCE {
 *   hashAlgorithm   AlgorithmIdentifier,
 *   issuerNameHash  OCTET STRING, -- Hash of issuer's DN
 *   issuerKeyHash   OCTET STRING, -- Hash of issuer's public key
 *   serialNumber    CertificateSerialNumber }
 * ```
 */
export interface CertIdRef {
  /** The CertID hash algorithm, or 'unsupported' (answer such a CertID with `unknown`). */
  hashAlgorithm: OcspHashAlgorithm | 'unsupported';
  /** The hash algorithm's OID as sent, for logs when it is unsupported. */
  hashAlgorithmOid: string;
  /** Lower-case hex. */
  issuerNameHash: string;
  /** Lower-case hex. */
  issuerKeyHash: string;
  /** Lower-case hex in the {@link serialHex} form: DER INTEGER content octets. */
  serialNumber: string;
  /**
   * The CertID as DER, echoed in the SingleResponse (RFC 6960 §4.2.1). For a DER request
   * these are the request's own bytes; the field contents are always kept as sent.
   */
  der: Uint8Array;
}

/**
 * A certificate serial number as lower-case hex of its minimal two's-complement encoding,
 * i.e. exactly the content octets of a DER INTEGER (X.690 §8.3.2). A positive serial whose
 * top bit is set keeps its leading `00` sign octet: serial 0x81020304 is `"0081020304"`.
 * Redundant leading octets from a sloppy encoder (`00 00 81 ...`) are dropped, so a request
 * and the certificate agree on the key.
 *
 * Note: @peculiar/x509's `serialNumber` drops that `00` sign octet (`"81020304"`). The two
 * agree whenever the first octet is 0x01 to 0x7F, as for every serial `positiveSerial`
 * (pki/certificate.ts) makes; {@link certIdFor} refuses the stripped form rather than
 * encode a negative INTEGER.
 *
 * @param bytes INTEGER content octets (two's complement, big-endian).
 */
export function serialHex(bytes: Uint8Array): string {
  if (bytes.length === 0) throw new RangeError('an INTEGER has at least one content octet');
  let start = 0;
  while (start < bytes.length - 1 && isRedundantSignOctet(bytes[start]!, bytes[start + 1]!)) start++;
  return toHex(bytes.subarray(start));
}

/** X.690 §8.3.2: the first nine bits of an INTEGER are never all zero or all one. */
function isRedundantSignOctet(octet: number, next: number): boolean {
  return (octet === 0x00 && next < 0x80) || (octet === 0xff && next >= 0x80);
}

/** The two issuer hashes of a CertID, lower-case hex. */
export interface IssuerHashes {
  issuerNameHash: string;
  issuerKeyHash: string;
}

/**
 * The CertID issuer hashes for an issuing CA certificate (RFC 6960 §4.1.1): the hash of the
 * issuer's DER-encoded subject Name, and the hash of the value of its subjectPublicKey BIT
 * STRING (without tag, length and unused-bits octet). Parsing the certificate takes about a
 * millisecond: compute these once per CA and hash algorithm, and keep them.
 */
export function issuerHashes(issuerCertDer: Uint8Array, hashAlgorithm: OcspHashAlgorithm): IssuerHashes {
  const issuer = parseCertificate(issuerCertDer, 'issuer');
  return {
    issuerNameHash: digestHex(hashAlgorithm, subjectNameDer(issuer)),
    issuerKeyHash: digestHex(hashAlgorithm, subjectPublicKeyBits(issuer)),
  };
}

/**
 * Builds a CertID without a request, to pre-produce responses for a cache (RFC 6960 §2.4,
 * §4.1.1). The AlgorithmIdentifier has NULL parameters, as openssl writes them, so a cached
 * response echoes an openssl request's CertID byte for byte.
 *
 * @param params.serialNumber the serial in {@link serialHex} form and positive (RFC 5280
 *   §4.1.2.2); anything else is refused, so a serial whose `00` sign octet was stripped
 *   cannot silently become a negative INTEGER.
 * @param params.issuerNameHash, params.issuerKeyHash from {@link issuerHashes} with the
 *   same hash algorithm.
 */
export function certIdFor(params: IssuerHashes & { hashAlgorithm: OcspHashAlgorithm; serialNumber: string }): CertIdRef {
  const serial = fromHex(params.serialNumber);
  if (serial === null || serial.length === 0 || serialHex(serial) !== params.serialNumber || serial[0]! >= 0x80) {
    throw new RangeError(`serial ${params.serialNumber} is not a positive serial in serialHex form (lower-case DER INTEGER octets)`);
  }
  const nameHash = fromHex(params.issuerNameHash);
  const keyHash = fromHex(params.issuerKeyHash);
  if (nameHash === null || keyHash === null) throw new RangeError('issuer hashes must be lower-case hex');
  const oid = HASH_OIDS[params.hashAlgorithm];
  return {
    hashAlgorithm: params.hashAlgorithm,
    hashAlgorithmOid: oid,
    issuerNameHash: params.issuerNameHash,
    issuerKeyHash: params.issuerKeyHash,
    serialNumber: params.serialNumber,
    der: der.sequence(der.sequence(der.oid(oid), der.null), der.octetString(nameHash), der.octetString(keyHash), der.integer(serial)),
  };
}

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

/** What a responder needs from an OCSPRequest (RFC 6960 §4.1.1). */
export interface ParsedOcspRequest {
  /** The requestList's CertIDs, in request order (1 to {@link MAX_CERT_IDS_PER_REQUEST}). */
  requests: CertIdRef[];
  /**
   * The value of the id-pkix-ocsp-nonce request extension (the octets inside the
   * `Nonce ::= OCTET STRING`, RFC 9654 §2.1), or null when the request has none.
   */
  nonce: Uint8Array | null;
}

/**
 * Parses a DER OCSPRequest (RFC 6960 §4.1.1). The optional request signature and
 * requestorName are not checked: this responder does not require signed requests (§4.1.2).
 * Per-request extensions (singleRequestExtensions) are ignored.
 *
 * ```asn1
 * OCSPRequest ::= SEQUENCE {
 *   tbsRequest              TBSRequest,
 *   optionalSignature   [0] EXPLICIT Signature OPTIONAL }
 * TBSRequest ::= SEQUENCE {
 *   version             [0] EXPLICIT Version DEFAULT v1,
 *   requestorName       [1] EXPLICIT GeneralName OPTIONAL,
 *   requestList             SEQUENCE OF Request,
 *   requestExtensions   [2] EXPLICIT Extensions OPTIONAL }
 * Request ::= SEQUENCE {
 *   reqCert                     CertID,
 *   singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL }
 * ```
 *
 * @throws InvalidInputError `OcspMalformedRequest` for bytes that are not one OCSPRequest
 *   (garbage, truncated, trailing bytes), a version other than v1, no CertIDs or more than
 *   {@link MAX_CERT_IDS_PER_REQUEST}, or a nonce that is not an OCTET STRING of 1 to
 *   {@link MAX_NONCE_LENGTH} octets (RFC 9654 §2.1 requires malformedRequest then).
 */
export function parseOcspRequest(bytes: Uint8Array): ParsedOcspRequest {
  const [tbsRequest, optionalSignature, ...extra] = items(decodeOne(bytes), 'OCSPRequest');
  if (!tbsRequest || extra.length > 0 || (optionalSignature && !isContext(optionalSignature, 0))) {
    malformed('not an OCSPRequest');
  }
  const tbs = readTbsRequest(tbsRequest);
  if (tbs.requestList.length === 0) malformed('the OCSPRequest has no CertID');
  if (tbs.requestList.length > MAX_CERT_IDS_PER_REQUEST) {
    malformed(`the OCSPRequest has ${tbs.requestList.length} CertIDs; at most ${MAX_CERT_IDS_PER_REQUEST} are answered`);
  }
  return {
    requests: tbs.requestList.map(readRequest),
    nonce: readNonce(tbs.extensions),
  };
}

function decodeOne(bytes: Uint8Array): asn1js.BaseBlock {
  const decoded = asn1js.fromBER(bytes, REQUEST_PARSE_LIMITS);
  if (decoded.offset === -1) malformed(`not DER: ${decoded.result.error}`);
  if (decoded.offset !== bytes.byteLength) malformed(`${bytes.byteLength - decoded.offset} bytes after the OCSPRequest`);
  return decoded.result;
}

function readTbsRequest(block: asn1js.BaseBlock): { requestList: asn1js.BaseBlock[]; extensions: asn1js.BaseBlock[] } {
  const fields = items(block, 'TBSRequest');
  let next = 0;
  if (isContext(fields[next], 0)) readVersion(fields[next++]!);
  if (isContext(fields[next], 1)) next++; // requestorName: only meaningful with a checked signature
  const requestList = items(fields[next++], 'requestList');
  const extensions = isContext(fields[next], 2) ? items(explicitInner(fields[next++]!), 'requestExtensions') : [];
  if (next !== fields.length) malformed('unexpected fields in TBSRequest');
  return { requestList, extensions };
}

function readVersion(tagged: asn1js.BaseBlock): void {
  const version = explicitInner(tagged);
  if (!(version instanceof asn1js.Integer) || toHex(content(version)) !== '00') malformed('only OCSPRequest version v1 is understood');
}

function readRequest(block: asn1js.BaseBlock): CertIdRef {
  const [certId, singleRequestExtensions, ...extra] = items(block, 'Request');
  if (extra.length > 0 || (singleRequestExtensions && !isContext(singleRequestExtensions, 0))) malformed('bad Request');
  return readCertId(certId);
}

function readCertId(block: asn1js.BaseBlock | undefined): CertIdRef {
  const [hashAlgorithm, nameHash, keyHash, serial, ...extra] = items(block, 'CertID');
  const [algorithm, parameters, ...extraAlgorithm] = items(hashAlgorithm, 'CertID.hashAlgorithm');
  if (!(algorithm instanceof asn1js.ObjectIdentifier) || extraAlgorithm.length > 0) malformed('bad CertID.hashAlgorithm');
  if (!isPrimitive(nameHash, 4) || !isPrimitive(keyHash, 4) || !isPrimitive(serial, 2) || extra.length > 0) malformed('bad CertID');
  const serialOctets = content(serial);
  if (serialOctets.length === 0) malformed('empty CertID.serialNumber');
  const oid = algorithm.valueBlock.toString();
  return {
    hashAlgorithm: HASH_BY_OID.get(oid) ?? 'unsupported',
    hashAlgorithmOid: oid,
    issuerNameHash: toHex(content(nameHash)),
    issuerKeyHash: toHex(content(keyHash)),
    serialNumber: serialHex(serialOctets),
    // Re-encoded from the contents as sent: the request's bytes when it was DER, and DER
    // (which a signed response must contain) when a client used BER lengths.
    der: der.sequence(
      der.sequence(der.tlv(0x06, content(algorithm)), ...(parameters ? [new Uint8Array(parameters.valueBeforeDecodeView)] : [])),
      der.octetString(content(nameHash)),
      der.octetString(content(keyHash)),
      der.integer(serialOctets),
    ),
  };
}

/** Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
function readNonce(extensions: asn1js.BaseBlock[]): Uint8Array | null {
  const nonces = extensions.map(readExtension).filter((extension) => extension.id === OID_OCSP_NONCE);
  if (nonces.length === 0) return null;
  if (nonces.length > 1) malformed('more than one nonce extension');
  // RFC 9654 §2.1: extnValue holds the DER of `Nonce ::= OCTET STRING`.
  const extnValue = nonces[0]!.value;
  const inner = asn1js.fromBER(extnValue, { maxDepth: 1, parseEmbedded: false });
  if (inner.offset !== extnValue.byteLength || !isPrimitive(inner.result, 4)) malformed('the nonce is not a DER OCTET STRING');
  const nonce = content(inner.result);
  if (nonce.length < 1 || nonce.length > MAX_NONCE_LENGTH) malformed(`a nonce has 1 to ${MAX_NONCE_LENGTH} octets, not ${nonce.length}`);
  return new Uint8Array(nonce);
}

function readExtension(block: asn1js.BaseBlock): { id: string; value: Uint8Array } {
  const fields = items(block, 'Extension');
  const [extnId] = fields;
  const extnValue = fields[fields.length - 1];
  const hasCritical = fields.length === 3 && isPrimitive(fields[1], 1);
  if (!(extnId instanceof asn1js.ObjectIdentifier) || !isPrimitive(extnValue, 4) || fields.length !== (hasCritical ? 3 : 2)) {
    malformed('bad request extension');
  }
  return { id: extnId.valueBlock.toString(), value: content(extnValue) };
}

// Walking the asn1js tree of an untrusted request: every step checks what it expects.

/** The elements of a SEQUENCE. */
function items(block: asn1js.BaseBlock | undefined, what: string): asn1js.BaseBlock[] {
  if (!(block instanceof asn1js.Sequence)) malformed(`${what} is not a SEQUENCE`);
  return block.valueBlock.value;
}

function explicitInner(tagged: asn1js.BaseBlock): asn1js.BaseBlock {
  const inner = (tagged as asn1js.Constructed).valueBlock.value;
  if (inner.length !== 1) malformed('an EXPLICIT tag holds exactly one value');
  return inner[0]!;
}

function isContext(block: asn1js.BaseBlock | undefined, tagNumber: number): boolean {
  return block instanceof asn1js.Constructed && block.idBlock.tagClass === 3 && block.idBlock.tagNumber === tagNumber;
}

/** A universal, primitive (DER) block with this tag number, e.g. 4 for OCTET STRING. */
function isPrimitive(block: asn1js.BaseBlock | undefined, tagNumber: number): block is asn1js.BaseBlock {
  return block !== undefined && block.idBlock.tagClass === 1 && block.idBlock.tagNumber === tagNumber && !block.idBlock.isConstructed;
}

/** The content octets of a primitive block, exactly as sent. */
function content(block: asn1js.BaseBlock): Uint8Array {
  return block.valueBeforeDecodeView.subarray(block.idBlock.blockLength + block.lenBlock.blockLength);
}

function malformed(message: string, cause?: unknown): never {
  throw new InvalidInputError('OcspMalformedRequest', message, { cause });
}

// ---------------------------------------------------------------------------------------
// Responder
// ---------------------------------------------------------------------------------------

/** What {@link prepareOcspResponder} needs. */
export interface OcspResponderParams {
  /** The responder's certificate (the CA itself, or a delegate with EKU OCSPSigning). */
  certificateDer: Uint8Array;
  /** Its private key; may be non-extractable and may live in any WebCrypto provider. */
  privateKey: CryptoKey;
  /** The provider that `privateKey` belongs to. */
  crypto: Crypto;
  /**
   * Signature hash, SHA-256 by default. An RSA key is bound to its hash when imported, so
   * for RSA leave this out or give that hash.
   */
  signatureHash?: OcspSignatureHash;
  /** More certificates for the response's `certs`, after the responder's (e.g. a sub-CA). */
  extraCerts?: Uint8Array[];
}

/**
 * A responder ready to sign: certificates checked, ResponderID and signature algorithm
 * computed once. Build it at start-up (or when the responder key rotates) and reuse it.
 */
export interface OcspResponder {
  /** ResponderID byKey: SHA-1 of the responder's subjectPublicKey BIT STRING value (§4.2.1). */
  readonly keyHash: Uint8Array;
  /** DER certificates for `certs`, the responder's first. */
  readonly certificates: readonly Uint8Array[];
  readonly privateKey: CryptoKey;
  readonly crypto: Crypto;
  /** WebCrypto parameters for signing, e.g. `{ name: 'ECDSA', hash: { name: 'SHA-256' } }`. */
  readonly signingAlgorithm: Algorithm;
  /** The DER AlgorithmIdentifier written as BasicOCSPResponse.signatureAlgorithm. */
  readonly signatureAlgorithmDer: Uint8Array;
}

/**
 * Checks and prepares a responder key and certificate. It signs and verifies one probe,
 * so a key that does not belong to the certificate fails here, at start-up, rather than
 * in every client.
 *
 * @throws InvalidInputError `CertificateMalformed` for a certificate that cannot be read,
 *   `OcspResponderKeyMismatch` when the key is not the certificate's.
 */
export async function prepareOcspResponder(params: OcspResponderParams): Promise<OcspResponder> {
  const certificate = parseCertificate(params.certificateDer, 'responder');
  for (const extra of params.extraCerts ?? []) parseCertificate(extra, 'extra');
  const engine = pkijsEngine(params.crypto);
  const signatureHash = chooseSignatureHash(params.privateKey, params.signatureHash);
  const { signatureAlgorithm, parameters } = await engine.getSignatureParameters(params.privateKey, signatureHash);
  const signingAlgorithm = parameters.algorithm;
  if (!('name' in signingAlgorithm)) throw new TypeError(`pkijs cannot sign with a ${params.privateKey.algorithm.name} key`);
  // RFC 4055 §5: the sha*WithRSAEncryption parameters MUST be NULL; pkijs leaves them out.
  if (OID_RSA_ENCRYPTION_SIGNATURES.test(signatureAlgorithm.algorithmId) && signatureAlgorithm.algorithmParams === undefined) {
    signatureAlgorithm.algorithmParams = new asn1js.Null();
  }
  const responder: OcspResponder = Object.freeze({
    keyHash: new Uint8Array(createHash('sha1').update(subjectPublicKeyBits(certificate)).digest()),
    certificates: Object.freeze([params.certificateDer, ...(params.extraCerts ?? [])].map((cert) => new Uint8Array(cert))),
    privateKey: params.privateKey,
    crypto: params.crypto,
    signingAlgorithm,
    signatureAlgorithmDer: new Uint8Array(signatureAlgorithm.toSchema().toBER(false)),
  });
  await assertKeyMatchesCertificate(responder, certificate, signatureAlgorithm);
  return responder;
}

function chooseSignatureHash(key: CryptoKey, requested: OcspSignatureHash | undefined): OcspSignatureHash {
  if (key.type !== 'private' || !key.usages.includes('sign')) throw new TypeError('the OCSP responder key must be a private signing key');
  const boundHash = (key.algorithm as Partial<RsaHashedKeyAlgorithm>).hash?.name;
  if (boundHash === undefined) return requested ?? 'SHA-256';
  if (requested !== undefined && requested !== boundHash) {
    throw new RangeError(`the responder key is bound to ${boundHash}; it cannot sign with ${requested}`);
  }
  if (!['SHA-256', 'SHA-384', 'SHA-512'].includes(boundHash)) throw new RangeError(`responder key hash ${boundHash} is not allowed`);
  return boundHash as OcspSignatureHash;
}

async function assertKeyMatchesCertificate(
  responder: OcspResponder,
  certificate: pkijs.Certificate,
  signatureAlgorithm: pkijs.AlgorithmIdentifier,
): Promise<void> {
  const probe = new TextEncoder().encode('OCSP responder key check');
  const signature = await sign(responder, probe);
  const verified = await pkijsEngine(responder.crypto)
    .verifyWithPublicKey(probe, new asn1js.BitString({ valueHex: signature }), certificate.subjectPublicKeyInfo, signatureAlgorithm)
    .catch(() => false);
  if (!verified) {
    throw new InvalidInputError('OcspResponderKeyMismatch', 'the OCSP responder key does not belong to the responder certificate');
  }
}

/** Signs with the responder's own provider; pkijs turns a raw ECDSA r||s into DER. */
async function sign(responder: OcspResponder, data: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const engine = pkijsEngine(responder.crypto);
  return new Uint8Array(await engine.signWithPrivateKey(data, responder.privateKey, { algorithm: responder.signingAlgorithm }));
}

// ---------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------

/**
 * CertStatus (RFC 6960 §4.2.1). `reason` is an RFC 5280 §5.3.1 CRLReason code
 * (0 to 10, not 7); leave it out when no reason is published.
 */
export type OcspCertStatus =
  | { kind: 'good' }
  | { kind: 'revoked'; revokedAt: Date; reason?: number }
  | { kind: 'unknown' };

/** One SingleResponse (RFC 6960 §4.2.1). */
export interface OcspSingleResponse {
  certId: CertIdRef;
  status: OcspCertStatus;
  thisUpdate: Date;
  /** Leave out only when newer information is always available (§2.4). */
  nextUpdate?: Date;
}

/** What {@link buildOcspResponse} signs. */
export interface OcspResponseParams {
  responder: OcspResponder;
  producedAt: Date;
  /** In the order of the request's CertIDs; at least one. */
  responses: OcspSingleResponse[];
  /** The request's nonce to echo (RFC 9654 §2.1); leave out for cacheable responses. */
  nonce?: Uint8Array | null;
}

/**
 * Builds and signs a successful OCSPResponse of type id-pkix-ocsp-basic (RFC 6960 §4.2.1),
 * with ResponderID byKey and the responder's certificates in `certs`. Every GeneralizedTime
 * is truncated to whole seconds: RFC 5280 §4.1.2.5.2 forbids fractional seconds, and NSS
 * rejects responses that have them.
 *
 * ```asn1
 * OCSPResponse ::= SEQUENCE {
 *   responseStatus  OCSPResponseStatus,
 *   responseBytes   [0] EXPLICIT ResponseBytes OPTIONAL }
 * ResponseBytes ::= SEQUENCE { responseType OID, response OCTET STRING }
 * BasicOCSPResponse ::= SEQUENCE {
 *   tbsResponseData      ResponseData,
 *   signatureAlgorithm   AlgorithmIdentifier,
 *   signature            BIT STRING,
 *   certs            [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
 * ResponseData ::= SEQUENCE {
 *   version              [0] EXPLICIT Version DEFAULT v1,
 *   responderID              ResponderID,
 *   producedAt               GeneralizedTime,
 *   responses                SEQUENCE OF SingleResponse,
 *   responseExtensions   [1] EXPLICIT Extensions OPTIONAL }
 * ResponderID ::= CHOICE { byName [1] Name, byKey [2] KeyHash }
 * ```
 *
 * @returns the DER OCSPResponse; without a nonce it can be cached and served until its
 *   nextUpdate.
 */
export async function buildOcspResponse(params: OcspResponseParams): Promise<Uint8Array> {
  const { responder } = params;
  const tbsResponseData = responseData(params);
  const basicResponse = der.sequence(
    tbsResponseData,
    responder.signatureAlgorithmDer,
    der.bitString(await sign(responder, tbsResponseData)),
    der.explicit(0, der.sequence(...responder.certificates)),
  );
  return der.sequence(
    der.enumerated(OCSP_SUCCESSFUL),
    der.explicit(0, der.sequence(der.oid(OID_OCSP_BASIC), der.octetString(basicResponse))),
  );
}

function responseData(params: OcspResponseParams): Uint8Array<ArrayBuffer> {
  if (params.responses.length === 0) throw new RangeError('an OCSP response answers at least one CertID');
  // version is left out: it is DEFAULT v1, which DER does not encode.
  return der.sequence(
    der.explicit(2, der.octetString(params.responder.keyHash)),
    der.generalizedTime(params.producedAt, 'producedAt'),
    der.sequence(...params.responses.map(singleResponse)),
    ...(params.nonce ? [der.explicit(1, der.sequence(nonceExtension(params.nonce)))] : []),
  );
}

/**
 * ```asn1
 * SingleResponse ::= SEQUENCE {
 *   certID                       CertID,
 *   certStatus                   CertStatus,
 *   thisUpdate                   GeneralizedTime,
 *   nextUpdate         [0]       EXPLICIT GeneralizedTime OPTIONAL,
 *   singleExtensions   [1]       EXPLICIT Extensions OPTIONAL }
 * ```
 */
function singleResponse(response: OcspSingleResponse): Uint8Array {
  const { thisUpdate, nextUpdate } = response;
  if (nextUpdate && wholeSeconds(nextUpdate) <= wholeSeconds(thisUpdate)) throw new RangeError('nextUpdate must be later than thisUpdate');
  return der.sequence(
    response.certId.der,
    certStatus(response.status),
    der.generalizedTime(thisUpdate, 'thisUpdate'),
    ...(nextUpdate ? [der.explicit(0, der.generalizedTime(nextUpdate, 'nextUpdate'))] : []),
  );
}

/**
 * ```asn1
 * CertStatus ::= CHOICE {
 *   good        [0] IMPLICIT NULL,
 *   revoked     [1] IMPLICIT RevokedInfo,
 *   unknown     [2] IMPLICIT UnknownInfo }  -- UnknownInfo ::= NULL
 * RevokedInfo ::= SEQUENCE {
 *   revocationTime              GeneralizedTime,
 *   revocationReason    [0]     EXPLICIT CRLReason OPTIONAL }
 * ```
 */
function certStatus(status: OcspCertStatus): Uint8Array {
  switch (status.kind) {
    case 'good':
      return Uint8Array.of(0x80, 0x00);
    case 'unknown':
      return Uint8Array.of(0x82, 0x00);
    case 'revoked':
      return der.tlv(
        0xa1,
        der.generalizedTime(status.revokedAt, 'revokedAt'),
        ...(status.reason === undefined ? [] : [der.explicit(0, der.enumerated(crlReason(status.reason)))]),
      );
  }
}

/** RFC 5280 §5.3.1: CRLReason is 0 to 10, and 7 is not used. */
function crlReason(reason: number): number {
  if (!Number.isInteger(reason) || reason < 0 || reason > 10 || reason === 7) throw new RangeError(`${reason} is not an RFC 5280 CRLReason`);
  return reason;
}

/** The id-pkix-ocsp-nonce response extension: extnValue is the DER `Nonce ::= OCTET STRING`. */
function nonceExtension(nonce: Uint8Array): Uint8Array {
  if (nonce.length < 1 || nonce.length > MAX_NONCE_LENGTH) throw new RangeError(`a nonce has 1 to ${MAX_NONCE_LENGTH} octets`);
  return der.sequence(der.oid(OID_OCSP_NONCE), der.octetString(der.octetString(nonce)));
}

/** OCSPResponseStatus successful (RFC 6960 §4.2.1). */
const OCSP_SUCCESSFUL = 0;

/** The other OCSPResponseStatus values (RFC 6960 §4.2.1); 4 is not used. */
const OCSP_ERROR_STATUS = {
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
} as const;

/** The unsuccessful OCSPResponseStatus values (RFC 6960 §2.3, §4.2.1). */
export type OcspErrorStatus = keyof typeof OCSP_ERROR_STATUS;

/**
 * An unsuccessful OCSPResponse: the status alone, no responseBytes (RFC 6960 §2.3, §4.2.1).
 * Unsigned by design, so clients cannot tell it from a forgery; it only says "not now".
 */
/**
 * An unsigned OCSPRequest without extensions for the given CertIDs (RFC 6960 §4.1.1), as a
 * relying party would send it without a nonce: for asking our own responder in-process.
 *
 * ```asn1
 * OCSPRequest ::= SEQUENCE { tbsRequest TBSRequest }
 * TBSRequest  ::= SEQUENCE { requestList SEQUENCE OF Request }
 * Request     ::= SEQUENCE { reqCert CertID }
 * ```
 */
export function buildOcspRequest(certIds: readonly CertIdRef[]): Uint8Array {
  return der.sequence(der.sequence(der.sequence(...certIds.map((certId) => der.sequence(certId.der)))));
}

export function buildOcspErrorResponse(status: OcspErrorStatus): Uint8Array {
  const value = Object.hasOwn(OCSP_ERROR_STATUS, status) ? OCSP_ERROR_STATUS[status] : undefined;
  if (value === undefined) throw new RangeError(`${status} is not an OCSP error status`);
  return der.sequence(der.enumerated(value));
}

// ---------------------------------------------------------------------------------------
// DER writing (X.690 §10): definite, minimal lengths. Enough for OCSP responses.
// ---------------------------------------------------------------------------------------

/** The shared DER writer, plus the few types only OCSP needs. */
const der = {
  tlv: derWriter.tlv,
  sequence: derWriter.sequence,
  explicit: derWriter.explicit,
  octetString: derWriter.octetString,
  /** Content octets as given: callers pass a serial's two's-complement octets. */
  integer: derWriter.integerFromOctets,
  /** Small non-negative values only (OCSPResponseStatus, CRLReason). */
  enumerated: (value: number) => derWriter.tlv(0x0a, Uint8Array.of(value)),
  bitString: (value: Uint8Array) => derWriter.tlv(0x03, Uint8Array.of(0), value),
  null: derWriter.DER_NULL,
  oid: derWriter.oid,
  /** YYYYMMDDHHMMSSZ: whole seconds (RFC 6960 §4.2.2.1 wants no fraction). */
  generalizedTime: (date: Date, what: string) => derWriter.generalizedTime(date, what),
};

// ---------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------

function parseCertificate(certDer: Uint8Array, role: string): pkijs.Certificate {
  try {
    const decoded = asn1js.fromBER(certDer);
    if (decoded.offset !== certDer.byteLength) throw new Error('not exactly one DER value');
    return new pkijs.Certificate({ schema: decoded.result });
  } catch (cause) {
    throw new InvalidInputError('CertificateMalformed', `the ${role} certificate cannot be read`, { cause });
  }
}

/** The DER of the subject Name, exactly as it appears in the certificate. */
function subjectNameDer(certificate: pkijs.Certificate): Uint8Array {
  return new Uint8Array(certificate.subject.toSchema().toBER(false));
}

/** The subjectPublicKey BIT STRING's value, without tag, length and unused-bits octet. */
function subjectPublicKeyBits(certificate: pkijs.Certificate): Uint8Array {
  return certificate.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
}

function digestHex(hashAlgorithm: OcspHashAlgorithm, data: Uint8Array): string {
  return createHash(NODE_HASH_NAMES[hashAlgorithm]).update(data).digest('hex');
}

function wholeSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function fromHex(hex: string): Uint8Array | null {
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) return null;
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
