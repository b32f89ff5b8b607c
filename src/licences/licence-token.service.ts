import { type KeyObject, randomBytes } from 'node:crypto';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema/database.js';
import { type BackendKeyPair, type KeyBackend, storeOrDiscardKey } from '../signing/key-backend.js';
import {
  base64url,
  decodeLicenceToken,
  keyIdOf,
  type LicenceTokenClaims,
  type LicenceTokenHeader,
  tokenKeyFromJwk,
  tokenSignatureValid,
  tokenSigningInput,
} from './licence-token.js';

export type TokenCheck =
  | { valid: true; claims: LicenceTokenClaims; kid: string }
  | { valid: false; reason: 'malformed' | 'unknown-key' | 'bad-signature' | 'foreign-region'; claims?: LicenceTokenClaims };

const VERIFIED_CACHE_SIZE = 20_000;

interface SigningKey {
  kid: string;
  keys: BackendKeyPair;
}

/** A published verification key (JWK, RFC 7517) with our kid. */
export interface PublishedTokenKey extends JsonWebKey {
  kid: string;
  alg: 'ES256';
  use: 'sig';
  /** Set on keys that no longer sign new tokens but still verify older licences. */
  retired?: string;
}

/**
 * The region's QR-token signing keys. The private key stays in the key backend; the database
 * keeps each key's public JWK, so older tokens verify after a rollover and the whole set can
 * be published for offline checks.
 */
export class LicenceTokenService {
  private signing: Promise<SigningKey> | null = null;
  private readonly verifiers = new Map<string, KeyObject>();
  private readonly verified = new Map<string, TokenCheck>();

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly backend: KeyBackend,
    private readonly regionId: string,
  ) {}

  async sign(claims: LicenceTokenClaims): Promise<{ token: string; kid: string }> {
    const { kid, keys } = await this.signingKey();
    const header: LicenceTokenHeader = { alg: 'ES256', kid };
    const input = tokenSigningInput(header, claims);
    // WebCrypto ECDSA signatures are already the raw r||s that JWS wants (RFC 7518 §3.4).
    const signature = await this.backend.crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keys.privateKey, Buffer.from(input));
    return { token: `${input}.${base64url(new Uint8Array(signature))}`, kid };
  }

  async check(token: string): Promise<TokenCheck> {
    // A token never changes and keys are never withdrawn, only retired: a verified token stays verified.
    const known = this.verified.get(token);
    if (known) return known;
    const result = await this.checkOnce(token);
    if (result.valid) {
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, result);
    }
    return result;
  }

  private async checkOnce(token: string): Promise<TokenCheck> {
    const decoded = decodeLicenceToken(token);
    if (!decoded) return { valid: false, reason: 'malformed' };
    if (decoded.claims.iss !== this.regionId) return { valid: false, reason: 'foreign-region', claims: decoded.claims };
    const key = await this.verifierFor(decoded.header.kid);
    if (!key) return { valid: false, reason: 'unknown-key', claims: decoded.claims };
    const ok = tokenSignatureValid(decoded, key);
    return ok ? { valid: true, claims: decoded.claims, kid: decoded.header.kid } : { valid: false, reason: 'bad-signature', claims: decoded.claims };
  }

  /** Every key, current and retired, as a JWK set. */
  async published(): Promise<PublishedTokenKey[]> {
    await this.signingKey();
    const rows = await this.db.selectFrom('licence_token_keys').selectAll().orderBy('created_at', 'desc').orderBy('kid').execute();
    return rows.map((row) => ({
      ...publicPart(row.public_jwk),
      kid: row.kid,
      alg: 'ES256' as const,
      use: 'sig' as const,
      ...(row.retired_at ? { retired: row.retired_at.toISOString() } : {}),
    }));
  }

  /** Starts signing with a new key; the old one keeps verifying the tokens it signed. */
  async rotate(actor: Actor): Promise<string> {
    const created = await this.createKey(actor, true);
    this.signing = Promise.resolve(created);
    return created.kid;
  }

  private signingKey(): Promise<SigningKey> {
    if (!this.signing) {
      this.signing = this.loadOrCreate();
      this.signing.catch(() => (this.signing = null));
    }
    return this.signing;
  }

  private async loadOrCreate(): Promise<SigningKey> {
    const current = await this.db
      .selectFrom('licence_token_keys')
      .selectAll()
      .where('retired_at', 'is', null)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    if (current) {
      const keys = await this.backend.findKeyPair(current.key_alias);
      if (!keys) throw new Error(`The QR token key ${current.kid} is missing from key backend ${current.key_backend}`);
      return { kid: current.kid, keys };
    }
    return this.createKey({ departmentId: null, keyId: null, requestId: null }, false);
  }

  private async createKey(actor: Actor, retireOthers: boolean): Promise<SigningKey> {
    const now = this.clock.now();
    const alias = `licence-token-${now.getTime().toString(36)}-${randomBytes(4).toString('hex')}`;
    const keys = await this.backend.generateKeyPair(alias, 'ECDSA-P256');
    const jwk = publicPart(await this.backend.crypto.subtle.exportKey('jwk', keys.publicKey));
    const kid = keyIdOf(jwk);
    const stored = async () => Boolean(await this.db.selectFrom('licence_token_keys').select('kid').where('kid', '=', kid).executeTakeFirst());
    await storeOrDiscardKey(this.backend, alias, () => this.db.transaction().execute(async (trx) => {
      if (retireOthers) {
        await trx.updateTable('licence_token_keys').set({ retired_at: now }).where('retired_at', 'is', null).execute();
      }
      await trx
        .insertInto('licence_token_keys')
        .values({ kid, key_backend: this.backend.name, key_alias: alias, public_jwk: JSON.stringify(jwk), created_at: now, retired_at: null })
        .execute();
      await this.audit.append(trx, actor, {
        action: retireOthers ? 'licence-token-key.rotated' : 'licence-token-key.created',
        target: { type: 'licence-token-key', id: kid },
        details: { keyBackend: this.backend.name },
      });
    }), stored);
    return { kid, keys };
  }

  private async verifierFor(kid: string): Promise<KeyObject | null> {
    const cached = this.verifiers.get(kid);
    if (cached) return cached;
    const row = await this.db.selectFrom('licence_token_keys').select('public_jwk').where('kid', '=', kid).executeTakeFirst();
    if (!row) return null;
    const key = tokenKeyFromJwk(row.public_jwk);
    this.verifiers.set(kid, key);
    return key;
  }
}

function publicPart(jwk: JsonWebKey): JsonWebKey {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
}
