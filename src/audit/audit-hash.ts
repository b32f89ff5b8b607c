import { createHash } from 'node:crypto';

/** prev_hash of the first entry: there is nothing before it. */
export const GENESIS_HASH = '0'.repeat(64);

export interface HashedAuditFields {
  seq: number;
  recordedAt: Date;
  actorDepartmentId: string | null;
  actorKeyId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  requestId: string | null;
  outcome: string;
  details: Record<string, unknown>;
  prevHash: string;
}

/**
 * JSON with object keys sorted at every depth. PostgreSQL's jsonb does not keep key order,
 * so the hash must not depend on it.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/**
 * SHA-256 over every field of an entry, including its position and its predecessor's
 * hash, so editing, deleting or reordering any entry breaks the chain from there on.
 */
export function auditEntryHash(fields: HashedAuditFields): string {
  const content = canonicalJson([
    'audit-entry-v1',
    fields.seq,
    fields.recordedAt.toISOString(),
    fields.actorDepartmentId,
    fields.actorKeyId,
    fields.action,
    fields.targetType,
    fields.targetId,
    fields.requestId,
    fields.outcome,
    fields.details,
    fields.prevHash,
  ]);
  return createHash('sha256').update(content, 'utf8').digest('hex');
}
