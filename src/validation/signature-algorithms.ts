/**
 * Signature and digest algorithms, from their object identifiers to node:crypto calls, with
 * the cryptographic constraints we apply (after ETSI TS 119 312): SHA-1 and MD5 are not
 * accepted for signatures or message digests, RSA keys must have at least 2048 bits
 * (1024–2047 pass with a warning), and only the NIST P-curves, brainpool and Ed25519/Ed448.
 *
 * Supported: ECDSA (RFC 5758 §3.2, RFC 5753 for CMS), RSASSA-PKCS1-v1_5 (RFC 8017 §8.2,
 * RFC 4055 §5, including `rsaEncryption` as a CMS signatureAlgorithm, RFC 3370 §3.2),
 * RSASSA-PSS (RFC 4055 §3.1: the hash and MGF1 hash must agree, trailer field 1), EdDSA
 * (RFC 8419).
 */
import { createVerify, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { children, oidString, smallInteger, type AlgorithmIdentifier } from './asn1.js';
import { TAG } from '../pki/der.js';

/** Digest OIDs (RFC 5754 §2, RFC 3370 §2.1, FIPS 202 arcs) to node:crypto names. */
export const DIGESTS: Readonly<Record<string, string>> = {
  '1.2.840.113549.2.5': 'md5',
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '2.16.840.1.101.3.4.2.8': 'sha3-256',
  '2.16.840.1.101.3.4.2.9': 'sha3-384',
  '2.16.840.1.101.3.4.2.10': 'sha3-512',
};
/** Digests too weak for signatures (TS 119 312 §6.2): collisions are practical. */
const WEAK_DIGESTS = new Set(['md5', 'sha1']);

const ECDSA: Record<string, string> = {
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '2.16.840.1.101.3.4.3.10': 'sha3-256',
  '2.16.840.1.101.3.4.3.11': 'sha3-384',
  '2.16.840.1.101.3.4.3.12': 'sha3-512',
};
const RSA_PKCS1: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'md5',
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '2.16.840.1.101.3.4.3.14': 'sha3-256',
  '2.16.840.1.101.3.4.3.15': 'sha3-384',
  '2.16.840.1.101.3.4.3.16': 'sha3-512',
};
const ID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const ID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const ID_RSASSA_PSS = '1.2.840.113549.1.1.10';
const ID_MGF1 = '1.2.840.113549.1.1.8';
const ID_ED25519 = '1.3.101.112';
const ID_ED448 = '1.3.101.113';

/** How to verify: node's digest name (null for EdDSA), the key type it needs, and PSS salt. */
export interface SignatureScheme {
  readonly name: string;
  readonly hash: string | null;
  readonly keyTypes: readonly string[];
  readonly pssSaltLength?: number;
}

export type SchemeResult = { ok: true; scheme: SignatureScheme } | { ok: false; reason: string };

/**
 * The scheme for a signatureAlgorithm. `digestOid` is the CMS SignerInfo.digestAlgorithm,
 * used when the signature algorithm does not name a hash (`rsaEncryption`,
 * `id-ecPublicKey`, RFC 3370 §3.2 / RFC 5753 §7.1.3).
 */
export function signatureScheme(algorithm: AlgorithmIdentifier, digestOid?: string): SchemeResult {
  const { oid } = algorithm;
  let scheme: SignatureScheme | null = null;
  if (ECDSA[oid]) scheme = { name: `ECDSA with ${ECDSA[oid]!.toUpperCase()}`, hash: ECDSA[oid]!, keyTypes: ['ec'] };
  else if (RSA_PKCS1[oid]) scheme = { name: `RSA PKCS#1 v1.5 with ${RSA_PKCS1[oid]!.toUpperCase()}`, hash: RSA_PKCS1[oid]!, keyTypes: ['rsa'] };
  else if (oid === ID_RSA_ENCRYPTION || oid === ID_EC_PUBLIC_KEY) {
    const hash = digestOid ? DIGESTS[digestOid] : undefined;
    if (!hash) return { ok: false, reason: `digest algorithm ${digestOid ?? '(none)'} is not supported` };
    scheme = oid === ID_RSA_ENCRYPTION
      ? { name: `RSA PKCS#1 v1.5 with ${hash.toUpperCase()}`, hash, keyTypes: ['rsa'] }
      : { name: `ECDSA with ${hash.toUpperCase()}`, hash, keyTypes: ['ec'] };
  } else if (oid === ID_RSASSA_PSS) {
    const pss = pssParameters(algorithm);
    if (!pss.ok) return pss;
    scheme = { name: `RSASSA-PSS with ${pss.hash.toUpperCase()}`, hash: pss.hash, keyTypes: ['rsa', 'rsa-pss'], pssSaltLength: pss.saltLength };
  } else if (oid === ID_ED25519) scheme = { name: 'Ed25519', hash: null, keyTypes: ['ed25519'] };
  else if (oid === ID_ED448) scheme = { name: 'Ed448', hash: null, keyTypes: ['ed448'] };
  if (!scheme) return { ok: false, reason: `signature algorithm ${oid} is not supported` };
  if (scheme.hash && WEAK_DIGESTS.has(scheme.hash)) return { ok: false, reason: `${scheme.name} is no longer acceptable (ETSI TS 119 312)` };
  return { ok: true, scheme };
}

