import { SYSTEM_ACTOR } from '../audit/audit.service.js';
import type { Database } from '../db/schema/database.js';
import { countAdministrators, lockBootstrap } from './department.repository.js';
import type { ApiKeyService } from './api-key.service.js';
import type { Department, DepartmentService } from './department.service.js';

export interface OperatorBootstrapParams {
  name: string;
  creditCode: string | null;
  regionId: string;
  /** ADMIN_TOKEN: becomes the first credential instead of a random one. */
  presetToken: string | null;
}

export interface OperatorBootstrapResult {
  department: Department;
  token: string;
  /** True when the token was generated here and must be shown to the operator now, once. */
  generated: boolean;
}

/**
 * On a database with no administrator, creates the operator department and its first
 * key in one transaction. Returns null when an administrator already exists, so a restart
 * never mints a second credential.
 */
export async function bootstrapOperator(
  db: Database,
  departments: DepartmentService,
  apiKeys: ApiKeyService,
  params: OperatorBootstrapParams,
): Promise<OperatorBootstrapResult | null> {
  return db.transaction().execute(async (trx) => {
    await lockBootstrap(trx);
    if ((await countAdministrators(trx)) > 0) return null;
    const department = await departments.insert(trx, SYSTEM_ACTOR, {
      name: params.name,
      creditCode: params.creditCode,
      regionId: params.regionId,
      roles: ['admin'],
    });
    const issued = await apiKeys.issueIn(trx, SYSTEM_ACTOR, department.id, {
      label: 'first administrator key (created at first start)',
      presetToken: params.presetToken ?? undefined,
    });
    return { department, token: issued.token, generated: params.presetToken === null };
  });
}
