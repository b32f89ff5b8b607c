/**
 * The signed token in a licence's QR code: a JWS compact serialisation (RFC 7515) signed with
 * ES256 (RFC 7518 §3.4, P-256, raw r||s), whose payload names the licence and vouches for its
 * content. Any JOSE library verifies it with the region's published JWK set, so a phone or an
 * accepting department can check a printed licence offline.
 *
 * Why JWS and not COSE/CWT as in the EU digital COVID certificate: COSE with base45 is about a
 * third smaller, but every platform has a JOSE library and the token stays readable in a URL;
 * at ~330 characters it still fits a version-14 QR code at error-correction level M.
 *
 * The payload cannot hash the PDF it is printed in, so `h` is the SHA-256 (first 16 bytes) of
 * the canonical licence content (see {@link licenceContentDigest}); the registry keeps the hash
 * of the sealed file for the "is this the file we issued" check.
 */
import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';

export interface LicenceTokenClaims {
  /** Issuing region (administrative division code, e.g. 140000). */
  iss: string;
  /** The licence's GB/T 36904 identifier. */
  sub: string;
  /** Issue time, seconds since the epoch. */
  iat: number;
  /** base64url of the first 16 bytes of the SHA-256 of the canonical licence content. */
  h: string;
}

export interface LicenceTokenHeader {
  alg: 'ES256';
  kid: string;
  typ?: string;
}

export interface DecodedLicenceToken {
  header: LicenceTokenHeader;
  claims: LicenceTokenClaims;
  signingInput: Uint8Array;
  signature: Uint8Array;
}

/** Tokens longer than this are refused before any parsing (a QR code cannot hold more anyway). */
export const MAX_TOKEN_LENGTH = 1024;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export function base64url(bytes: Uint8Array | string): string {
  return Buffer.from(bytes).toString('base64url');
}

/** The JWS signing input `BASE64URL(header) . BASE64URL(payload)`. */
export function tokenSigningInput(header: LicenceTokenHeader, claims: LicenceTokenClaims): string {
  return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
}

/**
 * Splits and decodes a compact JWS without checking its signature. Returns null for anything
 * that is not a well-formed ES256 licence token: the caller reports "not genuine".
 */
export function decodeLicenceToken(token: string): DecodedLicenceToken | null {
  if (token.length > MAX_TOKEN_LENGTH) return null;
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => BASE64URL.test(part))) return null;
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  try {
    const header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as Partial<LicenceTokenHeader>;
    const claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8')) as Partial<LicenceTokenClaims>;
    if (header.alg !== 'ES256' || typeof header.kid !== 'string') return null;
    if (typeof claims.iss !== 'string' || typeof claims.sub !== 'string' || typeof claims.h !== 'string') return null;
    if (typeof claims.iat !== 'number' || !Number.isSafeInteger(claims.iat)) return null;
    const signature = Buffer.from(signaturePart, 'base64url');
    if (signature.length !== 64) return null;
    return {
      header: header as LicenceTokenHeader,
      claims: { iss: claims.iss, sub: claims.sub, iat: claims.iat, h: claims.h },
      signingInput: Buffer.from(`${headerPart}.${payloadPart}`, 'ascii'),
      signature,
    };
  } catch {
    return null;
  }
}

/**
 * The canonical content a token vouches for: the GB/T 36903 items and face fields as JSON with
 * sorted keys. Holder ids are included (hashed, never shown), so a token cannot be moved to
 * another person's licence data.
 */
export function licenceContentDigest(content: Record<string, unknown>): Buffer {
  return createHash('sha256').update(canonicalJson(content)).digest();
}

/** The `h` claim for content: the first 16 bytes of its digest, base64url. */
export function contentHashClaim(content: Record<string, unknown>): string {
  return base64url(licenceContentDigest(content).subarray(0, 16));
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** RFC 7638 JWK thumbprint of a P-256 public key; our kid is its first 8 bytes, base64url. */
export function keyIdOf(jwk: JsonWebKey): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return base64url(createHash('sha256').update(canonical).digest().subarray(0, 8));
}

/** The verification key of a published token key (JWK, P-256). */
export function tokenKeyFromJwk(jwk: JsonWebKey): KeyObject {
  return createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } as never, format: 'jwk' });
}

/** Whether the token's ES256 signature (raw r||s) verifies with `key`. */
export function tokenSignatureValid(token: DecodedLicenceToken, key: KeyObject): boolean {
  try {
    return verify('sha256', token.signingInput, { key, dsaEncoding: 'ieee-p1363' }, token.signature);
  } catch {
    return false;
  }
}
