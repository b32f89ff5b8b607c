import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

export const DEPARTMENT_ROLES = ['admin', 'issuer', 'acceptor'] as const;
export type DepartmentRole = (typeof DEPARTMENT_ROLES)[number];

export interface DepartmentsTable {
  id: string;
  name: string;
  /** Null only for the operator department created at first boot without OPERATOR_CREDIT_CODE. */
  credit_code: string | null;
  region_id: string;
  roles: DepartmentRole[];
  status: Generated<'active' | 'disabled'>;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

export type DepartmentRow = Selectable<DepartmentsTable>;
export type NewDepartmentRow = Insertable<DepartmentsTable>;
