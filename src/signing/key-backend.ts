/**
 * Key backends: where private keys live and are used. A backend generates keys inside
 * itself and hands out only WebCrypto `CryptoKey` handles (non-extractable wherever the
 * backend allows) together with the WebCrypto provider they belong to, so that pkijs and
 * @peculiar/x509 sign with them without ever seeing key material.
 *
 * This module knows nothing of CAs, profiles or the database (STYLE.md: policy apart
 * from mechanism).
 */

/** Key algorithms a CA or service identity may use. */
export type KeyAlgorithmName = 'ECDSA-P256' | 'ECDSA-P384' | 'RSA-2048' | 'RSA-3072' | 'RSA-4096';

export const KEY_ALGORITHMS: readonly KeyAlgorithmName[] = ['ECDSA-P256', 'ECDSA-P384', 'RSA-2048', 'RSA-3072', 'RSA-4096'];

export interface BackendKeyPair {
  /** Non-extractable where the backend allows; usable only with `backend.crypto`. */
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
}

export interface KeyBackend {
  /** The name this backend has in ca-config (e.g. "software", "hsm"). */
  readonly name: string;
  /** The WebCrypto provider the backend's keys belong to. */
  readonly crypto: Crypto;
  /** Generates a new key pair under `alias`; refuses an alias already in use. */
  generateKeyPair(alias: string, algorithm: KeyAlgorithmName): Promise<BackendKeyPair>;
  /** The key pair stored under `alias`, or null when there is none. */
  findKeyPair(alias: string): Promise<BackendKeyPair | null>;
  /**
   * Destroys the key pair under `alias`; false when there was none. Only for a key generated
   * for something that was then never stored (a certificate whose transaction failed).
   */
  deleteKeyPair(alias: string): Promise<boolean>;
  /** Releases sessions or handles. */
  close(): Promise<void>;
}

/**
 * Runs `store`, the transaction that records what a key was just generated for. Should it
 * fail, the key is destroyed again, so a refused or failed request leaves no keys behind (in
 * an HSM they take slots), unless `stored()` finds the record after all: a commit whose answer
 * was lost must not lose the key of something live. Best effort: the caller sees the original
 * error, and at worst the key stays.
 */
export async function storeOrDiscardKey<T>(backend: KeyBackend, alias: string, store: () => Promise<T>, stored: () => Promise<boolean>): Promise<T> {
  try {
    return await store();
  } catch (error) {
    const keep = await stored().catch(() => true);
    if (!keep) await backend.deleteKeyPair(alias).catch(() => undefined);
    throw error;
  }
}

/** WebCrypto parameters for generating a key of `algorithm`. */
export function generationParams(algorithm: KeyAlgorithmName): EcKeyGenParams | RsaHashedKeyGenParams {
  switch (algorithm) {
    case 'ECDSA-P256':
      return { name: 'ECDSA', namedCurve: 'P-256' };
    case 'ECDSA-P384':
      return { name: 'ECDSA', namedCurve: 'P-384' };
    case 'RSA-2048':
    case 'RSA-3072':
    case 'RSA-4096':
      return {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: Number(algorithm.slice(4)),
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      };
  }
}

/** The signature algorithm a key of `algorithm` signs certificates, CRLs and OCSP/TSP answers with. */
export function signingParams(algorithm: KeyAlgorithmName): EcdsaParams | (Algorithm & { hash: string }) {
  switch (algorithm) {
    case 'ECDSA-P256':
      return { name: 'ECDSA', hash: 'SHA-256' };
    case 'ECDSA-P384':
      return { name: 'ECDSA', hash: 'SHA-384' };
    default:
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  }
}

export const KEY_USAGES: KeyUsage[] = ['sign', 'verify'];
