/**
 * A region's trust list: the signed statement of what other regions need to recognise its
 * licences and seals: its trust anchors and issuing CAs, service addresses, QR-token keys and
 * licence types, with a sequence number that only grows and a next-update time.
 *
 * Format: a JWS (RFC 7515) in compact serialisation whose payload is the JSON below and whose
 * protected header carries `x5c` (RFC 7515 §4.1.6: the signing certificate, then its CA) and
 * `typ: "trust-list+jws"`. Why not ETSI TS 119 612 XML: XML signatures need canonicalisation
 * and a stack we would largely write ourselves, and the EU DCC gateway's experience shows its
 * complexity is where interoperability breaks; a JWS of JSON is verifiable with any JOSE
 * library, and the entries map one to one onto TS 119 612 concepts (scheme operator = region,
 * TSP services = CAs, OCSP, TSA; sequence number and next update as in §5.3.3 and §5.3.14).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { isJwsAlgorithm, type JwsAlgorithm, jwsSignatureValid } from './jws.js';

export { jwsAlgorithmFor } from './jws.js';

export const TRUST_LIST_FORMAT = 'e-licence-trust-list/1';
export const TRUST_LIST_MEDIA_TYPE = 'application/jose';
/** Lists larger than this are refused before parsing. */
export const MAX_TRUST_LIST_BYTES = 1024 * 1024;


export interface TrustListPayload {
  format: typeof TRUST_LIST_FORMAT;
  region: { id: string; name: string };
  sequence: number;
  issuedAt: string;
  nextUpdate: string;
  /** Base64 DER. */
  trustAnchors: string[];
  issuingCas: string[];
  services: {
    trustList: string;
    ocsp: string;
    crls: string[];
    timestamps: string;
    /** Public licence status by identifier. */
    licenceStatus: string;
    /** Cross-region sharing requests (signed with this list's key). */
    sharing: string;
    tokenKeys: string;
  };
  /** The keys that sign this region's QR tokens (JWK, with kid). */
  tokenKeys: (JsonWebKey & { kid: string })[];
  licenceTypes: { code: string; name: string }[];
}

export class TrustListError extends Error {
  constructor(
    readonly code:
      | 'TrustListMalformed'
      | 'TrustListTooLarge'
      | 'TrustListUnsupportedAlgorithm'
      | 'TrustListBadSignature'
      | 'TrustListPinMismatch'
      | 'TrustListSignerNotAnchored'
      | 'TrustListRollback'
      | 'TrustListSequenceReused'
      | 'TrustListExpired',
    message: string,
  ) {
    super(message);
    this.name = 'TrustListError';
  }
}

export interface VerifiedTrustList {
  payload: TrustListPayload;
  /** SHA-256 (hex) of the signing certificate: what a peer pins. */
  signerFingerprint: string;
  signerCertificate: Uint8Array;
}

/** The JWS signing input for a trust list; the caller signs it with the trust-list key. */
export function trustListSigningInput(payload: TrustListPayload, alg: JwsAlgorithm, chain: readonly Uint8Array[]): string {
  const header = { alg, typ: 'trust-list+jws', x5c: chain.map((der) => Buffer.from(der).toString('base64')) };
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
}

/** Hex of a SHA-256 fingerprint as people paste it: colons, spaces, upper case, openssl's "SHA256 Fingerprint=" prefix. */
export function normaliseFingerprint(text: string): string {
  return (text.includes('=') ? text.slice(text.lastIndexOf('=') + 1) : text).toLowerCase().replace(/[^0-9a-f]/g, '');
}

/** The last list accepted from a signer: its sequence and the SHA-256 of its payload. */
export interface SeenTrustList {
  sequence: number;
  payloadSha256: string;
}

/** SHA-256 (hex) of a JWS's payload part: the same list signed twice has the same digest. */
export function trustListPayloadSha256(jws: string): string {
  return createHash('sha256').update(jws.trim().split('.')[1] ?? '').digest('hex');
}

