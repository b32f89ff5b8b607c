/**
 * RFC 3161 time-stamp protocol, the pure layer: parse a `TimeStampReq`, build a granted
 * `TimeStampResp` (a CMS SignedData token over a `TSTInfo`, RFC 5652 + RFC 5816), or a
 * rejection. No clock, no randomness, no I/O: `genTime`, the serial number and the signing
 * key come in as arguments, so the authority layer decides and this module only encodes.
 *
 * A service answers one request like this:
 * ```ts
 * const parsed = parseTimeStampRequest(body);
 * if (!parsed.ok) return buildTimeStampRejection(parsed.failure);
 * const refused = checkPolicy(parsed.request, tsaPolicy);
 * if (refused) return buildTimeStampRejection(refused);
 * return buildTimeStampResponse({ request: parsed.request, policy: tsaPolicy, serialNumber, genTime: clock.now(), accuracy, signer });
 * ```
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { UnavailableError } from '../errors.js';
import {
  childrenOf,
  content,
  DerError,
  explicit,
  generalizedTime,
  integerFromOctets,
  nonNegativeInteger,
  octetString,
  oid,
  readTlv,
  sequence,
  smallInteger,
  TAG,
  tlv,
  whole,
} from './der.js';
import { contentTypeAttribute, DIGEST_OIDS, NODE_DIGEST, signAttributes, signedAttributes, signerInfo, signerProfile } from './signer-profile.js';

// ---------------------------------------------------------------------------------------
// Object identifiers
// ---------------------------------------------------------------------------------------

/** id-ct-TSTInfo, RFC 3161 §2.4.2. */
export const ID_CT_TST_INFO = '1.2.840.113549.1.9.16.1.4';
/** id-kp-timeStamping, RFC 3161 §2.3. */
export const ID_KP_TIME_STAMPING = '1.3.6.1.5.5.7.3.8';

const ID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const ID_CE_KEY_USAGE = '2.5.29.15';
const ID_CE_EXT_KEY_USAGE = '2.5.29.37';
const ID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const ID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';

/** The message-imprint hash algorithms this TSA accepts. */
export type TimeStampHashAlgorithm = 'SHA-256' | 'SHA-384' | 'SHA-512';

const ACCEPTED_HASHES: Record<string, { name: TimeStampHashAlgorithm; length: number }> = {
  '2.16.840.1.101.3.4.2.1': { name: 'SHA-256', length: 32 },
  '2.16.840.1.101.3.4.2.2': { name: 'SHA-384', length: 48 },
  '2.16.840.1.101.3.4.2.3': { name: 'SHA-512', length: 64 },
};

/**
 * Hashes we recognise but refuse. MD5 and SHA-1 are collision-broken, so a token over such an
 * imprint would vouch for any colliding document; SHA-224 is simply outside our profile.
 */
const REFUSED_HASHES: Record<string, string> = {
  '1.2.840.113549.2.5': 'MD5',
  '1.3.14.3.2.26': 'SHA-1',
  '2.16.840.1.101.3.4.2.4': 'SHA-224',
};

// ---------------------------------------------------------------------------------------
// Failures
// ---------------------------------------------------------------------------------------

/**
 * The PKIFailureInfo bits a TSA may return, RFC 3161 §2.4.2:
 * ```asn
 * PKIFailureInfo ::= BIT STRING {
 *   badAlg (0), badRequest (2), badDataFormat (5), timeNotAvailable (14),
 *   unacceptedPolicy (15), unacceptedExtension (16), addInfoNotAvailable (17),
 *   systemFailure (25) }
 * ```
 */
export const TIME_STAMP_FAILURE_BITS = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  systemFailure: 25,
} as const;

export type TimeStampFailureInfo = keyof typeof TIME_STAMP_FAILURE_BITS;

/** Why a request gets a rejection: the PKIFailureInfo name and a statusString for the client. */
export interface TimeStampFailure {
  readonly failInfo: TimeStampFailureInfo;
  readonly message: string;
}

function failure(failInfo: TimeStampFailureInfo, message: string): { ok: false; failure: TimeStampFailure } {
  return { ok: false, failure: Object.freeze({ failInfo, message }) };
}

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

