import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import type { Database, DatabaseSchema, Executor } from '../db/schema/database.js';
import type { LicenceChannel, LicenceRow, LicenceTypePermission } from '../db/schema/licences.table.js';
import { findDepartment } from '../departments/department.repository.js';
import { departmentNotFound } from '../departments/department.service.js';
import { AppError, ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError } from '../errors.js';
import type { PadesLevel } from '../pades/sign-pdf.js';
import type { SealingService, SealSigner } from '../seals/sealing.service.js';
import { chinaDate, type LicenceData, type LicenceDataParams, validateLicenceData } from './licence-data.js';
import { type BuiltLicence, type LicenceDraft, LicenceProducer } from './licence-producer.js';
import * as repo from './licence.repository.js';
import { canReissue, effectiveLicenceStatus, type LicenceAction, type LicenceStatus, transitionTarget } from './licence-status.js';
import type { LicenceTokenService } from './licence-token.service.js';
import type { LicenceType, LicenceTypeCatalogue } from './licence-type.js';

export type IssuerActor = Actor & { departmentId: string };

export interface IssueLicenceParams extends LicenceDataParams {
  typeCode: string;
  /** Number of the paper licence issued alongside (纸质证照编号), when there is one. */
  paperNumber?: string;
  level?: PadesLevel;
  /** Defaults to the department's active seal of the type's seal type. */
  sealId?: string;
  idempotencyKey?: string;
}

/** A paper licence being digitised: its number and issue date are the paper one's. */
export interface DigitiseLicenceParams extends IssueLicenceParams {
  licenceNumber: string;
  issueDate: string;
}

export interface ReissueLicenceParams extends Partial<LicenceDataParams> {
  reason: string;
  level?: PadesLevel;
  sealId?: string;
  idempotencyKey?: string;
}

export interface Licence {
  id: string;
  identifier: string;
  typeCode: string;
  typeName: string;
  licenceNumber: string;
  version: number;
  status: LicenceStatus;
  statusReason: string | null;
  issuer: { departmentId: string; name: string; creditCode: string };
  holders: { role: string; name: string; idTypeCode: string; id: string }[];
  fields: Record<string, string>;
  issueDate: string;
  validFrom: string;
  validUntil: string | null;
  issuedAt: Date;
  channel: LicenceChannel;
  paperNumber: string | null;
  supersedes: string | null;
  supersededBy: string | null;
  fileSha256: string;
  fileSize: number;
  sealLevel: string;
  verifyUrl: string;
}

export interface IssuedLicence {
  licence: Licence;
  /** True when an earlier request with the same Idempotency-Key had already issued it. */
  replayed: boolean;
}

/** Hooks for the batch runner: extra writes in the issuing transaction. */
export interface IssueHooks {
  batchJobId?: string;
  inTransaction?: (trx: Transaction<DatabaseSchema>, licence: LicenceRow) => Promise<void>;
}

const DEFAULT_LEVEL: PadesLevel = 'B-T';

/**
 * Electronic licences: issuing (validate, number, render, seal, store in one transaction),
 * the lifecycle (suspend, resume, revoke, cancel, re-issue) and lookups. Holder ids are
 * personal data: they are stored and returned only to departments with a right to them,
 * and never written to the audit log.
 */