/**
 * RFC 4055 §3.1: `RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] DEFAULT sha1,
 * maskGenAlgorithm [1] DEFAULT mgf1SHA1, saltLength [2] DEFAULT 20, trailerField [3] DEFAULT 1 }`.
 */
function pssParameters(algorithm: AlgorithmIdentifier): { ok: true; hash: string; saltLength: number } | { ok: false; reason: string } {
  try {
    let hash = 'sha1';
    let mgfHash = 'sha1';
    let saltLength = 20;
    const fields = algorithm.parameters && algorithm.parameters.tag === TAG.sequence ? children(algorithm.parameters) : [];
    for (const field of fields) {
      const [inner] = children(field);
      if (field.tag === TAG.context(0)) hash = DIGESTS[oidString(children(inner!)[0]!)] ?? 'unsupported';
      else if (field.tag === TAG.context(1)) {
        const [mgf, mgfParams] = children(inner!);
        if (oidString(mgf!) !== ID_MGF1) return { ok: false, reason: 'RSASSA-PSS with a mask generation function other than MGF1' };
        mgfHash = DIGESTS[oidString(children(mgfParams!)[0]!)] ?? 'unsupported';
      } else if (field.tag === TAG.context(2)) saltLength = smallInteger(inner, 'saltLength');
      else if (field.tag === TAG.context(3) && smallInteger(inner, 'trailerField') !== 1) return { ok: false, reason: 'RSASSA-PSS trailer field other than 1' };
    }
    if (hash === 'unsupported' || hash !== mgfHash) return { ok: false, reason: 'RSASSA-PSS hash and MGF1 hash must be the same supported digest' };
    return { ok: true, hash, saltLength };
  } catch {
    return { ok: false, reason: 'bad RSASSA-PSS parameters' };
  }
}

/** Verifies `signature` over the concatenation of `data` parts. False on any error. */
export function verifyWith(scheme: SignatureScheme, key: KeyObject, data: readonly Uint8Array[], signature: Uint8Array): boolean {
  if (!scheme.keyTypes.includes(key.asymmetricKeyType ?? '')) return false;
  try {
    const options =
      scheme.pssSaltLength !== undefined
        ? { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: scheme.pssSaltLength }
        : scheme.keyTypes.includes('ec')
          ? { key, dsaEncoding: 'der' as const }
          : { key };
    if (scheme.hash === null || data.length === 1) {
      const one = data.length === 1 ? data[0]! : Buffer.concat(data);
      return cryptoVerify(scheme.hash, one, options, signature);
    }
    const verifier = createVerify(scheme.hash);
    for (const part of data) verifier.update(part);
    return verifier.verify(options, signature);
  } catch {
    return false;
  }
}

/** A problem with the key's strength, or null; `warning` for keys that pass but should be replaced. */
export function keyStrengthProblem(key: KeyObject): { error?: string; warning?: string } {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss': {
      const bits = details.modulusLength ?? 0;
      if (bits < 1024) return { error: `RSA key of ${bits} bits is too short (ETSI TS 119 312)` };
      if (bits < 2048) return { warning: `RSA key of ${bits} bits is below the 2048 bits ETSI TS 119 312 recommends` };
      return {};
    }
    case 'ec': {
      const curve = details.namedCurve ?? '';
      return ['prime256v1', 'secp384r1', 'secp521r1', 'brainpoolP256r1', 'brainpoolP384r1', 'brainpoolP512r1'].includes(curve)
        ? {}
        : { error: `EC curve ${curve || '(unknown)'} is not accepted` };
    }
    case 'ed25519':
    case 'ed448':
      return {};
    default:
      return { error: `public key type ${key.asymmetricKeyType ?? '(unknown)'} is not supported` };
  }
}

/** Whether a digest OID is usable for message digests. */
export function digestName(oid: string): { ok: true; name: string } | { ok: false; reason: string } {
  const name = DIGESTS[oid];
  if (!name) return { ok: false, reason: `digest algorithm ${oid} is not supported` };
  if (WEAK_DIGESTS.has(name)) return { ok: false, reason: `${name.toUpperCase()} is no longer acceptable for message digests (ETSI TS 119 312)` };
  return { ok: true, name };
}