/** A `TimeStampReq` (RFC 3161 §2.4.1) that this TSA is willing to answer. */
export interface TimeStampRequest {
  /** MessageImprint.hashAlgorithm. */
  readonly hashAlgorithm: TimeStampHashAlgorithm;
  /** MessageImprint.hashedMessage, already checked to be as long as the algorithm's output. */
  readonly hashedMessage: Uint8Array;
  /** TSAPolicyId the client asked for, or null; see {@link checkPolicy}. */
  readonly reqPolicy: string | null;
  /** The nonce INTEGER's content octets exactly as sent, echoed verbatim in TSTInfo. */
  readonly nonce: Uint8Array | null;
  /** Whether the client wants the TSA certificate in SignedData.certificates. */
  readonly certReq: boolean;
}

export type TimeStampRequestParseResult =
  | { ok: true; request: TimeStampRequest }
  | { ok: false; failure: TimeStampFailure };

/**
 * Parses and vets a DER `TimeStampReq`, RFC 3161 §2.4.1:
 * ```asn
 * TimeStampReq ::= SEQUENCE {
 *   version         INTEGER { v1(1) },
 *   messageImprint  MessageImprint,   -- { hashAlgorithm AlgorithmIdentifier, hashedMessage OCTET STRING }
 *   reqPolicy       TSAPolicyId OPTIONAL,
 *   nonce           INTEGER OPTIONAL,
 *   certReq         BOOLEAN DEFAULT FALSE,
 *   extensions      [0] IMPLICIT Extensions OPTIONAL }
 * ```
 * Failures (never thrown; the caller answers them with {@link buildTimeStampRejection}):
 * - `badDataFormat`: not a single well-formed TimeStampReq (garbage, truncated, trailing
 *   bytes), or a hashedMessage whose length does not match its algorithm (§2.4.2 "provided
 *   that the size of the hash value matches"), as openssl's own TSA answers.
 * - `badRequest`: a version other than v1, "transaction not permitted or supported"
 *   (openssl's TSA says badDataFormat here; RFC 3161 names no bit for it).
 * - `badAlg`: any hash other than SHA-256/384/512 (MD5 and SHA-1 are refused as broken), or
 *   hash parameters other than absent/NULL.
 * - `unacceptedExtension`: any request extension, since we understand none (§2.4.2: "the
 *   TSA MUST reject" extensions it does not recognise).
 *
 * The policy is not judged here: see {@link checkPolicy}.
 */
export function parseTimeStampRequest(der: Uint8Array): TimeStampRequestParseResult {
  // Copy: a Node Buffer may be a view into a shared pool, and asn1js keeps references.
  const decoded = asn1js.fromBER(new Uint8Array(der));
  if (decoded.offset === -1) return failure('badDataFormat', `the request cannot be decoded: ${decoded.result.error}`);
  if (decoded.offset !== der.byteLength) return failure('badDataFormat', 'the request has bytes after the TimeStampReq');

  let req: pkijs.TimeStampReq;
  try {
    req = new pkijs.TimeStampReq({ schema: decoded.result });
  } catch {
    return failure('badDataFormat', 'the request is not a TimeStampReq');
  }

  if (req.version !== 1) return failure('badRequest', `TimeStampReq version ${req.version} is not supported; only v1`);

  const algorithm = req.messageImprint.hashAlgorithm;
  const accepted = ACCEPTED_HASHES[algorithm.algorithmId];
  if (!accepted) {
    const refused = REFUSED_HASHES[algorithm.algorithmId];
    return failure('badAlg', refused ? `${refused} is too weak for a message imprint; use SHA-256, SHA-384 or SHA-512` : `hash algorithm ${algorithm.algorithmId} is not supported; use SHA-256, SHA-384 or SHA-512`);
  }
  if (!hasAbsentOrNullParameters(algorithm)) return failure('badAlg', `${accepted.name} must have absent or NULL parameters`);

  const hashedMessage = new Uint8Array(req.messageImprint.hashedMessage.getValue());
  if (hashedMessage.byteLength !== accepted.length) {
    return failure('badDataFormat', `a ${accepted.name} imprint has ${accepted.length} bytes, not ${hashedMessage.byteLength}`);
  }

  if (req.extensions !== undefined) {
    const oids = req.extensions.map((extension) => extension.extnID).join(', ');
    return failure('unacceptedExtension', `request extensions are not supported${oids ? `: ${oids}` : ''}`);
  }

  return {
    ok: true,
    request: Object.freeze({
      hashAlgorithm: accepted.name,
      hashedMessage,
      reqPolicy: req.reqPolicy ?? null,
      nonce: req.nonce ? req.nonce.valueBlock.valueHexView.slice() : null,
      certReq: req.certReq ?? false,
    }),
  };
}

