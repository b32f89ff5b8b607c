import { sql } from 'kysely';
import type { DepartmentRole, DepartmentRow, NewDepartmentRow } from '../db/schema/departments.table.js';
import type { Executor } from '../db/schema/database.js';

export async function insertDepartment(db: Executor, row: NewDepartmentRow): Promise<DepartmentRow> {
  return db.insertInto('departments').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findDepartment(db: Executor, id: string): Promise<DepartmentRow | undefined> {
  return db.selectFrom('departments').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findDepartmentByCreditCode(db: Executor, creditCode: string): Promise<DepartmentRow | undefined> {
  return db.selectFrom('departments').selectAll().where('credit_code', '=', creditCode).executeTakeFirst();
}

export interface DepartmentListQuery {
  role?: DepartmentRole;
  limit: number;
  offset: number;
}

export async function listDepartments(db: Executor, query: DepartmentListQuery): Promise<DepartmentRow[]> {
  let q = db.selectFrom('departments').selectAll();
  if (query.role) q = q.where((eb) => eb(eb.val(query.role), '=', eb.fn.any('roles')));
  return q.orderBy('created_at', 'asc').orderBy('id', 'asc').limit(query.limit).offset(query.offset).execute();
}

export async function countAdministrators(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('departments')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where((eb) => eb(eb.val('admin'), '=', eb.fn.any('roles')))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updateDepartmentStatus(
  db: Executor,
  id: string,
  status: 'active' | 'disabled',
  at: Date,
): Promise<DepartmentRow | undefined> {
  return db
    .updateTable('departments')
    .set({ status, updated_at: at })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

/** Two instances starting together on one PostgreSQL must not both create a first administrator. */
export async function lockBootstrap(db: Executor): Promise<void> {
  await sql`select pg_advisory_xact_lock(${7_261_123_002})`.execute(db);
}
