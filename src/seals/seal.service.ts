import { randomUUID } from 'node:crypto';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { CertificateRecord, CertificateService } from '../authority/certificate.service.js';
import type { Clock } from '../clock.js';
import type { Transaction } from 'kysely';
import type { Database, DatabaseSchema } from '../db/schema/database.js';
import type { SealRow, SealType } from '../db/schema/seals.table.js';
import { findDepartment } from '../departments/department.repository.js';
import { departmentNotFound } from '../departments/department.service.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import type { KeyAlgorithmName } from '../signing/key-backend.js';
import * as repo from './seal.repository.js';
import { SEAL_TYPE_LABELS } from './seal-types.js';

const DAY = 24 * 60 * 60 * 1000;
const SEAL_CA = 'seal-ca';
const SEAL_PROFILE = 'seal';

export type EffectiveSealStatus = 'active' | 'suspended' | 'revoked' | 'expired';

export interface Seal {
  id: string;
  sealCode: string;
  name: string;
  type: SealType;
  organisationName: string;
  organisationCreditCode: string;
  ownerDepartmentId: string;
  personName: string | null;
  validFrom: Date;
  validUntil: Date;
  status: EffectiveSealStatus;
  certificateSerial: string;
}

export interface CreateSealParams {
  ownerDepartmentId: string;
  type: SealType;
  /** Defaults to the owner department's name and credit code. */
  organisationName?: string;
  organisationCreditCode?: string;
  personName?: string;
  /** Defaults to organisation name + type label (e.g. …证照专用章), or the person's name. */
  name?: string;
  validityDays?: number;
  keyAlgorithm?: KeyAlgorithmName;
}

/**
 * The seal registry: every seal belongs to an organisation, carries a unique seal code,
 * and is backed by a key in the seal CA's key backend and a seal certificate. Status
 * changes go through the certificate, so OCSP and the CRL say what the registry says.
 */