function hasAbsentOrNullParameters(algorithm: pkijs.AlgorithmIdentifier): boolean {
  const params = algorithm.algorithmParams as asn1js.AsnType | undefined;
  return params === undefined || params instanceof asn1js.Null;
}

/**
 * RFC 3161 §2.4.2, TSTInfo.policy: "If the reqPolicy field was present in the TimeStampReq,
 * then it MUST have the same value, otherwise an error (unacceptedPolicy) MUST be returned."
 * Returns that failure, or null when the request may be answered under `tsaPolicy`.
 *
 * Kept apart from {@link buildTimeStampResponse} so the caller can answer with a rejection
 * before touching the key; the builder repeats the check and throws if it is skipped.
 */
export function checkPolicy(request: TimeStampRequest, tsaPolicy: string): TimeStampFailure | null {
  if (request.reqPolicy === null || request.reqPolicy === tsaPolicy) return null;
  return Object.freeze({ failInfo: 'unacceptedPolicy', message: `policy ${request.reqPolicy} is not offered; this TSA issues under ${tsaPolicy}` });
}

// ---------------------------------------------------------------------------------------
// Granted responses
// ---------------------------------------------------------------------------------------

/**
 * The key that signs tokens: the TSA certificate and its private key, which may be
 * non-extractable or live in a PKCS#11 provider, so `crypto` is the WebCrypto it belongs to.
 */
export interface TimeStampSigner {
  /** DER X.509 certificate with the critical EKU id-kp-timeStamping only (RFC 3161 §2.3). */
  readonly certificate: Uint8Array;
  /** ECDSA (P-256, P-384) or RSASSA-PKCS1-v1_5 (SHA-256/384/512) private key for `certificate`. */
  readonly privateKey: CryptoKey;
  readonly crypto: Crypto;
}

/** TSTInfo.accuracy, RFC 3161 §2.4.2: millis and micros are 1..999 when present. */
export interface TimeStampAccuracy {
  readonly seconds?: number;
  readonly millis?: number;
  readonly micros?: number;
}

export interface TimeStampResponseParams {
  readonly request: TimeStampRequest;
  /** TSTInfo.policy: the TSA policy OID this token is issued under. */
  readonly policy: string;
  /**
   * Random bytes for TSTInfo.serialNumber (1 to 20 octets, §2.4.2 "up to 160 bits"). The
   * first octet is forced into 0x01..0x7F, see {@link timeStampSerialNumber}; store that value.
   */
  readonly serialNumber: Uint8Array;
  /** TSTInfo.genTime. Written as GeneralizedTime with the Date's milliseconds, if any. */
  readonly genTime: Date;
  readonly accuracy?: TimeStampAccuracy;
  readonly signer: TimeStampSigner;
  /** DER certificates of the TSA's chain, added after the TSA certificate when certReq is true. */
  readonly extraCerts?: readonly Uint8Array[];
}

/**
 * The serial number octets a token carries for the given random bytes: a positive INTEGER in
 * minimal DER. A leading 0x00 would be non-minimal and a leading byte ≥ 0x80 negative; both
 * make openssl fail with "illegal padding" (asn1js writes `valueHex` as given and does not
 * normalise). So the first octet keeps its low seven bits and becomes 0x01 when those are 0.
 * Idempotent, so the caller can apply it to know the serial it must record.
 */
export function timeStampSerialNumber(random: Uint8Array): Uint8Array {
  if (random.byteLength < 1 || random.byteLength > 20) throw new RangeError('a time-stamp serial number has 1 to 20 octets');
  const serial = random.slice();
  serial[0] = (serial[0]! & 0x7f) || 0x01;
  return serial;
}

