import { createHash, randomBytes } from 'node:crypto';

/** Recognisable prefix, so leaked tokens can be found by secret scanners. */
const TOKEN_PREFIX = 'elt_';
const PREFIX_SHOWN = TOKEN_PREFIX.length + 8;

export interface GeneratedToken {
  token: string;
  hash: string;
  prefix: string;
}

/** A new bearer token: 256 random bits, base64url. Only its hash is ever stored. */
export function generateApiToken(random: (size: number) => Buffer = randomBytes): GeneratedToken {
  const token = TOKEN_PREFIX + random(32).toString('base64url');
  return { token, hash: hashApiToken(token), prefix: tokenPrefix(token) };
}

/**
 * Unsalted SHA-256 is enough here: tokens carry 256 bits of entropy, so there is nothing
 * to brute-force, and a deterministic hash lets us look a token up by index.
 */
export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function tokenPrefix(token: string): string {
  return token.slice(0, PREFIX_SHOWN);
}
