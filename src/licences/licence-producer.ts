import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { AuditEntryParams, AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import type { DatabaseSchema } from '../db/schema/database.js';
import type { LicenceChannel, LicenceHolderRecord, NewLicenceRow } from '../db/schema/licences.table.js';
import type { PadesLevel } from '../pades/sign-pdf.js';
import { buildLicenceIdentifier } from '../pki/licence-identifier.js';
import type { SealingService, SealSigner, SignedDocument } from '../seals/sealing.service.js';
import type { IssuerActor } from './licence.service.js';
import type { LicenceData } from './licence-data.js';
import { type LicenceMetadata, renderLicencePdf } from './licence-pdf.js';
import * as repo from './licence.repository.js';
import { contentHashClaim } from './licence-token.js';
import type { LicenceTokenService } from './licence-token.service.js';
import { HOLDER_ID_TYPE_CODES, HOLDER_ID_TYPE_NAMES, type LicenceType } from './licence-type.js';

/** Everything decided about a licence before it is made: checked data, number, serial, version. */
export interface LicenceDraft {
  type: LicenceType;
  issuer: { departmentId: string; name: string; creditCode: string };
  data: LicenceData;
  serial: string;
  version: number;
  licenceNumber: string;
  issueDate: string;
  channel: LicenceChannel;
  paperNumber: string | null;
  level: PadesLevel;
  idempotencyKey: string | null;
  requestSha256: string | null;
  /** Re-issue (换发): the licence this one replaces. */
  supersedes: { id: string; identifier: string; reason: string } | null;
  batchJobId: string | null;
}

/** A licence rendered and sealed, with every row that stores it; nothing written yet. */
export interface BuiltLicence {
  row: NewLicenceRow & { id: string; identifier: string };
  holders: LicenceHolderRecord[];
  signed: SignedDocument;
  event: repo.NewLicenceEvent;
  audit: AuditEntryParams;
}

/**
 * Makes licences: builds the identifier, signs the QR token, renders the face, seals it
 * ({@link build}, no writes), and stores built licences with their files, holders, history,
 * seal use log and audit entries ({@link store}, in the caller's transaction). Single
 * issuance stores one licence per transaction; a batch stores a group, with the same rows.
 */
export class LicenceProducer {
  constructor(
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly sealing: SealingService,
    private readonly tokens: LicenceTokenService,
    private readonly region: { id: string; name: string; publicBaseUrl: string },
  ) {}

  async build(draft: LicenceDraft, signer: SealSigner): Promise<BuiltLicence> {
    const { type, data } = draft;
    const identifier = buildLicenceIdentifier({ typeCode: type.code, issuerCreditCode: draft.issuer.creditCode, serial: draft.serial, version: draft.version });
    const issuedAt = this.clock.now();
    const metadata = metadataOf(draft, identifier, this.region.id);
    const holders: LicenceHolderRecord[] = data.holders.map((h) => ({ role: h.role, name: h.name, id: h.id, idTypeCode: h.idTypeCode }));
    const contentHash = contentHashClaim({ metadata, holders, fields: data.fields });
    const { token, kid } = await this.tokens.sign({ iss: this.region.id, sub: identifier, iat: Math.floor(issuedAt.getTime() / 1000), h: contentHash });
    const verifyUrl = `${this.region.publicBaseUrl}/v/${token}`;
    const pdf = await renderLicencePdf({ type, data, identifier, licenceNumber: draft.licenceNumber, issuerName: draft.issuer.name, issueDate: draft.issueDate, issuedAt, verifyUrl, metadata });
    const signed = await signer.sign({
      pdf,
      level: draft.level,
      placement: { page: 1, x: type.layout.seal.x, y: type.layout.seal.y, size: type.layout.seal.size },
      reason: `${draft.supersedes ? '换发' : '签发'}${type.name}`,
      location: this.region.name,
      certify: true,
      writtenHere: true,
    });
    const id = randomUUID();
    return {
      row: {
        id,
        identifier,
        type_code: type.code,
        licence_number: draft.licenceNumber,
        serial: draft.serial,
        version: draft.version,
        issuer_department_id: draft.issuer.departmentId,
        issuer_name: draft.issuer.name,
        issuer_credit_code: draft.issuer.creditCode,
        holder_name: holders[0]!.name,
        holders: JSON.stringify(holders),
        fields: JSON.stringify(data.fields),
        issue_date: draft.issueDate,
        valid_from: data.validFrom,
        valid_until: data.validUntil,
        issued_at: issuedAt,
        channel: draft.channel,
        paper_number: draft.paperNumber,
        status: 'valid',
        status_reason: null,
        status_changed_at: issuedAt,
        supersedes: draft.supersedes?.identifier ?? null,
        superseded_by: null,
        seal_id: signed.sealId,
        seal_level: draft.level,
        content_sha256: contentHash,
        file_sha256: signed.sha256,
        file_size: signed.pdf.byteLength,
        token_kid: kid,
        verify_token: token,
        idempotency_key: draft.idempotencyKey,
        request_sha256: draft.requestSha256,
        batch_job_id: draft.batchJobId,
        created_at: issuedAt,
        updated_at: issuedAt,
      },
      holders,
      signed,
      event: {
        licence_id: id,
        action: draft.supersedes ? 'reissued' : 'issue',
        from_status: null,
        to_status: 'valid',
        reason: draft.supersedes?.reason ?? null,
        department_id: draft.issuer.departmentId,
        at: issuedAt,
      },
      audit: {
        action: draft.supersedes ? 'licence.reissued' : 'licence.issued',
        target: { type: 'licence', id },
        details: {
          identifier,
          typeCode: type.code,
          licenceNumber: draft.licenceNumber,
          channel: draft.channel,
          level: draft.level,
          fileSha256: signed.sha256,
          ...(draft.supersedes ? { supersedes: draft.supersedes.identifier, reason: draft.supersedes.reason } : {}),
        },
      },
    };
  }

  /**
   * Stores built licences inside `trx`, `actor` being their issuing department: a fixed number of
   * statements however many there are (licences, files, holders, history, seal uses, audit).
   * Each licence's audit entries come in order: its seal use, then its issuance.
   */
  async store(trx: Transaction<DatabaseSchema>, actor: IssuerActor, built: readonly BuiltLicence[]): Promise<void> {
    await repo.insertLicences(trx, built.map((b) => ({ row: b.row, pdf: b.signed.pdf, holders: b.holders })));
    await repo.insertEvents(trx, built.map((b) => b.event));
    const uses = await this.sealing.insertUses(trx, actor, built.map((b) => b.signed));
    await this.audit.appendMany(trx, actor, built.flatMap((b, i) => [uses[i]!, b.audit]));
  }
}

function metadataOf(draft: LicenceDraft, identifier: string, regionId: string): LicenceMetadata {
  const { type, data } = draft;
  const holder = data.holders[0]!;
  return {
    ZZMC: type.name,
    ZZLXDM: type.code,
    ZZBH: draft.licenceNumber,
    ZZBS: identifier,
    ZZBFJG: draft.issuer.name,
    ZZBFJGDM: draft.issuer.creditCode,
    ZZBFRQ: draft.issueDate.replaceAll('-', ''),
    CZZT: data.holders.map((h) => h.name).join('、'),
    CZZTDM: data.holders.map((h) => h.id).join('、'),
    CZZTDMLX: HOLDER_ID_TYPE_NAMES[type.holderKind],
    CZZTDMLXDM: HOLDER_ID_TYPE_CODES[type.holderKind] ?? holder.idTypeCode,
    ZZYXQQSRQ: data.validFrom.replaceAll('-', ''),
    ZZYXQJZRQ: data.validUntil ? data.validUntil.replaceAll('-', '') : '长期',
    ZZDYJGMC: type.definingAuthority.name,
    ZZDYJGDM: type.definingAuthority.creditCode,
    ZZBBH: String(draft.version).padStart(3, '0'),
    ZZSSSDDM: regionId,
  };
}