/**
 * Builds a granted `TimeStampResp` (RFC 3161 §2.4.2) in DER:
 * ```asn
 * TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL }
 * TimeStampToken ::= ContentInfo   -- SignedData, eContentType id-ct-TSTInfo
 * TSTInfo ::= SEQUENCE {
 *   version INTEGER { v1(1) }, policy TSAPolicyId, messageImprint MessageImprint,
 *   serialNumber INTEGER, genTime GeneralizedTime, accuracy Accuracy OPTIONAL,
 *   ordering BOOLEAN DEFAULT FALSE, nonce INTEGER OPTIONAL,
 *   tsa [0] GeneralName OPTIONAL, extensions [1] IMPLICIT Extensions OPTIONAL }
 * ```
 * The token is a RFC 5652 §5 SignedData (version 3) with one SignerInfo identified by
 * issuerAndSerialNumber. Signed attributes: contentType, messageDigest (RFC 5652 §11.1-2)
 * and signingCertificateV2 (RFC 5816 §2.2.1, RFC 5035 §3), which binds the TSA certificate
 * to the signature. `ordering` is left out: it is DEFAULT FALSE, and DER omits defaults.
 * `tsa` is the directoryName of the TSA certificate's subject. The TSA certificate (and
 * `extraCerts`) go into SignedData.certificates only when the request set certReq.
 *
 * Digest: SHA-256 for P-256 keys, SHA-384 for P-384; for RSA the hash the
 * key was imported with, since WebCrypto binds it to the key.
 *
 * Written as DER by hand with the CMS signer profile the seals use (./signer-profile.ts):
 * building the token with pkijs took ~3.7 ms, this ~0.2 ms with the signature, which made
 * the time-stamp the largest cost of a B-T seal.
 *
 * Throws (programming or configuration errors, not protocol answers): a request whose policy
 * fails {@link checkPolicy}, a certificate that is not a TSA certificate (RFC 3161 §2.3), a
 * key type we do not sign with, or out-of-range serial/accuracy/genTime.
 */
export async function buildTimeStampResponse(params: TimeStampResponseParams): Promise<Uint8Array<ArrayBuffer>> {
  const refused = checkPolicy(params.request, params.policy);
  if (refused) throw new RangeError(`${refused.message} (call checkPolicy before buildTimeStampResponse)`);

  const { signer, request } = params;
  const certificate = parsedCertificate(signer.certificate);
  const problem = tsaProblemOf(certificate);
  if (problem) throw new RangeError(`not a TSA certificate (RFC 3161 §2.3): ${problem}`);
  const digest = signerDigest(signer.privateKey, certificate);
  const cmsSigner = { ...signer, chain: [] };
  const profile = signerProfile(cmsSigner);

  const tstInfo = tstInfoDer(params, profile.certificate.subject);
  const attributes = signedAttributes(profile, createHash(NODE_DIGEST[digest]).update(tstInfo).digest(), TST_INFO_CONTENT_TYPE_ATTRIBUTE);
  const signature = await signAttributes(cmsSigner, profile, attributes);
  const signedData = sequence(
    smallInteger(3),
    tlv(TAG.set, profile.digestAlgorithmDer),
    sequence(oid(ID_CT_TST_INFO), explicit(0, octetString(tstInfo))),
    ...(request.certReq ? [tlv(TAG.context(0), signer.certificate, ...(params.extraCerts ?? []))] : []),
    tlv(TAG.set, signerInfo(profile, attributes, signature)),
  );
  const token = sequence(oid(ID_SIGNED_DATA), explicit(0, signedData));
  return sequence(sequence(smallInteger(0) /* granted */), token);
}

/** contentType id-ct-TSTInfo (RFC 5652 §11.1), the same for every token. */
const TST_INFO_CONTENT_TYPE_ATTRIBUTE = contentTypeAttribute(ID_CT_TST_INFO);

/**
 * Parsing a certificate with pkijs costs ~1.6 ms, more than the signature; a service passes
 * the same certificate bytes on every request, so parse (and check) each once.
 */
const certificateCache = new WeakMap<Uint8Array, pkijs.Certificate>();
const tsaProblemCache = new WeakMap<pkijs.Certificate, string | null>();

function parsedCertificate(der: Uint8Array): pkijs.Certificate {
  let certificate = certificateCache.get(der);
  if (!certificate) {
    certificate = pkijs.Certificate.fromBER(new Uint8Array(der));
    certificateCache.set(der, certificate);
  }
  return certificate;
}

function tsaProblemOf(certificate: pkijs.Certificate): string | null {
  if (!tsaProblemCache.has(certificate)) tsaProblemCache.set(certificate, tsaCertificateProblem(certificate));
  return tsaProblemCache.get(certificate)!;
}

