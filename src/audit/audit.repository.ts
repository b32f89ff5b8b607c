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

/** Reserves `count` sequence numbers, in increasing order. */
export async function nextSeqs(trx: Executor, count: number): Promise<number[]> {
  const { rows } = await sql<{ seq: number | string }>`
    select nextval(pg_get_serial_sequence('audit_log', 'seq')) as seq from generate_series(1, ${count}) order by 1`.execute(trx);
  return rows.map((row) => Number(row.seq));
}

/** The only write this table ever gets. */
export async function insertEntries(trx: Executor, rows: readonly NewAuditLogRow[]): Promise<void> {
  await trx.insertInto('audit_log').values([...rows]).execute();
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
