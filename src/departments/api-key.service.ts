import { createHash, randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import type { ApiKeyRow } from '../db/schema/api-keys.table.js';
import type { Database, DatabaseSchema } from '../db/schema/database.js';
import { AuthenticationError, ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import { generateApiToken, hashApiToken, tokenPrefix } from './api-token.js';
import * as keys from './api-key.repository.js';
import { findByClientCertificate } from './client-certificate.repository.js';
import * as departments from './department.repository.js';
import { departmentNotFound } from './department.service.js';
import type { Principal } from './principal.js';

export interface ApiKey {
  id: string;
  departmentId: string;
  label: string;
  prefix: string;
  status: 'active' | 'revoked' | 'expired';
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface IssueApiKeyParams {
  label: string;
  expiresAt?: Date | null;
  /** Use this token instead of a random one (ADMIN_TOKEN at first boot). */
  presetToken?: string;
}

export interface IssuedApiKey {
  key: ApiKey;
  /** Shown to the caller once; only its hash is kept. */
  token: string;
}

/** last_used_at is a hint for operators, not an access log: write it at most once a minute per key. */
const LAST_USED_RESOLUTION_MS = 60_000;

export class ApiKeyService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  async issue(actor: Actor, departmentId: string, params: IssueApiKeyParams): Promise<IssuedApiKey> {
    return this.db.transaction().execute((trx) => this.issueIn(trx, actor, departmentId, params));
  }

  async issueIn(
    trx: Transaction<DatabaseSchema>,
    actor: Actor,
    departmentId: string,
    params: IssueApiKeyParams,
  ): Promise<IssuedApiKey> {
    const now = this.clock.now();
    if (params.expiresAt && params.expiresAt.getTime() <= now.getTime()) {
      throw new InvalidInputError('ExpiryInPast', 'expiresAt must be in the future');
    }
    const department = await departments.findDepartment(trx, departmentId);
    if (!department) throw departmentNotFound(departmentId);
    if (department.status !== 'active') {
      throw new ConflictError('DepartmentDisabled', `Department ${departmentId} is disabled; enable it before issuing keys`);
    }
    const generated = params.presetToken
      ? { token: params.presetToken, hash: hashApiToken(params.presetToken), prefix: tokenPrefix(params.presetToken) }
      : generateApiToken();
    const row = await keys.insertApiKey(trx, {
      id: randomUUID(),
      department_id: departmentId,
      label: params.label,
      token_prefix: generated.prefix,
      token_hash: generated.hash,
      created_at: now,
      expires_at: params.expiresAt ?? null,
    });
    await this.audit.append(trx, actor, {
      action: 'api-key.issued',
      target: { type: 'api-key', id: row.id },
      details: { departmentId, label: row.label, expiresAt: row.expires_at?.toISOString() ?? null },
    });
    return { key: toApiKey(row, now), token: generated.token };
  }

  async list(departmentId: string): Promise<ApiKey[]> {
    if (!(await departments.findDepartment(this.db, departmentId))) throw departmentNotFound(departmentId);
    const now = this.clock.now();
    return (await keys.listApiKeys(this.db, departmentId)).map((row) => toApiKey(row, now));
  }

  async revoke(actor: Actor, departmentId: string, keyId: string): Promise<ApiKey> {
    return this.db.transaction().execute(async (trx) => {
      const row = await keys.findApiKeyForUpdate(trx, departmentId, keyId);
      if (!row) throw new NotFoundError('ApiKeyNotFound', `Department ${departmentId} has no API key ${keyId}`);
      if (row.revoked_at) {
        throw new ConflictError('ApiKeyAlreadyRevoked', `API key ${keyId} was revoked at ${row.revoked_at.toISOString()}`);
      }
      const now = this.clock.now();
      const revoked = await keys.markRevoked(trx, keyId, now);
      await this.audit.append(trx, actor, {
        action: 'api-key.revoked',
        target: { type: 'api-key', id: keyId },
        details: { departmentId },
      });
      return toApiKey(revoked, now);
    });
  }

  /** Resolves a bearer token to its department, or says precisely why it cannot be used. */
  async authenticate(token: string): Promise<Principal> {
    const found = await keys.findKeyByTokenHash(this.db, hashApiToken(token));
    if (!found) throw new AuthenticationError('InvalidCredentials', 'The bearer token is not a known API key');
    const now = this.clock.now();
    if (found.revoked_at) throw new AuthenticationError('CredentialRevoked', 'This API key has been revoked');
    if (found.expires_at && found.expires_at.getTime() <= now.getTime()) {
      throw new AuthenticationError('CredentialExpired', 'This API key has expired');
    }
    if (found.department.status !== 'active') {
      throw new AuthenticationError('DepartmentDisabled', 'The department that owns this API key is disabled');
    }
    await keys.touchLastUsed(this.db, found.id, now, new Date(now.getTime() - LAST_USED_RESOLUTION_MS));
    return {
      departmentId: found.department.id,
      departmentName: found.department.name,
      regionId: found.department.region_id,
      roles: found.department.roles,
      keyId: found.id,
      certificateSerial: null,
    };
  }

  /**
   * Mutual TLS, the second way in: the TLS layer has already checked the chain to our
   * services CA; here the certificate must be one we issued to a department, and still
   * valid in our registry (a revocation takes effect on the next request, without a CRL).
   */
  async authenticateClientCertificate(der: Uint8Array): Promise<Principal> {
    const found = await findByClientCertificate(this.db, createHash('sha256').update(der).digest('hex'));
    if (!found) throw new AuthenticationError('UnknownClientCertificate', 'The TLS client certificate was not issued to a department');
    const now = this.clock.now().getTime();
    if (found.certificate_status !== 'valid') {
      throw new AuthenticationError('CredentialRevoked', `The client certificate is ${found.certificate_status}`);
    }
    if (now < found.not_before.getTime() || now >= found.not_after.getTime()) {
      throw new AuthenticationError('CredentialExpired', 'The client certificate is not within its validity period');
    }
    if (found.department_status !== 'active') {
      throw new AuthenticationError('DepartmentDisabled', 'The department that owns this client certificate is disabled');
    }
    return {
      departmentId: found.department_id,
      departmentName: found.name,
      regionId: found.region_id,
      roles: found.roles,
      keyId: null,
      certificateSerial: found.serial_hex,
    };
  }
}

function toApiKey(row: ApiKeyRow, now: Date): ApiKey {
  const status = row.revoked_at
    ? 'revoked'
    : row.expires_at && row.expires_at.getTime() <= now.getTime()
      ? 'expired'
      : 'active';
  return {
    id: row.id,
    departmentId: row.department_id,
    label: row.label,
    prefix: row.token_prefix,
    status,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}