export class LicenceService {
  /**
   * Public check pages and verifications ask for the same licences over and over. Answers are
   * kept for a second and dropped at once when this instance changes the licence; another
   * instance's change shows within the second.
   */
  private readonly publicRecords = new Map<string, { row: LicenceRow | null; until: number }>();
  private readonly producer: LicenceProducer;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    readonly catalogue: LicenceTypeCatalogue,
    private readonly sealing: SealingService,
    tokens: LicenceTokenService,
    private readonly region: { id: string; name: string; publicBaseUrl: string },
  ) {
    this.producer = new LicenceProducer(audit, clock, sealing, tokens, region);
  }

  async issue(actor: IssuerActor, params: IssueLicenceParams, hooks: IssueHooks = {}): Promise<IssuedLicence> {
    return this.issueAs(actor, params, params.paperNumber ? 'electronic-with-paper' : 'electronic', null, hooks);
  }

  /** Digitises an existing paper licence (batch path): keeps its number and issue date. */
  async digitise(actor: IssuerActor, params: DigitiseLicenceParams, hooks: IssueHooks = {}): Promise<IssuedLicence> {
    return this.issueAs(actor, params, 'digitised', { licenceNumber: params.licenceNumber, issueDate: params.issueDate }, hooks);
  }

  private async issueAs(
    actor: IssuerActor,
    params: IssueLicenceParams,
    channel: LicenceChannel,
    paper: { licenceNumber: string; issueDate: string } | null,
    hooks: IssueHooks,
  ): Promise<IssuedLicence> {
    const type = this.catalogue.require(params.typeCode);
    const requestSha256 = params.idempotencyKey ? requestDigest(params) : null;
    if (params.idempotencyKey) {
      const earlier = await repo.findByIdempotencyKey(this.db, actor.departmentId, params.idempotencyKey);
      if (earlier) return this.replay(earlier, requestSha256!);
    }
    const issuer = await this.issuerOf(actor, type);
    const now = this.clock.now();
    const checked = checkIssuance(type, params, paper, now);
    const sealId = await this.sealFor(actor, type, params.sealId);
    const year = Number(checked.issueDate.slice(0, 4));
    const sequence = await repo.reserveLicenceSequence(this.db, type.code, this.region.id, year);
    return this.produce(
      actor,
      {
        type,
        issuer,
        ...checked,
        ...this.numbered(type, year, sequence, paper),
        version: 1,
        channel,
        level: params.level ?? DEFAULT_LEVEL,
        idempotencyKey: params.idempotencyKey ?? null,
        requestSha256,
        supersedes: null,
        batchJobId: hooks.batchJobId ?? null,
      },
      sealId,
      hooks,
    );
  }

  /** The serial (region, year, sequence) and the licence number: the paper one's, or a new one. */
  private numbered(type: LicenceType, year: number, sequence: number, paper: { licenceNumber: string } | null): { serial: string; licenceNumber: string } {
    return {
      serial: `${this.region.id}${year}${String(sequence).padStart(8, '0')}`,
      licenceNumber: paper?.licenceNumber ?? `${type.licenceNumber.prefix}${this.region.id}${year}${String(sequence).padStart(type.licenceNumber.sequenceDigits, '0')}`,
    };
  }

  /**
   * The batch path, first half: digitises a group of paper licences of one type without
   * writing anything but a block of reserved numbers. The department's right, its seal and
   * the seal's certificate are checked once for the group (a problem there fails every row);
   * each record is checked, rendered and sealed on its own, so a bad one fails alone. Store
   * the built ones with {@link storeGroup}.
   */
  async buildDigitisedGroup(actor: IssuerActor, batchJobId: string, records: readonly DigitiseLicenceParams[]): Promise<(BuiltLicence | AppError)[]> {
    if (records.length === 0) return [];
    const type = this.catalogue.require(records[0]!.typeCode);
    if (records.some((r) => r.typeCode !== type.code || r.sealId !== undefined)) throw new Error('a digitised group is of one type, sealed with the default seal');
    let signer: SealSigner;
    let issuer: LicenceDraft['issuer'];
    try {
      issuer = await this.issuerOf(actor, type);
      signer = await this.sealing.signerFor(actor, await this.sealFor(actor, type, undefined));
    } catch (error) {
      if (error instanceof AppError) return records.map(() => error);
      throw error;
    }
    const now = this.clock.now();
    const results: (Omit<LicenceDraft, 'serial' | 'licenceNumber'> | AppError)[] = records.map((record) => {
      try {
        const paper = { licenceNumber: record.licenceNumber, issueDate: record.issueDate };
        return {
          type,
          issuer,
          ...checkIssuance(type, record, paper, now),
          version: 1,
          channel: 'digitised' as const,
          level: record.level ?? DEFAULT_LEVEL,
          idempotencyKey: record.idempotencyKey ?? null,
          // The same digest as digitise() makes of the same record, so either path replays the other.
          requestSha256: record.idempotencyKey ? requestDigest(record) : null,
          supersedes: null,
          batchJobId,
        };
      } catch (error) {
        if (error instanceof AppError) return error;
        throw error;
      }
    });
    // One block of numbers per issue year in the group.
    const next = new Map<number, number>();
    for (const result of results) {
      if (result instanceof AppError) continue;
      const year = Number(result.issueDate.slice(0, 4));
      next.set(year, (next.get(year) ?? 0) + 1);
    }
    for (const [year, count] of next) next.set(year, await repo.reserveLicenceSequence(this.db, type.code, this.region.id, year, count));
    return mapConcurrently(results, BUILDS_IN_FLIGHT, async (result, i) => {
      if (result instanceof AppError) return result;
      const year = Number(result.issueDate.slice(0, 4));
      const sequence = next.get(year)!;
      next.set(year, sequence + 1);
      const draft = { ...result, ...this.numbered(type, year, sequence, { licenceNumber: records[i]!.licenceNumber }) };
      try {
        return await this.producer.build(draft, signer);
      } catch (error) {
        if (error instanceof AppError) return error;
        throw error;
      }
    });
  }

  /**
   * The batch path, second half: stores built licences and the caller's own rows in one
   * transaction. 'conflict' when a licence number or idempotency key is taken, or the right to
   * issue or the seal was withdrawn while the group was built (nothing was stored): the caller
   * then issues the group's rows one by one, which says which row it is, or fails each row.
   */
  async storeGroup(
    actor: IssuerActor,
    built: readonly BuiltLicence[],
    inTransaction: (trx: Transaction<DatabaseSchema>) => Promise<void>,
  ): Promise<'stored' | 'conflict'> {
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const typeCode of new Set(built.map((b) => b.row.type_code))) await this.assertMayIssue(actor, typeCode, trx);
        await this.producer.store(trx, actor, built);
        await inTransaction(trx);
      });
    } catch (error) {
      if (isUniqueViolation(error) || error instanceof AppError) return 'conflict';
      throw error;
    }
    for (const b of built) this.publicRecords.delete(b.row.identifier);
    return 'stored';
  }

  /** 换发: a new version with a new identifier; the old one is marked superseded, linked both ways. */
  async reissue(actor: IssuerActor, identifier: string, params: ReissueLicenceParams): Promise<IssuedLicence> {
    const reason = requireReason(params.reason);
    const requestSha256 = params.idempotencyKey ? requestDigest({ identifier, ...params }) : null;
    if (params.idempotencyKey) {
      const earlier = await repo.findByIdempotencyKey(this.db, actor.departmentId, params.idempotencyKey);
      if (earlier) return this.replay(earlier, requestSha256!);
    }
    const old = await this.ownLicence(actor, identifier);
    const type = this.catalogue.require(old.type_code);
    const now = this.clock.now();
    const status = effectiveLicenceStatus(old, chinaDate(now));
    if (!canReissue(status)) {
      throw new ConflictError('LicenceTransitionNotAllowed', `A ${status} licence cannot be re-issued`, { details: { status, action: 'reissue' } });
    }
    if (old.version >= 999) throw new ConflictError('LicenceVersionExhausted', 'This licence has reached version 999');
    const issuer = await this.issuerOf(actor, type);
    const data = validateLicenceData(
      type,
      {
        holders: params.holders ?? old.holders.map((h) => ({ name: h.name, id: h.id })),
        fields: { ...old.fields, ...params.fields },
        validFrom: params.validFrom ?? (params.validUntil === undefined && type.validity.kind === 'fixed-term' ? undefined : old.valid_from),
        ...(params.validUntil !== undefined ? { validUntil: params.validUntil } : old.valid_until && type.validity.kind === 'given' ? { validUntil: old.valid_until } : {}),
      },
      now,
    );
    const sealId = await this.sealFor(actor, type, params.sealId);
    return this.produce(
      actor,
      {
        type,
        issuer,
        data,
        serial: old.serial,
        version: old.version + 1,
        licenceNumber: old.licence_number,
        issueDate: chinaDate(now),
        channel: old.channel === 'digitised' ? 'electronic' : old.channel,
        paperNumber: old.paper_number,
        level: params.level ?? DEFAULT_LEVEL,
        idempotencyKey: params.idempotencyKey ?? null,
        requestSha256,
        supersedes: { id: old.id, identifier: old.identifier, reason },
        batchJobId: null,
      },
      sealId,
      {},
    );
  }

  async changeStatus(actor: IssuerActor, identifier: string, action: LicenceAction, reasonText: string): Promise<Licence> {
    const reason = requireReason(reasonText);
    const now = this.clock.now();
    const updated = await this.db.transaction().execute(async (trx) => {
      const row = await repo.lockLicenceByIdentifier(trx, identifier);
      if (!row) throw licenceNotFound(identifier);
      if (row.issuer_department_id !== actor.departmentId) throw notIssuer(identifier);
      const current = effectiveLicenceStatus(row, chinaDate(now));
      const target = transitionTarget(current, action);
      if (!target) {
        throw new ConflictError('LicenceTransitionNotAllowed', `Cannot ${action} a ${current} licence`, { details: { status: current, action } });
      }
      await repo.updateLicence(trx, row.id, { status: target, status_reason: reason, status_changed_at: now, updated_at: now });
      await repo.insertEvents(trx, [{ licence_id: row.id, action, from_status: current, to_status: target, reason, department_id: actor.departmentId, at: now }]);
      await this.audit.append(trx, actor, {
        action: `licence.${AUDIT_VERBS[action]}`,
        target: { type: 'licence', id: row.id },
        details: { identifier: row.identifier, from: current, to: target, reason },
      });
      return { ...row, status: target, status_reason: reason, status_changed_at: now, updated_at: now };
    });
    this.publicRecords.delete(identifier);
    return this.toLicence(updated);
  }

  /** A licence by identifier for a department allowed to see it; holder data masked unless it has a right to it. */
  async get(actor: IssuerActor, identifier: string): Promise<{ licence: Licence; full: boolean }> {
    const row = await repo.findLicenceByIdentifier(this.db, identifier);
    if (!row) throw licenceNotFound(identifier);
    return this.view(actor, row);
  }

  async findByNumber(actor: IssuerActor, licenceNumber: string, typeCode?: string) {
    const rows = await repo.findByLicenceNumber(this.db, licenceNumber, typeCode);
    return Promise.all(rows.map((row) => this.view(actor, row)));
  }

  /** The "one number" lookup: every licence a holder id appears on (optionally one type). */
  async findByHolder(actor: IssuerActor, holderId: string, idTypeCode?: string, typeCode?: string) {
    const rows = await repo.findByHolder(this.db, holderId.trim().toUpperCase(), idTypeCode, typeCode);
    const views = await Promise.all(rows.map((row) => this.view(actor, row)));
    // Without a right to a type, a department learns nothing about who holds licences of it.
    return views.filter((v) => v.full);
  }

  async file(actor: IssuerActor, identifier: string): Promise<{ licence: Licence; pdf: Uint8Array }> {
    const row = await repo.findLicenceByIdentifier(this.db, identifier);
    if (!row) throw licenceNotFound(identifier);
    if (!(await this.hasFullAccess(actor, row))) {
      throw new PermissionDeniedError('LicenceAccessDenied', 'Your department may not download licences of this type');
    }
    const pdf = await repo.findLicenceFile(this.db, row.id);
    if (!pdf) throw licenceNotFound(identifier);
    return { licence: this.toLicence(row), pdf };
  }

  async history(actor: IssuerActor, identifier: string) {
    const row = await repo.findLicenceByIdentifier(this.db, identifier);
    if (!row) throw licenceNotFound(identifier);
    if (!(await this.hasFullAccess(actor, row))) {
      throw new PermissionDeniedError('LicenceAccessDenied', 'Your department may not read the history of licences of this type');
    }
    const events = await repo.listEvents(this.db, row.id);
    return events.map((e) => ({ action: e.action, from: e.from_status, to: e.to_status, reason: e.reason, departmentId: e.department_id, at: e.at }));
  }

  /**
   * A licence without any access check, with the content hash its QR token vouches for: for
   * public check pages, which mask what they show.
   */
  async publicRecord(identifier: string): Promise<{ licence: Licence; contentSha256: string } | null> {
    const cached = this.publicRecords.get(identifier);
    let row: LicenceRow | null;
    if (cached && cached.until > Date.now()) {
      row = cached.row;
    } else {
      row = (await repo.findLicenceByIdentifier(this.db, identifier)) ?? null;
      if (this.publicRecords.size >= PUBLIC_RECORD_CACHE_SIZE) this.publicRecords.clear();
      this.publicRecords.set(identifier, { row, until: Date.now() + PUBLIC_RECORD_TTL_MS });
    }
    // The status is worked out on every read: an end date passing at midnight shows at once.
    return row ? { licence: this.toLicence(row), contentSha256: row.content_sha256 } : null;
  }

  /**
   * Checks licence data an accepting department already holds against the registry, answering
   * with the result codes of the provincial sharing platforms (gb-standards.md §1.6): 0 correct
   * and valid, 1 correct but not yet in force, 2 correct but suspended, 3 correct but no longer
   * valid (revoked, cancelled, expired, superseded), 4 not enough to check, 5 no such licence,
   * 6 no licence data given, 7 some data wrong. Nothing about the holder is returned.
   */
  async checkData(params: LicenceDataCheckParams): Promise<LicenceDataCheck> {
    const given = [params.identifier, params.licenceNumber, params.holderId, params.holderName].some((v) => v?.trim());
    if (!given) return dataCheck(6, null);
    let row: LicenceRow | undefined;
    if (params.identifier?.trim()) {
      row = await repo.findLicenceByIdentifier(this.db, params.identifier.trim());
    } else if (params.licenceNumber?.trim() && params.typeCode) {
      const rows = await repo.findByLicenceNumber(this.db, params.licenceNumber.trim(), params.typeCode);
      row = rows.find((r) => !r.superseded_by) ?? rows[rows.length - 1];
    } else {
      return dataCheck(4, null);
    }
    if (!row || (params.typeCode && row.type_code !== params.typeCode)) return dataCheck(5, null);
    const holders = row.holders;
    const mismatched =
      (params.licenceNumber?.trim() && params.licenceNumber.trim() !== row.licence_number) ||
      (params.holderId?.trim() && !holders.some((h) => h.id === params.holderId!.trim().toUpperCase())) ||
      (params.holderName?.trim() && !holders.some((h) => h.name === params.holderName!.trim().normalize('NFC')));
    const licence = this.toLicence(row);
    if (mismatched) return dataCheck(7, null);
    const today = chinaDate(this.clock.now());
    if (licence.status === 'valid' && licence.validFrom > today) return dataCheck(1, licence);
    if (licence.status === 'valid') return dataCheck(0, licence);
    if (licence.status === 'suspended') return dataCheck(2, licence);
    return dataCheck(3, licence);
  }

  /**
   * For cross-region sharing: the current licence by identifier, or by holder id and type (the
   * newest current one), with what making an annotated copy needs. No access check: the
   * sharing service checks the agreement and the holder's consent first.
   */
  async sharingSource(
    query: { identifier: string } | { holderId: string; idTypeCode: string; typeCode: string },
  ): Promise<{ licenceId: string; licence: Licence; sealId: string; issuerDepartmentId: string; pdf: Uint8Array } | null> {
    let row: LicenceRow | undefined;
    if ('identifier' in query) row = await repo.findLicenceByIdentifier(this.db, query.identifier);
    else row = (await repo.findByHolder(this.db, query.holderId.trim().toUpperCase(), query.idTypeCode, query.typeCode)).find((r) => !r.superseded_by);
    if (!row) return null;
    const pdf = await repo.findLicenceFile(this.db, row.id);
    if (!pdf) return null;
    return { licenceId: row.id, licence: this.toLicence(row), sealId: row.seal_id, issuerDepartmentId: row.issuer_department_id, pdf };
  }

  async statistics() {
    const today = chinaDate(this.clock.now());
    const [counts, expired] = await Promise.all([repo.countLicences(this.db), repo.countExpired(this.db, today)]);
    const byType = new Map<string, { typeCode: string; typeName: string; total: number; byChannel: Record<string, number>; byStatus: Record<string, number> }>();
    const byDepartment = new Map<string, Record<string, number>>();
    const channels: Record<LicenceChannel, number> = { electronic: 0, 'electronic-with-paper': 0, digitised: 0 };
    for (const row of counts) {
      const entry =
        byType.get(row.type_code) ??
        { typeCode: row.type_code, typeName: this.catalogue.get(row.type_code)?.name ?? row.type_code, total: 0, byChannel: {}, byStatus: {} };
      entry.total += row.count;
      entry.byChannel[row.channel] = (entry.byChannel[row.channel] ?? 0) + row.count;
      entry.byStatus[row.status] = (entry.byStatus[row.status] ?? 0) + row.count;
      byType.set(row.type_code, entry);
      const department = byDepartment.get(row.issuer_department_id) ?? {};
      department[row.type_code] = (department[row.type_code] ?? 0) + row.count;
      byDepartment.set(row.issuer_department_id, department);
      channels[row.channel as LicenceChannel] += row.count;
    }
    // Stored 'valid' or 'suspended' past the end date counts once, as expired.
    for (const { type_code, status, count } of expired) {
      const entry = byType.get(type_code);
      if (!entry) continue;
      entry.byStatus.expired = (entry.byStatus.expired ?? 0) + count;
      entry.byStatus[status] = (entry.byStatus[status] ?? 0) - count;
      if (entry.byStatus[status] === 0) delete entry.byStatus[status];
    }
    const newlyIssued = channels.electronic + channels['electronic-with-paper'];
    const total = newlyIssued + channels.digitised;
    return {
      total,
      byChannel: channels,
      // Of the licences issued here (not digitised from old paper ones), the share issued electronically alongside paper.
      electronicAlongsidePaperShare: newlyIssued === 0 ? null : channels['electronic-with-paper'] / newlyIssued,
      digitisedShare: total === 0 ? null : channels.digitised / total,
      byType: [...byType.values()],
      byDepartment: [...byDepartment.entries()].map(([departmentId, types]) => ({ departmentId, byType: types })),
    };
  }

  /** Lets a department issue a licence type, or read every licence of it in full. */
  async grantPermission(actor: Actor, departmentId: string, typeCode: string, permission: LicenceTypePermission): Promise<void> {
    const type = this.catalogue.require(typeCode);
    if (!(await findDepartment(this.db, departmentId))) throw departmentNotFound(departmentId);
    await this.db.transaction().execute(async (trx) => {
      if (await repo.grantPermission(trx, departmentId, type.code, permission, this.clock.now())) {
        await this.audit.append(trx, actor, {
          action: 'licence-type.granted',
          target: { type: 'department', id: departmentId },
          details: { typeCode: type.code, permission },
        });
      }
    });
  }

  async withdrawPermission(actor: Actor, departmentId: string, typeCode: string, permission: LicenceTypePermission): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (!(await repo.revokePermission(trx, departmentId, typeCode, permission))) {
        throw new NotFoundError('LicenceTypeGrantNotFound', `Department ${departmentId} has no ${permission} right to ${typeCode}`);
      }
      await this.audit.append(trx, actor, {
        action: 'licence-type.withdrawn',
        target: { type: 'department', id: departmentId },
        details: { typeCode, permission },
      });
    });
  }

  async permissions(departmentId: string) {
    if (!(await findDepartment(this.db, departmentId))) throw departmentNotFound(departmentId);
    const rows = await repo.listPermissions(this.db, departmentId);
    return rows.map((r) => ({ typeCode: r.type_code, permission: r.permission, grantedAt: r.granted_at }));
  }

  toLicence(row: LicenceRow): Licence {
    return {
      id: row.id,
      identifier: row.identifier,
      typeCode: row.type_code,
      typeName: this.catalogue.get(row.type_code)?.name ?? row.type_code,
      licenceNumber: row.licence_number,
      version: row.version,
      status: effectiveLicenceStatus(row, chinaDate(this.clock.now())),
      statusReason: row.status_reason,
      issuer: { departmentId: row.issuer_department_id, name: row.issuer_name, creditCode: row.issuer_credit_code },
      holders: row.holders.map((h) => ({ role: h.role, name: h.name, idTypeCode: h.idTypeCode, id: h.id })),
      fields: row.fields,
      issueDate: row.issue_date,
      validFrom: row.valid_from,
      validUntil: row.valid_until,
      issuedAt: row.issued_at,
      channel: row.channel,
      paperNumber: row.paper_number,
      supersedes: row.supersedes,
      supersededBy: row.superseded_by,
      fileSha256: row.file_sha256,
      fileSize: row.file_size,
      sealLevel: row.seal_level,
      verifyUrl: `${this.region.publicBaseUrl}/v/${row.verify_token}`,
    };
  }

  /** Builds one licence and stores it in one transaction, with the re-issue links and the caller's hooks. */
  private async produce(actor: IssuerActor, draft: LicenceDraft, sealId: string, hooks: IssueHooks): Promise<IssuedLicence> {
    const built = await this.producer.build(draft, await this.sealing.signerFor(actor, sealId));
    const { supersedes } = draft;
    try {
      await this.db.transaction().execute(async (trx) => {
        if (supersedes) {
          const old = await repo.lockLicenceByIdentifier(trx, supersedes.identifier);
          if (!old || old.superseded_by) {
            throw new ConflictError('LicenceAlreadyReissued', `Licence ${supersedes.identifier} has already been re-issued`);
          }
        }
        await this.assertMayIssue(actor, draft.type.code, trx);
        await this.producer.store(trx, actor, [built]);
        if (supersedes) {
          const at = built.row.issued_at as Date;
          await repo.updateLicence(trx, supersedes.id, { superseded_by: built.row.identifier, updated_at: at });
          await repo.insertEvents(trx, [{ licence_id: supersedes.id, action: 'reissue', from_status: null, to_status: 'superseded', reason: supersedes.reason, department_id: actor.departmentId, at }]);
        }
        if (hooks.inTransaction) await hooks.inTransaction(trx, built.row as unknown as LicenceRow);
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        if (draft.idempotencyKey) {
          const earlier = await repo.findByIdempotencyKey(this.db, actor.departmentId, draft.idempotencyKey);
          if (earlier) return this.replay(earlier, draft.requestSha256!);
        }
        throw new ConflictError('LicenceNumberTaken', `A ${draft.type.name} numbered ${draft.licenceNumber} already exists`, {
          cause: error,
          details: { licenceNumber: draft.licenceNumber },
        });
      }
      throw error;
    }
    if (supersedes) this.publicRecords.delete(supersedes.identifier);
    this.publicRecords.delete(built.row.identifier);
    const stored = (await repo.findLicenceById(this.db, built.row.id))!;
    return { licence: this.toLicence(stored), replayed: false };
  }

  private replay(earlier: LicenceRow, requestSha256: string): IssuedLicence {
    if (earlier.request_sha256 !== requestSha256) {
      throw new ConflictError('IdempotencyKeyReused', 'This Idempotency-Key was already used for a different request', {
        details: { identifier: earlier.identifier },
      });
    }
    return { licence: this.toLicence(earlier), replayed: true };
  }

  /**
   * Throws LicenceTypeNotAuthorised unless the department has the issue right to the type.
   * Checked before a licence is built and again in the transaction that stores it, so a right
   * withdrawn meanwhile (a batch group takes a fraction of a second to build) stores nothing.
   */
  async assertMayIssue(actor: IssuerActor, typeCode: string, db: Executor = this.db): Promise<void> {
    const type = this.catalogue.require(typeCode);
    if (!(await repo.hasPermission(db, actor.departmentId, type.code, 'issue'))) {
      throw new PermissionDeniedError('LicenceTypeNotAuthorised', `Your department may not issue ${type.name} (${type.code})`, {
        details: { typeCode: type.code },
      });
    }
  }

  private async issuerOf(actor: IssuerActor, type: LicenceType): Promise<LicenceDraft['issuer']> {
    await this.assertMayIssue(actor, type.code);
    const department = await findDepartment(this.db, actor.departmentId);
    if (!department?.credit_code) {
      throw new ConflictError('IssuerWithoutCreditCode', 'An issuing department needs a unified social credit code (it is part of the licence identifier)');
    }
    return { departmentId: actor.departmentId, name: department.name, creditCode: department.credit_code };
  }

  private async sealFor(actor: IssuerActor, type: LicenceType, requested: string | undefined): Promise<string> {
    if (requested) {
      const sealType = await repo.findSealType(this.db, requested);
      if (sealType !== undefined && sealType !== type.sealType) {
        throw new ConflictError('WrongSealType', `${type.name} is sealed with a ${type.sealType} seal, not a ${sealType} seal`, {
          details: { required: type.sealType, given: sealType },
        });
      }
      return requested; // the sealing service checks existence, status and the department's right to it
    }
    const sealId = await repo.findLicenceSeal(this.db, actor.departmentId, type.sealType);
    if (!sealId) {
      throw new ConflictError('NoLicenceSeal', `Your department has no active ${type.sealType} seal to seal ${type.name} with`, {
        details: { sealType: type.sealType },
      });
    }
    return sealId;
  }

  private async ownLicence(actor: IssuerActor, identifier: string): Promise<LicenceRow> {
    const row = await repo.findLicenceByIdentifier(this.db, identifier);
    if (!row) throw licenceNotFound(identifier);
    if (row.issuer_department_id !== actor.departmentId) throw notIssuer(identifier);
    return row;
  }

  private async hasFullAccess(actor: IssuerActor, row: LicenceRow): Promise<boolean> {
    if (row.issuer_department_id === actor.departmentId) return true;
    return repo.hasPermission(this.db, actor.departmentId, row.type_code, 'read');
  }

  private async view(actor: IssuerActor, row: LicenceRow): Promise<{ licence: Licence; full: boolean }> {
    const licence = this.toLicence(row);
    if (await this.hasFullAccess(actor, row)) return { licence, full: true };
    return { licence: maskLicence(licence), full: false };
  }
}

