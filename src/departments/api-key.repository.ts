import type { ApiKeyRow, NewApiKeyRow } from '../db/schema/api-keys.table.js';
import type { DepartmentRow } from '../db/schema/departments.table.js';
import type { Executor } from '../db/schema/database.js';

export async function insertApiKey(db: Executor, row: NewApiKeyRow): Promise<ApiKeyRow> {
  return db.insertInto('api_keys').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function listApiKeys(db: Executor, departmentId: string): Promise<ApiKeyRow[]> {
  return db
    .selectFrom('api_keys')
    .selectAll()
    .where('department_id', '=', departmentId)
    .orderBy('created_at', 'asc')
    .orderBy('id', 'asc')
    .execute();
}

export async function findApiKeyForUpdate(
  db: Executor,
  departmentId: string,
  keyId: string,
): Promise<ApiKeyRow | undefined> {
  return db
    .selectFrom('api_keys')
    .selectAll()
    .where('id', '=', keyId)
    .where('department_id', '=', departmentId)
    .forUpdate()
    .executeTakeFirst();
}

export async function markRevoked(db: Executor, keyId: string, at: Date): Promise<ApiKeyRow> {
  return db
    .updateTable('api_keys')
    .set({ revoked_at: at })
    .where('id', '=', keyId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export type KeyWithDepartment = ApiKeyRow & {
  department: Pick<DepartmentRow, 'id' | 'name' | 'region_id' | 'roles' | 'status'>;
};

/** One indexed lookup per authenticated request. */
export async function findKeyByTokenHash(db: Executor, tokenHash: string): Promise<KeyWithDepartment | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .innerJoin('departments', 'departments.id', 'api_keys.department_id')
    .selectAll('api_keys')
    .select([
      'departments.name as department_name',
      'departments.region_id as department_region_id',
      'departments.roles as department_roles',
      'departments.status as department_status',
    ])
    .where('api_keys.token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!row) return undefined;
  const { department_name, department_region_id, department_roles, department_status, ...key } = row;
  return {
    ...key,
    department: {
      id: key.department_id,
      name: department_name,
      region_id: department_region_id,
      roles: department_roles,
      status: department_status,
    },
  };
}

/** Records use at most once per `staleBefore` window, to keep writes off the hot path. */
export async function touchLastUsed(db: Executor, keyId: string, at: Date, staleBefore: Date): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ last_used_at: at })
    .where('id', '=', keyId)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', staleBefore)]))
    .execute();
}