/** The DER TSTInfo (see {@link buildTimeStampResponse}); `tsaName` is the TSA certificate's subject Name DER. */
function tstInfoDer(params: TimeStampResponseParams, tsaName: Uint8Array): Uint8Array {
  const { request } = params;
  if (!isObjectIdentifier(params.policy)) throw new RangeError(`'${params.policy}' is not an object identifier`);
  return sequence(
    smallInteger(1),
    oid(params.policy),
    sequence(sequence(oid(DIGEST_OIDS[request.hashAlgorithm])), octetString(request.hashedMessage)),
    integerFromOctets(timeStampSerialNumber(params.serialNumber)),
    generalizedTime(params.genTime, 'genTime', { fraction: true }),
    ...(params.accuracy ? [accuracyDer(params.accuracy)] : []),
    // Echoed byte for byte (§2.4.2 "MUST equal the value provided in the TimeStampReq").
    ...(request.nonce ? [integerFromOctets(request.nonce)] : []),
    // tsa [0] GeneralName: directoryName [4] Name.
    explicit(0, explicit(4, tsaName)),
  );
}

/** `Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] IMPLICIT INTEGER (1..999) OPTIONAL, micros [1] IMPLICIT INTEGER (1..999) OPTIONAL }`. */
function accuracyDer(value: TimeStampAccuracy): Uint8Array {
  const { seconds, millis, micros } = value;
  if (seconds !== undefined && !(Number.isInteger(seconds) && seconds >= 0)) throw new RangeError('accuracy.seconds is a non-negative integer');
  for (const [name, part] of [['millis', millis], ['micros', micros]] as const) {
    if (part !== undefined && !(Number.isInteger(part) && part >= 1 && part <= 999)) throw new RangeError(`accuracy.${name} is an integer from 1 to 999`);
  }
  // [n] IMPLICIT INTEGER: the INTEGER's content octets under the context-specific primitive tag.
  const implicitInteger = (tagNumber: number, part: number) => {
    const integer = nonNegativeInteger(part);
    integer[0] = 0x80 | tagNumber;
    return integer;
  };
  return sequence(
    ...(seconds !== undefined ? [nonNegativeInteger(seconds)] : []),
    ...(millis !== undefined ? [implicitInteger(0, millis)] : []),
    ...(micros !== undefined ? [implicitInteger(1, micros)] : []),
  );
}

/**
 * Why a DER certificate may not sign time-stamp tokens, or null. RFC 3161 §2.3: the extended
 * key usage extension MUST be critical and hold id-kp-timeStamping only. openssl's
 * timestampsign purpose further allows only digitalSignature and/or nonRepudiation in
 * keyUsage; we hold the certificate to the same so our tokens verify there.
 */
export function timeStampingCertificateProblem(certificate: Uint8Array): string | null {
  return tsaCertificateProblem(pkijs.Certificate.fromBER(new Uint8Array(certificate)));
}

function tsaCertificateProblem(certificate: pkijs.Certificate): string | null {
  const extensions = certificate.extensions ?? [];
  const eku = extensions.find((extension) => extension.extnID === ID_CE_EXT_KEY_USAGE);
  if (!eku) return 'no extendedKeyUsage extension';
  if (!eku.critical) return 'extendedKeyUsage is not critical';
  const purposes = (eku.parsedValue as pkijs.ExtKeyUsage | undefined)?.keyPurposes ?? [];
  if (purposes.length !== 1 || purposes[0] !== ID_KP_TIME_STAMPING) return `extendedKeyUsage must be id-kp-timeStamping only, not ${purposes.join(', ')}`;

  const keyUsage = extensions.find((extension) => extension.extnID === ID_CE_KEY_USAGE);
  if (keyUsage) {
    const bits = (keyUsage.parsedValue as asn1js.BitString).valueBlock.valueHexView;
    const signingBits = (bits[0] ?? 0) & 0xc0; // digitalSignature (0) and nonRepudiation (1)
    const otherBits = ((bits[0] ?? 0) & 0x3f) | bits.subarray(1).reduce((all, byte) => all | byte, 0);
    if (!signingBits || otherBits) return 'keyUsage must be digitalSignature and/or nonRepudiation only';
  }
  return null;
}

