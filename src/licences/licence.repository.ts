import { sql } from 'kysely';
import type { Executor } from '../db/schema/database.js';
import type {
  LicenceHolderRecord,
  LicenceRow,
  LicenceTypePermission,
  NewLicenceRow,
} from '../db/schema/licences.table.js';

/**
 * Reserves the next `count` values of a licence number sequence and returns the first
 * (gaps after a failed issuance are fine).
 */
export async function reserveLicenceSequence(db: Executor, typeCode: string, regionId: string, year: number, count = 1): Promise<number> {
  const row = await db
    .insertInto('licence_counters')
    .values({ type_code: typeCode, region_id: regionId, year, last_value: count })
    .onConflict((oc) =>
      oc.columns(['type_code', 'region_id', 'year']).doUpdateSet({ last_value: sql`licence_counters.last_value + ${count}` }),
    )
    .returning('last_value')
    .executeTakeFirstOrThrow();
  return row.last_value - count + 1;
}

/** Licences with their files and holders, however many, in three statements. */
export async function insertLicences(
  db: Executor,
  licences: readonly { row: NewLicenceRow; pdf: Uint8Array; holders: readonly LicenceHolderRecord[] }[],
): Promise<void> {
  if (licences.length === 0) return;
  await db.insertInto('licences').values(licences.map((l) => l.row)).execute();
  await db.insertInto('licence_files').values(licences.map((l) => ({ licence_id: l.row.id, pdf: l.pdf }))).execute();
  await db
    .insertInto('licence_holders')
    .values(licences.flatMap((l) => l.holders.map((h) => ({ licence_id: l.row.id, role: h.role, id_type_code: h.idTypeCode, holder_id: h.id }))))
    .execute();
}