export class SealService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly certificates: CertificateService,
  ) {}

  async create(actor: Actor, params: CreateSealParams): Promise<Seal> {
    const owner = await findDepartment(this.db, params.ownerDepartmentId);
    if (!owner) throw departmentNotFound(params.ownerDepartmentId);
    const organisationCreditCode = params.organisationCreditCode ?? owner.credit_code;
    if (!organisationCreditCode) {
      throw new InvalidInputError('CreditCodeRequired', 'The owner department has no credit code; give organisationCreditCode');
    }
    const organisationName = params.organisationName ?? owner.name;
    if ((params.type === 'personal') !== Boolean(params.personName)) {
      throw new InvalidInputError('PersonNameRequired', 'A personal seal needs personName, and only a personal seal has one');
    }
    const name = params.name ?? (params.type === 'personal' ? params.personName! : organisationName + SEAL_TYPE_LABELS[params.type]);

    const sealCode = await this.allocateCode(owner.region_id);
    const validityDays = params.validityDays ?? 1095;
    const prepared = await this.certificates.prepare(actor, {
      caId: SEAL_CA,
      profile: SEAL_PROFILE,
      generateKey: { algorithm: params.keyAlgorithm ?? 'ECDSA-P256' },
      subject: { CN: name, O: organisationName, serialNumber: sealCode },
      validityDays,
    });
    const certificate = prepared.record;
    const now = this.clock.now();
    const row = await this.certificates.storeOrDiscardKey(prepared, () => this.db.transaction().execute(async (trx) => {
      await this.certificates.record(trx, actor, prepared);
      const seal = await repo.insertSeal(trx, {
        id: randomUUID(),
        seal_code: sealCode,
        name,
        seal_type: params.type,
        organisation_name: organisationName,
        organisation_credit_code: organisationCreditCode,
        owner_department_id: owner.id,
        person_name: params.personName ?? null,
        valid_from: certificate.notBefore,
        valid_until: certificate.notAfter,
        status: 'active',
        certificate_serial: certificate.serialNumber,
        key_backend: certificate.keyInBackend!.backend,
        key_alias: certificate.keyInBackend!.alias,
        created_at: now,
        updated_at: now,
      });
      await repo.insertSealCertificate(trx, seal.id, certificate.serialNumber, now);
      // The owner may use its own seals.
      await repo.insertGrant(trx, seal.id, owner.id, now);
      await this.audit.append(trx, actor, {
        action: 'seal.created',
        target: { type: 'seal', id: seal.id },
        details: { sealCode, name, type: params.type, certificate: certificate.serialNumber, owner: owner.id },
      });
      return seal;
    }));
    return this.toSeal(row);
  }

  async get(id: string): Promise<Seal> {
    return this.toSeal(await this.findRow(id));
  }

  async row(id: string): Promise<SealRow> {
    return this.findRow(id);
  }

  async list(query: repo.SealListQuery): Promise<Seal[]> {
    return (await repo.listSeals(this.db, query)).map((row) => this.toSeal(row));
  }

  async canUse(sealId: string, departmentId: string): Promise<boolean> {
    return repo.isGranted(this.db, sealId, departmentId);
  }

  async suspend(actor: Actor, id: string, reason?: string): Promise<Seal> {
    return this.transition(actor, id, 'seal.suspended', { reason }, async (trx, seal) => {
      if (seal.status !== 'active') throw notActive(seal);
      return { status: 'suspended', certificate: await this.certificates.holdIn(trx, actor, seal.certificate_serial) };
    });
  }

  async resume(actor: Actor, id: string): Promise<Seal> {
    return this.transition(actor, id, 'seal.resumed', {}, async (trx, seal) => {
      if (seal.status !== 'suspended') throw new ConflictError('SealNotSuspended', `Seal ${seal.seal_code} is ${seal.status}, not suspended`);
      return { status: 'active', certificate: await this.certificates.releaseIn(trx, actor, seal.certificate_serial) };
    });
  }

  /** Permanent: the certificate is revoked at once (OCSP and CRL say so on the next request). */
  async revoke(actor: Actor, id: string, reason: 'keyCompromise' | 'cessationOfOperation' | 'affiliationChanged' | 'unspecified'): Promise<Seal> {
    return this.transition(actor, id, 'seal.revoked', { reason }, async (trx, seal) => {
      if (seal.status === 'revoked') throw new ConflictError('SealRevoked', `Seal ${seal.seal_code} is already revoked`);
      return { status: 'revoked', certificate: await this.certificates.revokeIn(trx, actor, seal.certificate_serial, reason) };
    });
  }

  /**
   * A new key and certificate under the same seal code; the old certificate is revoked
   * as superseded (signatures made with it stay valid) and kept in the seal's history.
   */
  async renew(actor: Actor, id: string, validityDays = 1095): Promise<Seal> {
    const current = await this.findRow(id);
    if (current.status === 'revoked') throw new ConflictError('SealRevoked', `Seal ${current.seal_code} is revoked and cannot be renewed`);
    const prepared = await this.certificates.prepare(actor, {
      caId: SEAL_CA,
      profile: SEAL_PROFILE,
      generateKey: { algorithm: 'ECDSA-P256' },
      subject: { CN: current.name, O: current.organisation_name, serialNumber: current.seal_code },
      validityDays,
    });
    const next = prepared.record;
    let superseded: CertificateRecord | undefined;
    const row = await this.certificates.storeOrDiscardKey(prepared, () => this.db.transaction().execute(async (trx) => {
      const seal = await repo.findSealForUpdate(trx, id);
      if (!seal || seal.certificate_serial !== current.certificate_serial) {
        throw new ConflictError('SealChanged', 'The seal changed while renewing; try again');
      }
      await this.certificates.record(trx, actor, prepared);
      const now = this.clock.now();
      // Only a revoked seal has a revoked certificate, and those were refused above.
      superseded = await this.certificates.revokeIn(trx, actor, seal.certificate_serial, 'superseded');
      await repo.supersedeSealCertificate(trx, id, seal.certificate_serial, now);
      await repo.insertSealCertificate(trx, id, next.serialNumber, now);
      const updated = await repo.updateSeal(trx, id, {
        status: 'active',
        certificate_serial: next.serialNumber,
        key_backend: next.keyInBackend!.backend,
        key_alias: next.keyInBackend!.alias,
        valid_from: next.notBefore,
        valid_until: next.notAfter,
        updated_at: now,
      });
      await this.audit.append(trx, actor, {
        action: 'seal.renewed',
        target: { type: 'seal', id },
        details: { previous: seal.certificate_serial, certificate: next.serialNumber },
      });
      return updated;
    }));
    if (superseded) await this.certificates.statusChanged(superseded);
    return this.toSeal(row);
  }

  async history(id: string) {
    await this.findRow(id);
    return repo.listSealCertificates(this.db, id);
  }

  async grant(actor: Actor, id: string, departmentId: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (!(await repo.findSeal(trx, id))) throw sealNotFound(id);
      if (!(await findDepartment(trx, departmentId))) throw departmentNotFound(departmentId);
      if (await repo.insertGrant(trx, id, departmentId, this.clock.now())) {
        await this.audit.append(trx, actor, { action: 'seal.granted', target: { type: 'seal', id }, details: { departmentId } });
      }
    });
  }

  async withdrawGrant(actor: Actor, id: string, departmentId: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const seal = await repo.findSeal(trx, id);
      if (!seal) throw sealNotFound(id);
      if (seal.owner_department_id === departmentId) {
        throw new ConflictError('OwnerGrantRequired', 'The owning department keeps the use of its seal; suspend the seal instead');
      }
      if (!(await repo.deleteGrant(trx, id, departmentId))) {
        throw new NotFoundError('GrantNotFound', `Department ${departmentId} holds no grant for seal ${id}`);
      }
      await this.audit.append(trx, actor, { action: 'seal.grant-withdrawn', target: { type: 'seal', id }, details: { departmentId } });
    });
  }

  async grants(id: string) {
    await this.findRow(id);
    return repo.listGrants(this.db, id);
  }

  async uses(id: string, afterId: number, limit: number) {
    await this.findRow(id);
    return repo.listUses(this.db, id, afterId, limit);
  }

  /** Effective status: an active seal past its validity is expired (RFC 5280 certificate expiry). */
  effectiveStatus(row: SealRow): EffectiveSealStatus {
    if (row.status === 'active' && row.valid_until.getTime() <= this.clock.now().getTime()) return 'expired';
    return row.status;
  }

  private async transition(
    actor: Actor,
    id: string,
    action: string,
    details: Record<string, unknown>,
    change: (trx: Transaction<DatabaseSchema>, seal: SealRow) => Promise<{ status: SealRow['status']; certificate: CertificateRecord }>,
  ): Promise<Seal> {
    let certificate: CertificateRecord | null = null;
    const row = await this.db.transaction().execute(async (trx) => {
      const seal = await repo.findSealForUpdate(trx, id);
      if (!seal) throw sealNotFound(id);
      const next = await change(trx, seal);
      certificate = next.certificate;
      const updated = await repo.updateSeal(trx, id, { status: next.status, updated_at: this.clock.now() });
      await this.audit.append(trx, actor, { action, target: { type: 'seal', id }, details: { sealCode: seal.seal_code, ...details } });
      return updated;
    });
    await this.certificates.statusChanged(certificate!);
    return this.toSeal(row);
  }

  private async allocateCode(regionId: string): Promise<string> {
    const sequence = await repo.nextSealSequence(this.db, regionId);
    if (sequence > 99_999_999) throw new ConflictError('SealCodesExhausted', `Region ${regionId} has used all 8-digit seal sequence numbers`);
    return regionId + String(sequence).padStart(8, '0');
  }

  private async findRow(id: string): Promise<SealRow> {
    const row = await repo.findSeal(this.db, id);
    if (!row) throw sealNotFound(id);
    return row;
  }

  toSeal(row: SealRow): Seal {
    return {
      id: row.id,
      sealCode: row.seal_code,
      name: row.name,
      type: row.seal_type,
      organisationName: row.organisation_name,
      organisationCreditCode: row.organisation_credit_code,
      ownerDepartmentId: row.owner_department_id,
      personName: row.person_name,
      validFrom: row.valid_from,
      validUntil: row.valid_until,
      status: this.effectiveStatus(row),
      certificateSerial: row.certificate_serial,
    };
  }
}

export function sealNotFound(id: string): NotFoundError {
  return new NotFoundError('SealNotFound', `No seal has id ${id}`);
}

function notActive(seal: SealRow): ConflictError {
  return new ConflictError(seal.status === 'revoked' ? 'SealRevoked' : 'SealNotActive', `Seal ${seal.seal_code} is ${seal.status}`);
}
