/**
 * The JWS pieces both federation messages use (trust lists and sharing requests, RFC 7515
 * compact serialisation, signer certificate in `x5c`): the accepted algorithms (RFC 7518 §3),
 * signing with a key that stays in its backend, and checking a signature.
 */
import { type KeyObject, verify } from 'node:crypto';
import type { CertifiedKey } from '../authority/hierarchy.js';
import { signingParams } from '../signing/key-backend.js';

const JWS_ALGORITHMS = {
  ES256: { hash: 'sha256', dsaEncoding: 'ieee-p1363' as const },
  ES384: { hash: 'sha384', dsaEncoding: 'ieee-p1363' as const },
  RS256: { hash: 'sha256', dsaEncoding: undefined },
} as const;
export type JwsAlgorithm = keyof typeof JWS_ALGORITHMS;

export function isJwsAlgorithm(alg: unknown): alg is JwsAlgorithm {
  return typeof alg === 'string' && Object.hasOwn(JWS_ALGORITHMS, alg);
}

/** The JWS `alg` for keys of a key backend algorithm (WebCrypto ECDSA signatures are already r||s). */
export function jwsAlgorithmFor(keyAlgorithm: string): JwsAlgorithm {
  if (keyAlgorithm === 'ECDSA-P256') return 'ES256';
  if (keyAlgorithm === 'ECDSA-P384') return 'ES384';
  return 'RS256';
}

/** `signingInput.signature`, signed inside the key's backend. */
export async function signJws(identity: Pick<CertifiedKey, 'backend' | 'keys' | 'algorithm'>, signingInput: string): Promise<string> {
  const signature = await identity.backend.crypto.subtle.sign(signingParams(identity.algorithm) as EcdsaParams, identity.keys.privateKey, Buffer.from(signingInput, 'ascii'));
  return `${signingInput}.${Buffer.from(signature).toString('base64url')}`;
}

/** Whether `signature` (base64url) is `alg`'s signature over `signingInput` by `key`; false for anything unreadable. */
export function jwsSignatureValid(alg: JwsAlgorithm, key: KeyObject, signingInput: string, signature: string): boolean {
  const { hash, dsaEncoding } = JWS_ALGORITHMS[alg];
  try {
    return verify(hash, Buffer.from(signingInput, 'ascii'), dsaEncoding ? { key, dsaEncoding } : key, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}