export interface LicenceDataCheckParams {
  identifier?: string;
  typeCode?: string;
  licenceNumber?: string;
  holderId?: string;
  holderName?: string;
}

export const DATA_CHECK_RESULTS = {
  0: '信息正确且有效',
  1: '信息正确，证照尚未生效',
  2: '信息正确，证照暂时失效（暂扣）',
  3: '信息正确，证照已失效',
  4: '信息不全，无法验证',
  5: '查无此证照',
  6: '未提供证照信息',
  7: '部分信息有误或不完整',
} as const;

export interface LicenceDataCheck {
  result: keyof typeof DATA_CHECK_RESULTS;
  message: string;
  identifier: string | null;
  status: LicenceStatus | null;
  validUntil: string | null;
}

function dataCheck(result: keyof typeof DATA_CHECK_RESULTS, licence: Licence | null): LicenceDataCheck {
  return {
    result,
    message: DATA_CHECK_RESULTS[result],
    identifier: licence?.identifier ?? null,
    status: licence?.status ?? null,
    validUntil: licence?.validUntil ?? null,
  };
}

const PUBLIC_RECORD_TTL_MS = 1_000;
const PUBLIC_RECORD_CACHE_SIZE = 10_000;

const AUDIT_VERBS: Record<LicenceAction, string> = { suspend: 'suspended', resume: 'resumed', revoke: 'revoked', cancel: 'cancelled' };

