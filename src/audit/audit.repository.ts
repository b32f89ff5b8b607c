import { sql } from 'kysely';
import type { AuditLogRow, NewAuditLogRow } from '../db/schema/audit-log.table.js';
import type { Executor } from '../db/schema/database.js';

/** Any constant works; it only has to be the same for every writer of the chain. */
const AUDIT_CHAIN_LOCK = 7_261_123_001;

/** Serialises appenders until the surrounding transaction ends, so each links to the true head. */
export async function lockChainHead(trx: Executor): Promise<void> {
  await sql`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`.execute(trx);
}

export async function findHead(db: Executor): Promise<Pick<AuditLogRow, 'seq' | 'hash'> | undefined> {
  return db.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
}

export async function nextSeq(trx: Executor): Promise<number> {
  const { rows } = await sql<{ seq: number | string }>`
    select nextval(pg_get_serial_sequence('audit_log', 'seq')) as seq`.execute(trx);
  return Number(rows[0]!.seq);
}

/** The only write this table ever gets. */
export async function insertEntry(trx: Executor, row: NewAuditLogRow): Promise<void> {
  await trx.insertInto('audit_log').values(row).execute();
}

export interface AuditPageQuery {
  afterSeq: number;
  limit: number;
  targetType?: string;
  targetId?: string;
  action?: string;
}

export async function listEntries(db: Executor, query: AuditPageQuery): Promise<AuditLogRow[]> {
  let q = db.selectFrom('audit_log').selectAll().where('seq', '>', query.afterSeq);
  if (query.targetType) q = q.where('target_type', '=', query.targetType);
  if (query.targetId) q = q.where('target_id', '=', query.targetId);
  if (query.action) q = q.where('action', '=', query.action);
  return q.orderBy('seq', 'asc').limit(query.limit).execute();
}