export function fingerprintOf(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/**
 * Verifies a trust list: size, shape, algorithm, the signature with the `x5c` certificate,
 * that certificate's SHA-256 against the pin, that it chains to one of the list's own trust
 * anchors, not past `nextUpdate`, and, against the last list accepted from the same signer
 * (`seen`), not rolled back (a lower sequence) and not equivocating (the same sequence with
 * other content: a publisher issues a new sequence for every new list).
 */
export function verifyTrustList(
  jws: string,
  options: { pinnedFingerprint: string; now: Date; seen?: SeenTrustList },
): VerifiedTrustList {
  if (jws.length > MAX_TRUST_LIST_BYTES) throw new TrustListError('TrustListTooLarge', `the list is larger than ${MAX_TRUST_LIST_BYTES} bytes`);
  const parts = jws.trim().split('.');
  if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]*$/.test(p))) throw new TrustListError('TrustListMalformed', 'not a JWS in compact serialisation');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = parseJson(headerPart, 'header') as { alg?: unknown; x5c?: unknown; typ?: unknown };
  if (!isJwsAlgorithm(header.alg)) {
    throw new TrustListError('TrustListUnsupportedAlgorithm', `algorithm ${String(header.alg)} is not accepted (ES256, ES384, RS256)`);
  }
  if (!Array.isArray(header.x5c) || header.x5c.length === 0 || !header.x5c.every((c) => typeof c === 'string')) {
    throw new TrustListError('TrustListMalformed', 'the header has no x5c certificate chain');
  }
  const chain = (header.x5c as string[]).map((c) => Buffer.from(c, 'base64'));
  const signerDer = chain[0]!;
  const signerFingerprint = fingerprintOf(signerDer);
  if (signerFingerprint !== normaliseFingerprint(options.pinnedFingerprint)) {
    throw new TrustListError('TrustListPinMismatch', `the list is signed by certificate ${signerFingerprint}, not the pinned one`);
  }
  let signer: X509Certificate;
  try {
    signer = new X509Certificate(signerDer);
  } catch {
    throw new TrustListError('TrustListMalformed', 'the x5c signing certificate cannot be read');
  }
  const ok = jwsSignatureValid(header.alg, signer.publicKey, `${headerPart}.${payloadPart}`, signaturePart);
  if (!ok) throw new TrustListError('TrustListBadSignature', 'the signature does not verify with the x5c certificate');
  const payload = checkPayload(parseJson(payloadPart, 'payload'));
  if (!chainsToAnchor(signer, chain.slice(1), payload)) {
    throw new TrustListError('TrustListSignerNotAnchored', 'the signing certificate does not chain to a trust anchor of the list');
  }
  if (Date.parse(signer.validFrom) > options.now.getTime() || Date.parse(signer.validTo) < options.now.getTime()) {
    throw new TrustListError('TrustListSignerNotAnchored', `the signing certificate is valid from ${signer.validFrom} to ${signer.validTo}, not now`);
  }
  if (options.seen) assertNotRolledBack(jws, payload, options.seen);
  if (Date.parse(payload.nextUpdate) < options.now.getTime()) {
    throw new TrustListError('TrustListExpired', `the list's next update was due at ${payload.nextUpdate}`);
  }
  return { payload, signerFingerprint, signerCertificate: signerDer };
}

/**
 * Refuses a list older than the one already accepted from its signer (TrustListRollback) or one
 * with the same sequence and other content (TrustListSequenceReused): a publisher gives every
 * new list a new sequence, so two lists under one number mean someone is showing two stories.
 */
export function assertNotRolledBack(jws: string, payload: TrustListPayload, seen: SeenTrustList): void {
  if (payload.sequence < seen.sequence) {
    throw new TrustListError('TrustListRollback', `sequence ${payload.sequence} is below the ${seen.sequence} already seen`);
  }
  if (payload.sequence === seen.sequence && trustListPayloadSha256(jws) !== seen.payloadSha256) {
    throw new TrustListError('TrustListSequenceReused', `sequence ${payload.sequence} was already seen with other content`);
  }
}

function chainsToAnchor(signer: X509Certificate, extra: Buffer[], payload: TrustListPayload): boolean {
  const pool = [...extra, ...payload.issuingCas.map((c) => Buffer.from(c, 'base64')), ...payload.trustAnchors.map((c) => Buffer.from(c, 'base64'))].flatMap((der) => {
    try {
      return [new X509Certificate(der)];
    } catch {
      return [];
    }
  });
  const anchors = new Set(payload.trustAnchors.map((c) => fingerprintOf(Buffer.from(c, 'base64'))));
  let current = signer;
  for (let depth = 0; depth < 5; depth++) {
    const issuer = pool.find((candidate) => current.checkIssued(candidate) && current.verify(candidate.publicKey));
    if (!issuer) return false;
    if (anchors.has(fingerprintOf(issuer.raw))) return true;
    current = issuer;
  }
  return false;
}

function parseJson(part: string, what: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new TrustListError('TrustListMalformed', `the ${what} is not JSON`);
  }
}

function checkPayload(value: unknown): TrustListPayload {
  const p = value as Partial<TrustListPayload> | null;
  const strings = (a: unknown) => Array.isArray(a) && a.every((x) => typeof x === 'string');
  if (
    !p ||
    p.format !== TRUST_LIST_FORMAT ||
    typeof p.region?.id !== 'string' ||
    !/^\d{6}$/.test(p.region.id) ||
    typeof p.region.name !== 'string' ||
    !Number.isSafeInteger(p.sequence) ||
    (p.sequence as number) < 1 ||
    Number.isNaN(Date.parse(String(p.issuedAt))) ||
    Number.isNaN(Date.parse(String(p.nextUpdate))) ||
    !strings(p.trustAnchors) ||
    p.trustAnchors!.length === 0 ||
    !strings(p.issuingCas) ||
    typeof p.services !== 'object' ||
    !Array.isArray(p.tokenKeys) ||
    !Array.isArray(p.licenceTypes)
  ) {
    throw new TrustListError('TrustListMalformed', `the payload is not a ${TRUST_LIST_FORMAT} trust list`);
  }
  return p as TrustListPayload;
}

function b64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
