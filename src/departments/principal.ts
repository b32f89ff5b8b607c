import type { DepartmentRole } from '../db/schema/departments.table.js';

/** The authenticated caller of a request: a department acting through one of its keys. */
export interface Principal {
  readonly departmentId: string;
  readonly departmentName: string;
  readonly regionId: string;
  readonly roles: readonly DepartmentRole[];
  readonly keyId: string;
}
