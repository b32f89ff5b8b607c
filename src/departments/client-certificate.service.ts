import type { Actor } from '../audit/audit.service.js';
import type { CertificateRecord, CertificateService } from '../authority/certificate.service.js';
import type { Database } from '../db/schema/database.js';
import { InvalidInputError } from '../errors.js';
import { findDepartment } from './department.repository.js';
import { departmentNotFound } from './department.service.js';

/**
 * Issues department client certificates from the services CA. The subject is taken from
 * the department record, never from the CSR, so a certificate cannot claim another name.
 */
export class ClientCertificateService {
  constructor(
    private readonly db: Database,
    private readonly certificates: CertificateService,
  ) {}

  async issue(actor: Actor, departmentId: string, csr: string, validityDays?: number): Promise<CertificateRecord> {
    const department = await findDepartment(this.db, departmentId);
    if (!department) throw departmentNotFound(departmentId);
    if (!department.credit_code) {
      throw new InvalidInputError('CreditCodeRequired', 'The department has no credit code to put in its certificate');
    }
    return this.certificates.issue(actor, {
      caId: 'services-ca',
      profile: 'department-client',
      csr,
      subject: { CN: department.name, O: department.name, serialNumber: department.credit_code },
      validityDays,
      forDepartmentId: department.id,
    });
  }
}