/** The digest for the signature; see {@link buildTimeStampResponse}. Also checks key and certificate agree in type. */
function signerDigest(privateKey: CryptoKey, certificate: pkijs.Certificate): TimeStampHashAlgorithm {
  const algorithm = privateKey.algorithm as KeyAlgorithm & Partial<EcKeyAlgorithm & RsaHashedKeyAlgorithm>;
  const publicKeyType = certificate.subjectPublicKeyInfo.algorithm.algorithmId;
  if (algorithm.name === 'ECDSA' && publicKeyType === ID_EC_PUBLIC_KEY) {
    const byCurve: Record<string, TimeStampHashAlgorithm> = { 'P-256': 'SHA-256', 'P-384': 'SHA-384' };
    const digest = byCurve[algorithm.namedCurve ?? ''];
    if (digest) return digest;
    throw new RangeError(`ECDSA curve ${algorithm.namedCurve} is not supported`);
  }
  if (algorithm.name === 'RSASSA-PKCS1-v1_5' && publicKeyType === ID_RSA_ENCRYPTION) {
    const hash = algorithm.hash?.name as TimeStampHashAlgorithm | undefined;
    if (hash && hash in DIGEST_OIDS) return hash;
    throw new RangeError(`an RSA signing key must use SHA-256, SHA-384 or SHA-512, not ${hash}`);
  }
  throw new RangeError(`a ${algorithm.name} key cannot sign for a certificate with public key ${publicKeyType}`);
}

function isObjectIdentifier(value: string): boolean {
  return /^[0-2](\.(0|[1-9]\d*))+$/.test(value);
}

// ---------------------------------------------------------------------------------------
// Rejections
// ---------------------------------------------------------------------------------------

/**
 * Builds a rejected `TimeStampResp` in DER, RFC 3161 §2.4.2:
 * ```asn
 * PKIStatusInfo ::= SEQUENCE {
 *   status PKIStatus,               -- rejection (2)
 *   statusString PKIFreeText OPTIONAL,  -- SEQUENCE OF UTF8String
 *   failInfo PKIFailureInfo OPTIONAL }
 * ```
 * failInfo carries exactly one bit, encoded as a DER named-bit BIT STRING (no trailing zero
 * bits). `message` overrides the failure's own message; it goes to the client, so it must
 * not reveal internals (say "systemFailure" with a generic message and log the cause).
 */
export function buildTimeStampRejection(failure: TimeStampFailure | TimeStampFailureInfo, message?: string): Uint8Array<ArrayBuffer> {
  const failInfo = typeof failure === 'string' ? failure : failure.failInfo;
  const statusString = message ?? (typeof failure === 'string' ? undefined : failure.message);
  const status = new pkijs.PKIStatusInfo({
    status: pkijs.PKIStatus.rejection,
    ...(statusString ? { statusStrings: [new asn1js.Utf8String({ value: statusString })] } : {}),
    failInfo: failureBitString(TIME_STAMP_FAILURE_BITS[failInfo]),
  });
  return new Uint8Array(new pkijs.TimeStampResp({ status }).toSchema().toBER());
}

/** A BIT STRING with only `bit` set, trailing zero bits dropped (X.690 §11.2.2). */
function failureBitString(bit: number): asn1js.BitString {
  const octets = new Uint8Array((bit >> 3) + 1);
  octets[bit >> 3] = 0x80 >> (bit & 7);
  return new asn1js.BitString({ valueHex: octets, unusedBits: 7 - (bit & 7) });
}

/**
 * The TimeStampToken inside a DER `TimeStampResp` (RFC 3161 §2.4.2), for services that
 * speak the protocol: `SEQUENCE { status PKIStatusInfo, timeStampToken ContentInfo OPTIONAL }`.
 *
 * @throws UnavailableError `TimeStampRefused` when the status is neither granted (0) nor
 *   grantedWithMods (1), or there is no token.
 */
export function timeStampTokenFromResponse(response: Uint8Array): Uint8Array {
  try {
    const [statusInfo, token] = childrenOf(readTlv(response), TAG.sequence, 'TimeStampResp');
    const [status] = childrenOf(statusInfo, TAG.sequence, 'PKIStatusInfo');
    const value = status && status.tag === TAG.integer ? content(status) : null;
    if (!value || value.length !== 1 || value[0]! > 1 || !token) throw new DerError('the time-stamp request was not granted');
    return whole(token).slice();
  } catch (cause) {
    throw new UnavailableError('TimeStampRefused', 'the time-stamp authority did not grant a token', { cause });
  }
}
