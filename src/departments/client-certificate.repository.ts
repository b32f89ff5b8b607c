import type { Executor } from '../db/schema/database.js';

/** The department a department-client certificate authenticates, with the certificate's status. */
export async function findByClientCertificate(db: Executor, fingerprintSha256: string) {
  return db
    .selectFrom('certificates')
    .innerJoin('departments', 'departments.id', 'certificates.subject_department_id')
    .select([
      'certificates.serial_hex',
      'certificates.status as certificate_status',
      'certificates.not_before',
      'certificates.not_after',
      'departments.id as department_id',
      'departments.name',
      'departments.region_id',
      'departments.roles',
      'departments.status as department_status',
    ])
    .where('certificates.fingerprint_sha256', '=', fingerprintSha256)
    .where('certificates.profile', '=', 'department-client')
    .executeTakeFirst();
}
