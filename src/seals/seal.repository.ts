import { sql } from 'kysely';
import type { Executor } from '../db/schema/database.js';
import type { NewSealRow, SealRow, SealStatus, SealUseRow } from '../db/schema/seals.table.js';

/** The next 8-digit sequence number for seal codes of a region. */
export async function nextSealSequence(db: Executor, regionId: string): Promise<number> {
  const { rows } = await sql<{ last_value: number }>`
    insert into seal_code_counters (region_id, last_value) values (${regionId}, 1)
    on conflict (region_id) do update set last_value = seal_code_counters.last_value + 1
    returning last_value`.execute(db);
  return Number(rows[0]!.last_value);
}

export async function insertSeal(db: Executor, row: NewSealRow): Promise<SealRow> {
  return db.insertInto('seals').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findSeal(db: Executor, id: string): Promise<SealRow | undefined> {
  return db.selectFrom('seals').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findSealForUpdate(db: Executor, id: string): Promise<SealRow | undefined> {
  return db.selectFrom('seals').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export interface SealListQuery {
  /** Only seals this department owns or was granted. */
  visibleTo?: string;
  ownerDepartmentId?: string;
  limit: number;
  offset: number;
}

export async function listSeals(db: Executor, q: SealListQuery): Promise<SealRow[]> {
  let query = db.selectFrom('seals').selectAll();
  if (q.ownerDepartmentId) query = query.where('owner_department_id', '=', q.ownerDepartmentId);
  if (q.visibleTo) {
    const department = q.visibleTo;
    query = query.where((eb) =>
      eb.or([
        eb('owner_department_id', '=', department),
        eb.exists(
          eb.selectFrom('seal_grants').select('seal_id').whereRef('seal_grants.seal_id', '=', 'seals.id').where('department_id', '=', department),
        ),
      ]),
    );
  }
  return query.orderBy('seal_code').limit(q.limit).offset(q.offset).execute();
}

export async function updateSeal(
  db: Executor,
  id: string,
  change: Partial<Pick<SealRow, 'status' | 'certificate_serial' | 'key_alias' | 'key_backend' | 'valid_from' | 'valid_until'>> & { updated_at: Date },
): Promise<SealRow> {
  return db.updateTable('seals').set(change).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

export async function insertSealCertificate(db: Executor, sealId: string, serial: string, at: Date): Promise<void> {
  await db.insertInto('seal_certificates').values({ seal_id: sealId, certificate_serial: serial, created_at: at, superseded_at: null }).execute();
}

export async function supersedeSealCertificate(db: Executor, sealId: string, serial: string, at: Date): Promise<void> {
  await db
    .updateTable('seal_certificates')
    .set({ superseded_at: at })
    .where('seal_id', '=', sealId)
    .where('certificate_serial', '=', serial)
    .execute();
}

export async function listSealCertificates(db: Executor, sealId: string) {
  return db.selectFrom('seal_certificates').selectAll().where('seal_id', '=', sealId).orderBy('created_at').execute();
}

export async function isGranted(db: Executor, sealId: string, departmentId: string): Promise<boolean> {
  const row = await db
    .selectFrom('seal_grants')
    .select('seal_id')
    .where('seal_id', '=', sealId)
    .where('department_id', '=', departmentId)
    .executeTakeFirst();
  return row !== undefined;
}

export async function insertGrant(db: Executor, sealId: string, departmentId: string, at: Date): Promise<boolean> {
  const result = await db
    .insertInto('seal_grants')
    .values({ seal_id: sealId, department_id: departmentId, granted_at: at })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function deleteGrant(db: Executor, sealId: string, departmentId: string): Promise<boolean> {
  const result = await db.deleteFrom('seal_grants').where('seal_id', '=', sealId).where('department_id', '=', departmentId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function listGrants(db: Executor, sealId: string) {
  return db.selectFrom('seal_grants').selectAll().where('seal_id', '=', sealId).orderBy('granted_at').execute();
}

export async function insertUses(db: Executor, uses: readonly Omit<SealUseRow, 'id'>[]): Promise<void> {
  if (uses.length > 0) await db.insertInto('seal_uses').values([...uses]).execute();
}

export async function listUses(db: Executor, sealId: string, afterId: number, limit: number): Promise<SealUseRow[]> {
  const rows = await db
    .selectFrom('seal_uses')
    .selectAll()
    .where('seal_id', '=', sealId)
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

export type { SealStatus };

/**
 * Everything one sealing needs to decide, in one round trip: the seal, whether the
 * department holds a grant, and its current certificate with status.
 */
export async function findSealForUse(db: Executor, sealId: string, departmentId: string) {
  const row = await db
    .selectFrom('seals')
    .innerJoin('certificates', 'certificates.serial_hex', 'seals.certificate_serial')
    .selectAll('seals')
    .select((eb) => [
      'certificates.status as certificate_status',
      'certificates.der as certificate_der',
      eb
        .exists(eb.selectFrom('seal_grants').select('seal_id').whereRef('seal_grants.seal_id', '=', 'seals.id').where('seal_grants.department_id', '=', departmentId))
        .as('granted'),
    ])
    .where('seals.id', '=', sealId)
    .executeTakeFirst();
  if (!row) return undefined;
  const { certificate_status, certificate_der, granted, ...seal } = row;
  return {
    seal: seal as SealRow,
    granted: Boolean(granted),
    certificateStatus: certificate_status,
    certificateDer: new Uint8Array(certificate_der.buffer, certificate_der.byteOffset, certificate_der.byteLength),
  };
}