const PAPER_NUMBER = /^[0-9A-Za-z\u4e00-\u9fff-]{1,40}$/;

function checkPaperLicence(paper: { licenceNumber: string; issueDate: string }, today: string): void {
  if (!PAPER_NUMBER.test(paper.licenceNumber)) {
    throw new InvalidInputError('InvalidLicenceNumber', 'licenceNumber: 1-40 letters, digits, Chinese characters or dashes');
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(paper.issueDate) || Number.isNaN(Date.parse(`${paper.issueDate}T00:00:00Z`)) || paper.issueDate > today) {
    throw new InvalidInputError('InvalidIssueDate', 'issueDate: a date (YYYY-MM-DD) not in the future');
  }
}

/**
 * The checks of a new licence's data (template rules, check characters, dates), of the paper
 * number given alongside, or of the paper licence being digitised; throws InvalidInputError.
 */
function checkIssuance(
  type: LicenceType,
  params: LicenceDataParams & { paperNumber?: string },
  paper: { licenceNumber: string; issueDate: string } | null,
  now: Date,
): { data: LicenceData; issueDate: string; paperNumber: string | null } {
  const today = chinaDate(now);
  const data = validateLicenceData(type, params, now);
  const paperNumber = params.paperNumber?.trim() || null;
  if (paperNumber !== null && !PAPER_NUMBER.test(paperNumber)) {
    throw new InvalidInputError('InvalidPaperNumber', 'paperNumber: 1-40 letters, digits or dashes');
  }
  if (paper) checkPaperLicence(paper, today);
  else if (data.validUntil !== null && data.validUntil < today) {
    throw new InvalidInputError('InvalidLicenceData', `1 problem(s) in the licence data: validUntil: ${data.validUntil} is already past`, {
      details: { problems: [{ path: 'validUntil', code: 'validity-in-past', message: 'A new licence cannot end before today' }] },
    });
  }
  return { data, issueDate: paper?.issueDate ?? today, paperNumber: paper ? paper.licenceNumber : paperNumber };
}

