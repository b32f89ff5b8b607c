import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import type { DepartmentRole, DepartmentRow } from '../db/schema/departments.table.js';
import type { Database, DatabaseSchema } from '../db/schema/database.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import { creditCodeProblem } from '../pki/credit-code.js';
import * as repo from './department.repository.js';

export interface Department {
  id: string;
  name: string;
  creditCode: string | null;
  regionId: string;
  roles: DepartmentRole[];
  status: 'active' | 'disabled';
  createdAt: Date;
  updatedAt: Date;
}

export interface CreateDepartmentParams {
  name: string;
  /** Required for every department created through the API or CLI. */
  creditCode: string;
  regionId?: string;
  roles: DepartmentRole[];
}

export class DepartmentService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly defaultRegionId: string,
  ) {}

  async create(actor: Actor, params: CreateDepartmentParams): Promise<Department> {
    assertCreditCode(params.creditCode);
    return this.db.transaction().execute((trx) =>
      this.insert(trx, actor, { ...params, creditCode: params.creditCode }),
    );
  }

  /** Inserts inside an open transaction; used by {@link create} and by the first-boot bootstrap. */
  async insert(
    trx: Transaction<DatabaseSchema>,
    actor: Actor,
    params: Omit<CreateDepartmentParams, 'creditCode'> & { creditCode: string | null },
  ): Promise<Department> {
    const now = this.clock.now();
    const roles = [...new Set(params.roles)].sort();
    let row: DepartmentRow;
    try {
      row = await repo.insertDepartment(trx, {
        id: randomUUID(),
        name: params.name,
        credit_code: params.creditCode,
        region_id: params.regionId ?? this.defaultRegionId,
        roles,
        created_at: now,
        updated_at: now,
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(
          'DepartmentExists',
          `A department with credit code ${params.creditCode} is already registered`,
          { cause: error },
        );
      }
      throw error;
    }
    await this.audit.append(trx, actor, {
      action: 'department.created',
      target: { type: 'department', id: row.id },
      details: { name: row.name, creditCode: row.credit_code, regionId: row.region_id, roles },
    });
    return toDepartment(row);
  }

  async get(id: string): Promise<Department> {
    const row = await repo.findDepartment(this.db, id);
    if (!row) throw departmentNotFound(id);
    return toDepartment(row);
  }

  async list(query: repo.DepartmentListQuery): Promise<Department[]> {
    return (await repo.listDepartments(this.db, query)).map(toDepartment);
  }

  /** Disabling a department stops all of its keys at once without revoking them one by one. */
  async setStatus(actor: Actor, id: string, status: 'active' | 'disabled'): Promise<Department> {
    return this.db.transaction().execute(async (trx) => {
      const before = await repo.findDepartment(trx, id);
      if (!before) throw departmentNotFound(id);
      if (before.status === status) return toDepartment(before);
      if (status === 'disabled' && actor.departmentId === id) {
        throw new ConflictError('CannotDisableSelf', 'A department cannot disable itself; ask another administrator');
      }
      const row = (await repo.updateDepartmentStatus(trx, id, status, this.clock.now()))!;
      await this.audit.append(trx, actor, {
        action: status === 'disabled' ? 'department.disabled' : 'department.enabled',
        target: { type: 'department', id },
      });
      return toDepartment(row);
    });
  }
}

export function departmentNotFound(id: string): NotFoundError {
  return new NotFoundError('DepartmentNotFound', `No department has id ${id}`);
}

function assertCreditCode(code: string): void {
  const problem = creditCodeProblem(code);
  if (problem === 'shape') {
    throw new InvalidInputError(
      'InvalidCreditCode',
      `'${code}' is not a unified social credit code: expected 18 characters from 0-9 and A-Y without I, O, S, V, Z (GB 32100)`,
    );
  }
  if (problem === 'check-character') {
    throw new InvalidInputError(
      'InvalidCreditCode',
      `'${code}' fails the GB 32100 check character: check the code for a typing error`,
    );
  }
}

export function toDepartment(row: DepartmentRow): Department {
  return {
    id: row.id,
    name: row.name,
    creditCode: row.credit_code,
    regionId: row.region_id,
    roles: row.roles,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
