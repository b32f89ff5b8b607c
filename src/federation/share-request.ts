/**
 * A cross-region sharing request: a JWS (RFC 7515, compact) signed by the requesting region's
 * trust-list key, carrying its certificate in `x5c`. The holder's region accepts it only when
 * that certificate is the one pinned for the peer, the audience is itself, it has not expired
 * (5 minutes at most) and its `jti` was never seen before (replays are refused).
 */
import { X509Certificate } from 'node:crypto';
import { isJwsAlgorithm, type JwsAlgorithm, jwsSignatureValid } from './jws.js';
import { fingerprintOf } from './trust-list.js';

export interface ShareRequestClaims {
  /** Requesting region. */
  iss: string;
  /** Holder's region. */
  aud: string;
  jti: string;
  iat: number;
  exp: number;
  department: { creditCode: string; name: string };
  /** 用证事由. */
  purpose: string;
  identifier?: string;
  holder?: { id: string; idTypeCode: '111' | '001'; typeCode: string };
  consentCode?: string;
}

export const SHARE_REQUEST_MAX_AGE_S = 300;

export function shareRequestSigningInput(claims: ShareRequestClaims, alg: JwsAlgorithm, signerDer: Uint8Array): string {
  const header = { alg, typ: 'share-request+jws', x5c: [Buffer.from(signerDer).toString('base64')] };
  return `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
}

export type ShareRequestProblem = 'malformed' | 'unsupported-algorithm' | 'bad-signature';

/** Decodes and checks the signature; returns the claims and the signer's fingerprint for the pin check. */
export function openShareRequest(jws: string): { claims: ShareRequestClaims; signerFingerprint: string } | ShareRequestProblem {
  if (jws.length > 16 * 1024) return 'malformed';
  const parts = jws.trim().split('.');
  if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) return 'malformed';
  let header: { alg?: unknown; x5c?: string[] };
  let claims: ShareRequestClaims;
  try {
    header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    return 'malformed';
  }
  if (!isJwsAlgorithm(header.alg)) return 'unsupported-algorithm';
  if (!Array.isArray(header.x5c) || typeof header.x5c[0] !== 'string') return 'malformed';
  const der = Buffer.from(header.x5c[0], 'base64');
  let key;
  try {
    key = new X509Certificate(der).publicKey;
  } catch {
    return 'bad-signature';
  }
  if (!jwsSignatureValid(header.alg, key, `${parts[0]}.${parts[1]}`, parts[2]!)) return 'bad-signature';
  if (typeof claims?.iss !== 'string' || typeof claims.aud !== 'string' || typeof claims.jti !== 'string' || typeof claims.purpose !== 'string') return 'malformed';
  if (!Number.isSafeInteger(claims.iat) || !Number.isSafeInteger(claims.exp) || typeof claims.department?.creditCode !== 'string') return 'malformed';
  return { claims, signerFingerprint: fingerprintOf(der) };
}