export async function findLicenceById(db: Executor, id: string): Promise<LicenceRow | undefined> {
  return db.selectFrom('licences').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findLicenceByIdentifier(db: Executor, identifier: string): Promise<LicenceRow | undefined> {
  return db.selectFrom('licences').selectAll().where('identifier', '=', identifier).executeTakeFirst();
}

export async function lockLicenceByIdentifier(db: Executor, identifier: string): Promise<LicenceRow | undefined> {
  return db.selectFrom('licences').selectAll().where('identifier', '=', identifier).forUpdate().executeTakeFirst();
}

export async function findByIdempotencyKey(db: Executor, departmentId: string, key: string): Promise<LicenceRow | undefined> {
  return db
    .selectFrom('licences')
    .selectAll()
    .where('issuer_department_id', '=', departmentId)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
}

export async function findByLicenceNumber(db: Executor, licenceNumber: string, typeCode?: string): Promise<LicenceRow[]> {
  let query = db.selectFrom('licences').selectAll().where('licence_number', '=', licenceNumber);
  if (typeCode) query = query.where('type_code', '=', typeCode);
  return query.orderBy('type_code').orderBy('version').limit(100).execute();
}

export async function findByHolder(db: Executor, holderId: string, idTypeCode: string | undefined, typeCode?: string): Promise<LicenceRow[]> {
  let query = db
    .selectFrom('licences')
    .innerJoin('licence_holders', 'licence_holders.licence_id', 'licences.id')
    .selectAll('licences')
    .where('licence_holders.holder_id', '=', holderId);
  if (idTypeCode) query = query.where('licence_holders.id_type_code', '=', idTypeCode);
  if (typeCode) query = query.where('licences.type_code', '=', typeCode);
  return query.orderBy('licences.issued_at', 'desc').limit(200).execute();
}

export async function findLicenceFile(db: Executor, licenceId: string): Promise<Uint8Array | undefined> {
  const row = await db.selectFrom('licence_files').select('pdf').where('licence_id', '=', licenceId).executeTakeFirst();
  return row?.pdf;
}

export async function updateLicence(
  db: Executor,
  id: string,
  changes: Partial<Pick<LicenceRow, 'status' | 'status_reason' | 'status_changed_at' | 'superseded_by' | 'updated_at'>>,
): Promise<void> {
  await db.updateTable('licences').set(changes).where('id', '=', id).execute();
}

export interface NewLicenceEvent {
  licence_id: string;
  action: string;
  from_status: string | null;
  to_status: string;
  reason: string | null;
  department_id: string | null;
  at: Date;
}

export async function insertEvents(db: Executor, events: readonly NewLicenceEvent[]): Promise<void> {
  if (events.length > 0) await db.insertInto('licence_events').values([...events]).execute();
}

export async function listEvents(db: Executor, licenceId: string) {
  return db.selectFrom('licence_events').selectAll().where('licence_id', '=', licenceId).orderBy('id').execute();
}

export async function hasPermission(db: Executor, departmentId: string, typeCode: string, permission: LicenceTypePermission): Promise<boolean> {
  const row = await db
    .selectFrom('department_licence_types')
    .select('type_code')
    .where('department_id', '=', departmentId)
    .where('type_code', '=', typeCode)
    .where('permission', '=', permission)
    .executeTakeFirst();
  return row !== undefined;
}

export async function grantPermission(db: Executor, departmentId: string, typeCode: string, permission: LicenceTypePermission, at: Date): Promise<boolean> {
  const inserted = await db
    .insertInto('department_licence_types')
    .values({ department_id: departmentId, type_code: typeCode, permission, granted_at: at })
    .onConflict((oc) => oc.doNothing())
    .returning('type_code')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function revokePermission(db: Executor, departmentId: string, typeCode: string, permission: LicenceTypePermission): Promise<boolean> {
  const result = await db
    .deleteFrom('department_licence_types')
    .where('department_id', '=', departmentId)
    .where('type_code', '=', typeCode)
    .where('permission', '=', permission)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function listPermissions(db: Executor, departmentId: string) {
  return db
    .selectFrom('department_licence_types')
    .selectAll()
    .where('department_id', '=', departmentId)
    .orderBy('type_code')
    .orderBy('permission')
    .execute();
}

/** The seal a department seals a licence type with: its own or granted, active, of the right type. */
export async function findLicenceSeal(db: Executor, departmentId: string, sealType: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('seals')
    .select('seals.id')
    .where('seals.seal_type', '=', sealType as never)
    .where('seals.status', '=', 'active')
    .where((eb) =>
      eb.or([
        eb('seals.owner_department_id', '=', departmentId),
        eb.exists(
          eb
            .selectFrom('seal_grants')
            .select('seal_grants.seal_id')
            .whereRef('seal_grants.seal_id', '=', 'seals.id')
            .where('seal_grants.department_id', '=', departmentId),
        ),
      ]),
    )
    .orderBy('seals.created_at', 'desc')
    .executeTakeFirst();
  return row?.id;
}

export interface LicenceCountRow {
  type_code: string;
  issuer_department_id: string;
  channel: string;
  status: string;
  count: number;
}

/** Counts by type, department, channel and stored status, for the operators' statistics. */
export async function countLicences(db: Executor): Promise<LicenceCountRow[]> {
  const rows = await db
    .selectFrom('licences')
    .select(['type_code', 'issuer_department_id', 'channel', 'status'])
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('superseded_by', 'is', null)
    .groupBy(['type_code', 'issuer_department_id', 'channel', 'status'])
    .execute();
  return rows.map((row) => ({ ...row, count: Number(row.count) }));
}

/** Current licences past their end date, by type (they count as 'expired', whatever is stored). */
export async function countExpired(db: Executor, today: string): Promise<{ type_code: string; status: string; count: number }[]> {
  const rows = await db
    .selectFrom('licences')
    .select(['type_code', 'status'])
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('superseded_by', 'is', null)
    .where('status', 'in', ['valid', 'suspended'])
    .where('valid_until', '<', today)
    .groupBy(['type_code', 'status'])
    .execute();
  return rows.map((row) => ({ type_code: row.type_code, status: row.status, count: Number(row.count) }));
}

export async function findSealType(db: Executor, sealId: string): Promise<string | undefined> {
  const row = await db.selectFrom('seals').select('seal_type').where('id', '=', sealId).executeTakeFirst();
  return row?.seal_type;
}
