import type { DepartmentRole } from '../db/schema/departments.table.js';

/** The authenticated caller of a request: a department, through an API key or a client certificate. */
export interface Principal {
  readonly departmentId: string;
  readonly departmentName: string;
  readonly regionId: string;
  readonly roles: readonly DepartmentRole[];
  /** The API key used, or null when the department authenticated with a TLS client certificate. */
  readonly keyId: string | null;
  /** The client certificate's serial (mutual TLS), or null for an API key. */
  readonly certificateSerial: string | null;
}
