import { sql } from 'kysely';
import type { CertificateRow, CertificateStatus, NewCertificateRow } from '../db/schema/certificates.table.js';
import type { CrlRow, NewCrlRow } from '../db/schema/crls.table.js';
import type { Executor } from '../db/schema/database.js';

/** bytea comes back as a Buffer from pg and a Uint8Array from PGlite; callers get Uint8Array. */
function normalise<T extends { der: Uint8Array }>(row: T): T {
  return { ...row, der: new Uint8Array(row.der.buffer, row.der.byteOffset, row.der.byteLength) };
}

export async function insertCertificate(db: Executor, row: NewCertificateRow): Promise<void> {
  await db.insertInto('certificates').values(row).execute();
}

/** For certificates that may already be registered (the hierarchy at every start). */
export async function insertCertificateIfAbsent(db: Executor, row: NewCertificateRow): Promise<boolean> {
  const result = await db.insertInto('certificates').values(row).onConflict((oc) => oc.doNothing()).executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function findCertificate(db: Executor, serialHex: string): Promise<CertificateRow | undefined> {
  const row = await db.selectFrom('certificates').selectAll().where('serial_hex', '=', serialHex).executeTakeFirst();
  return row && normalise(row);
}

export async function findCertificateForUpdate(db: Executor, serialHex: string): Promise<CertificateRow | undefined> {
  const row = await db.selectFrom('certificates').selectAll().where('serial_hex', '=', serialHex).forUpdate().executeTakeFirst();
  return row && normalise(row);
}

export interface CertificateListQuery {
  caId?: string;
  status?: CertificateStatus;
  profile?: string;
  limit: number;
  offset: number;
}

export async function listCertificates(db: Executor, q: CertificateListQuery): Promise<CertificateRow[]> {
  let query = db.selectFrom('certificates').selectAll();
  if (q.caId) query = query.where('ca_id', '=', q.caId);
  if (q.status) query = query.where('status', '=', q.status);
  if (q.profile) query = query.where('profile', '=', q.profile);
  const rows = await query.orderBy('created_at', 'desc').orderBy('serial_hex').limit(q.limit).offset(q.offset).execute();
  return rows.map(normalise);
}

export async function updateStatus(
  db: Executor,
  serialHex: string,
  change: { status: CertificateStatus; revoked_at: Date | null; revocation_reason: string | null; status_changed_at: Date },
): Promise<CertificateRow> {
  const row = await db.updateTable('certificates').set(change).where('serial_hex', '=', serialHex).returningAll().executeTakeFirstOrThrow();
  return normalise(row);
}

/** What OCSP needs to answer for one serial. */
export async function findStatus(db: Executor, caId: string, serialHex: string) {
  return db
    .selectFrom('certificates')
    .select(['status', 'revoked_at', 'revocation_reason', 'not_after'])
    .where('serial_hex', '=', serialHex)
    .where('ca_id', '=', caId)
    .executeTakeFirst();
}

export async function serialsChangedSince(db: Executor, since: Date): Promise<{ serial_hex: string; status_changed_at: Date }[]> {
  return db
    .selectFrom('certificates')
    .select(['serial_hex', 'status_changed_at'])
    .where('status_changed_at', '>', since)
    .execute();
}

/** Revoked and held certificates of a CA that have not yet expired: the entries of its next CRL. */
export async function listRevokedEntries(db: Executor, caId: string, now: Date) {
  return db
    .selectFrom('certificates')
    .select(['serial_hex', 'revoked_at', 'revocation_reason'])
    .where('ca_id', '=', caId)
    .where('status', '!=', 'valid')
    .where('not_after', '>', now)
    .orderBy('serial_hex')
    .execute();
}

export async function lockCrlNumbering(db: Executor, caId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`crl-numbering:${caId}`}))`.execute(db);
}

export async function latestCrlNumber(db: Executor, caId: string): Promise<number> {
  const row = await db
    .selectFrom('crls')
    .select((eb) => eb.fn.max('crl_number').as('n'))
    .where('ca_id', '=', caId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function insertCrl(db: Executor, row: NewCrlRow): Promise<void> {
  await db.insertInto('crls').values(row).execute();
}

/** Keeps the newest `keep` CRLs of a CA; older ones are superseded and only take space. */
export async function pruneCrls(db: Executor, caId: string, keepFromNumber: number): Promise<void> {
  await db.deleteFrom('crls').where('ca_id', '=', caId).where('crl_number', '<', keepFromNumber).execute();
}

export async function findLatestCrl(db: Executor, caId: string): Promise<CrlRow | undefined> {
  const row = await db
    .selectFrom('crls')
    .selectAll()
    .where('ca_id', '=', caId)
    .orderBy('crl_number', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row && normalise(row);
}