/** Licences rendered and sealed at once in a batch group: the key backend and time-stamps are asynchronous. */
const BUILDS_IN_FLIGHT = 4;

/** `fn` over `items`, at most `limit` at a time, results in order. */
async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function requireReason(reason: string | undefined): string {
  const trimmed = reason?.trim() ?? '';
  if (trimmed.length === 0 || trimmed.length > 500) {
    throw new InvalidInputError('ReasonRequired', 'reason: 1-500 characters saying why');
  }
  return trimmed;
}

function requestDigest(params: object): string {
  const { idempotencyKey: _ignored, ...rest } = params as Record<string, unknown>;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

export function licenceNotFound(identifier: string): NotFoundError {
  return new NotFoundError('LicenceNotFound', `No licence ${identifier}`);
}

function notIssuer(identifier: string): PermissionDeniedError {
  return new PermissionDeniedError('NotLicenceIssuer', `Only the issuing department may change licence ${identifier}`);
}

/** Masks a name keeping the first and last character: 张三 → 张*, 张小三 → 张*三, 欧阳小明 → 欧**明. */
export function maskName(name: string): string {
  const chars = Array.from(name);
  if (chars.length <= 1) return '*';
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}

/** Masks an id keeping the first 4 and last 4 characters: 1101**********002X. */
export function maskId(id: string): string {
  if (id.length <= 8) return '*'.repeat(id.length);
  return `${id.slice(0, 4)}${'*'.repeat(id.length - 8)}${id.slice(-4)}`;
}

/** The view of a licence for someone without a right to the holder's personal data. */
export function maskLicence(licence: Licence): Licence {
  return {
    ...licence,
    holders: licence.holders.map((h) => ({ ...h, name: h.idTypeCode === '001' ? h.name : maskName(h.name), id: h.idTypeCode === '001' ? h.id : maskId(h.id) })),
    fields: {},
  };
}
