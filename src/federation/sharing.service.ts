import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { PDFDocument, rgb } from '@cantoo/pdf-lib';
import type { Logger } from 'pino';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { Hierarchy } from '../authority/hierarchy.js';
import type { Clock } from '../clock.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import type { Database } from '../db/schema/database.js';
import { findDepartment } from '../departments/department.repository.js';
import { AppError, ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError, UnavailableError } from '../errors.js';
import type { IssuerActor, LicenceService } from '../licences/licence.service.js';
import { embedCjkFont } from '../pdf/cjk-font.js';
import type { SealingService } from '../seals/sealing.service.js';
import type { PeerDirectory } from './peer-directory.js';
import type { PeerService } from './peer.service.js';
import { openShareRequest, SHARE_REQUEST_MAX_AGE_S, type ShareRequestClaims, shareRequestSigningInput } from './share-request.js';
import { jwsAlgorithmFor, signJws } from './jws.js';

export interface ShareAnswer {
  licence: { identifier: string; typeCode: string; typeName: string; status: string; issuer: string; validUntil: string | null };
  download: { url: string; expiresAt: string };
  consent: string;
}

export interface ShareRequestParams {
  regionId: string;
  purpose: string;
  identifier?: string;
  holder?: { id: string; idTypeCode: '111' | '001'; typeCode: string };
  consentCode?: string;
}

const LINK_TTL_MS = 10 * 60 * 1000;
const CONSENT_TTL_MS_DEFAULT = 30 * 60 * 1000;
const PEER_TIMEOUT_MS = 10_000;

/**
 * Cross-region sharing (跨地区共享) of licences with purpose, consent and usage records.
 *
 * In the holder's region: a request is answered only when it is signed with the requesting
 * region's pinned trust-list key, is fresh and not replayed, names a purpose (用证事由), the
 * sharing agreement lets that department have that licence type, and the holder consented (a
 * one-time authorisation code issued here) or the agreement names a legal basis for the type.
 * The answer is a one-time link, valid ten minutes, to an annotated copy (加注件): the issued
 * file plus a further signature whose visible box states the purpose, the requesting department
 * and the deadline, so the copy still verifies and its use is on its face. Every request, granted
 * or refused, is a usage record here; the requesting region keeps its own.
 */
export class SharingService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly licences: LicenceService,
    private readonly sealing: SealingService,
    private readonly hierarchy: Hierarchy,
    private readonly peers: PeerService,
    private readonly directory: PeerDirectory,
    private readonly region: { id: string; name: string; publicBaseUrl: string },
  ) {}

  // ---- agreements and consents (holder's region) ----

  async setAgreement(actor: Actor, peerRegionId: string, params: { typeCode: string; departmentCreditCode: string; legalBasis?: string }): Promise<void> {
    await this.peers.get(peerRegionId);
    const type = this.licences.catalogue.require(params.typeCode);
    const now = this.clock.now();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('sharing_agreements')
        .values({ peer_region_id: peerRegionId, department_credit_code: params.departmentCreditCode, type_code: type.code, legal_basis: params.legalBasis ?? null, created_at: now })
        .onConflict((oc) => oc.columns(['peer_region_id', 'department_credit_code', 'type_code']).doUpdateSet({ legal_basis: params.legalBasis ?? null }))
        .execute();
      await this.audit.append(trx, actor, { action: 'sharing-agreement.set', target: { type: 'peer', id: peerRegionId }, details: { ...params, typeCode: type.code } });
    });
  }

  async agreements(peerRegionId: string) {
    const rows = await this.db.selectFrom('sharing_agreements').selectAll().where('peer_region_id', '=', peerRegionId).orderBy('type_code').execute();
    return rows.map((r) => ({ typeCode: r.type_code, departmentCreditCode: r.department_credit_code, legalBasis: r.legal_basis, createdAt: r.created_at }));
  }

  async removeAgreement(actor: Actor, peerRegionId: string, typeCode: string, departmentCreditCode: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const deleted = await trx
        .deleteFrom('sharing_agreements')
        .where('peer_region_id', '=', peerRegionId)
        .where('type_code', '=', typeCode)
        .where('department_credit_code', '=', departmentCreditCode)
        .executeTakeFirst();
      if (Number(deleted.numDeletedRows) === 0) throw new NotFoundError('AgreementNotFound', 'No such sharing agreement');
      await this.audit.append(trx, actor, { action: 'sharing-agreement.removed', target: { type: 'peer', id: peerRegionId }, details: { typeCode, departmentCreditCode } });
    });
  }

  /**
   * A holder's authorisation code (用证授权码) for one licence, issued by the department that
   * issued it (at a counter or through its app, after identifying the holder). Shown once; stored
   * as a hash; single use; 30 minutes by default.
   */
  async issueConsent(actor: IssuerActor, identifier: string, params: { purpose?: string; validMinutes?: number }): Promise<{ code: string; expiresAt: Date }> {
    const source = await this.licences.sharingSource({ identifier });
    if (!source) throw new NotFoundError('LicenceNotFound', `No licence ${identifier}`);
    if (source.issuerDepartmentId !== actor.departmentId) throw new PermissionDeniedError('NotLicenceIssuer', 'Only the issuing department records a holder’s consent');
    const code = randomBytes(6).toString('base64url').toUpperCase().replace(/[^A-Z0-9]/g, 'X').slice(0, 8);
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + (params.validMinutes ? params.validMinutes * 60_000 : CONSENT_TTL_MS_DEFAULT));
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('holder_consents').values({ code_sha256: sha256(code), licence_id: source.licenceId, purpose: params.purpose ?? null, expires_at: expiresAt, used_at: null, created_at: now }).execute();
      await this.audit.append(trx, actor, { action: 'holder-consent.issued', target: { type: 'licence', id: source.licenceId }, details: { identifier, expiresAt: expiresAt.toISOString() } });
    });
    return { code, expiresAt };
  }

  // ---- answering a peer (holder's region) ----

  async answer(jws: string): Promise<ShareAnswer> {
    const opened = openShareRequest(jws);
    if (typeof opened === 'string') {
      await this.refused(null, null, opened === 'bad-signature' ? 'ShareRequestBadSignature' : 'ShareRequestMalformed');
      throw new InvalidInputError(opened === 'bad-signature' ? 'ShareRequestBadSignature' : 'ShareRequestMalformed', `The sharing request is ${opened.replace('-', ' ')}`);
    }
    const { claims, signerFingerprint } = opened;
    const now = this.clock.now();
    const refuse = async (error: AppError, licence: string | null = null, type: string | null = null): Promise<never> => {
      await this.refused(claims, { licence, type }, error.code);
      throw error;
    };
    let peer;
    try {
      peer = await this.peers.get(claims.iss);
    } catch {
      return refuse(new PermissionDeniedError('UnknownRegion', `Region ${claims.iss} is not recognised here`));
    }
    if (peer.status !== 'active') return refuse(new PermissionDeniedError('PeerStale', `The trust list of region ${claims.iss} is out of date`));
    if (signerFingerprint !== peer.pinnedFingerprint) return refuse(new PermissionDeniedError('ShareRequestBadSignature', 'The request is not signed with the region’s pinned key'));
    const seen = await this.db.selectFrom('sharing_usage').select('id').where('peer_region_id', '=', claims.iss).where('request_id', '=', claims.jti).executeTakeFirst();
    if (seen) throw await this.replayed(claims);
    if (claims.aud !== this.region.id) return refuse(new InvalidInputError('ShareRequestWrongAudience', `The request is for region ${claims.aud}`));
    const nowS = Math.floor(now.getTime() / 1000);
    if (claims.exp < nowS || claims.iat > nowS + 60 || claims.exp - claims.iat > SHARE_REQUEST_MAX_AGE_S) {
      return refuse(new InvalidInputError('ShareRequestExpired', 'The request has expired or is not yet valid'));
    }
    const purpose = claims.purpose.trim();
    if (purpose.length === 0 || purpose.length > 200) return refuse(new InvalidInputError('PurposeRequired', 'A purpose of use (用证事由) of 1-200 characters is required'));
    const source = await this.licences.sharingSource(
      claims.identifier ? { identifier: claims.identifier } : claims.holder ? { holderId: claims.holder.id, idTypeCode: claims.holder.idTypeCode, typeCode: claims.holder.typeCode } : { identifier: '' },
    );
    if (!source) return refuse(new NotFoundError('LicenceNotFound', 'No such licence'), claims.identifier ?? null, claims.holder?.typeCode ?? null);
    const { licence } = source;
    const agreement = await this.db
      .selectFrom('sharing_agreements')
      .selectAll()
      .where('peer_region_id', '=', claims.iss)
      .where('type_code', '=', licence.typeCode)
      .where('department_credit_code', 'in', [claims.department.creditCode, '*'])
      .orderBy('department_credit_code', 'desc')
      .executeTakeFirst();
    if (!agreement) {
      return refuse(new PermissionDeniedError('NotInAgreement', `No sharing agreement lets this department of region ${claims.iss} have ${licence.typeName}`), licence.identifier, licence.typeCode);
    }
    let consent: string;
    if (claims.consentCode) {
      const used = await this.db
        .updateTable('holder_consents')
        .set({ used_at: now })
        .where('code_sha256', '=', sha256(claims.consentCode.trim().toUpperCase()))
        .where('licence_id', '=', source.licenceId)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .returning('code_sha256')
        .executeTakeFirst();
      if (!used) return refuse(new PermissionDeniedError('ConsentInvalid', 'The holder’s authorisation code is wrong, used or expired'), licence.identifier, licence.typeCode);
      consent = 'holder-code';
    } else if (agreement.legal_basis) {
      consent = `legal-basis: ${agreement.legal_basis}`;
    } else {
      return refuse(new PermissionDeniedError('ConsentRequired', 'The holder’s authorisation code is required for this licence type'), licence.identifier, licence.typeCode);
    }
    if (licence.status !== 'valid') return refuse(new ConflictError('LicenceNotValid', `The licence is ${licence.status}`), licence.identifier, licence.typeCode);

    const expiresAt = new Date(now.getTime() + LINK_TTL_MS);
    const annotated = await this.annotatedCopy(source, { purpose, department: claims.department.name, region: peer.name, expiresAt });
    const token = randomBytes(24).toString('base64url');
    try {
      await this.db.transaction().execute(async (trx) => {
        const usage = await trx
          .insertInto('sharing_usage')
          .values(providedUsage(claims, { licence: licence.identifier, type: licence.typeCode }, 'granted', consent, now))
          .returning('id')
          .executeTakeFirstOrThrow();
        await trx.insertInto('share_links').values({ token_sha256: sha256(token), licence_id: source.licenceId, usage_id: Number(usage.id), pdf: annotated.pdf, expires_at: expiresAt, used_at: null }).execute();
        await this.sealing.recordUse(trx, annotated.actor, annotated.signed);
        await this.audit.append(trx, { departmentId: null, keyId: null, requestId: claims.jti }, {
          action: 'licence.shared',
          target: { type: 'licence', id: source.licenceId },
          details: { identifier: licence.identifier, region: claims.iss, department: claims.department.creditCode, purpose, consent },
        });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw await this.replayed(claims);
      throw error;
    }
    return {
      licence: { identifier: licence.identifier, typeCode: licence.typeCode, typeName: licence.typeName, status: licence.status, issuer: licence.issuer.name, validUntil: licence.validUntil },
      download: { url: `${this.region.publicBaseUrl}/federation/v1/downloads/${token}`, expiresAt: expiresAt.toISOString() },
      consent,
    };
  }

  /** The annotated copy behind a one-time link; the link works once, for ten minutes. */
  async download(token: string): Promise<{ pdf: Uint8Array; identifier: string }> {
    const now = this.clock.now();
    const row = await this.db
      .updateTable('share_links')
      .set({ used_at: now })
      .where('token_sha256', '=', sha256(token))
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returning(['pdf', 'licence_id'])
      .executeTakeFirst();
    if (!row) throw new NotFoundError('ShareLinkInvalid', 'This download link is unknown, already used or expired');
    const licence = await this.db.selectFrom('licences').select('identifier').where('id', '=', row.licence_id).executeTakeFirstOrThrow();
    return { pdf: row.pdf, identifier: licence.identifier };
  }

  // ---- asking a peer (requesting region) ----

  async request(actor: IssuerActor, params: ShareRequestParams): Promise<ShareAnswer> {
    const purpose = params.purpose?.trim() ?? '';
    if (!purpose) throw new InvalidInputError('PurposeRequired', 'A purpose of use (用证事由) is required');
    if (!params.identifier && !params.holder) throw new InvalidInputError('LicenceQueryRequired', 'Give the licence identifier, or the holder id, its type code and the licence type');
    const peer = await this.directory.region(params.regionId);
    if (!peer) throw new NotFoundError('PeerNotFound', `Region ${params.regionId} is not recognised (or its trust list is out of date)`);
    const department = await findDepartment(this.db, actor.departmentId);
    if (!department?.credit_code) throw new ConflictError('DepartmentWithoutCreditCode', 'The requesting department needs a credit code');
    const now = Math.floor(this.clock.now().getTime() / 1000);
    const claims: ShareRequestClaims = {
      iss: this.region.id,
      aud: peer.regionId,
      jti: randomUUID(),
      iat: now,
      exp: now + SHARE_REQUEST_MAX_AGE_S,
      department: { creditCode: department.credit_code, name: department.name },
      purpose,
      ...(params.identifier ? { identifier: params.identifier } : {}),
      ...(params.holder ? { holder: params.holder } : {}),
      ...(params.consentCode ? { consentCode: params.consentCode } : {}),
    };
    const signer = this.hierarchy.trustListSigner;
    const input = shareRequestSigningInput(claims, jwsAlgorithmFor(signer.algorithm), signer.der);
    const jws = await signJws(signer, input);
    let outcome = 'granted';
    let answer: ShareAnswer | null = null;
    let failure: AppError | null = null;
    try {
      const response = await fetch(peer.payload.services.sharing, {
        method: 'POST',
        headers: { 'Content-Type': 'application/jose', Accept: 'application/json' },
        body: jws,
        signal: AbortSignal.timeout(PEER_TIMEOUT_MS),
      });
      const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
      if (response.ok) answer = body as unknown as ShareAnswer;
      else {
        outcome = typeof body.code === 'string' ? body.code : `HTTP ${response.status}`;
        failure = new PermissionDeniedError('PeerRefused', `Region ${peer.regionId} refused: ${outcome}${typeof body.detail === 'string' ? ` (${body.detail})` : ''}`, { details: { peerCode: outcome } });
      }
    } catch (error) {
      outcome = 'PeerUnreachable';
      failure = new UnavailableError('PeerUnreachable', `Region ${peer.regionId} did not answer`, { cause: error });
    }
    const at = this.clock.now();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('sharing_usage')
        .values({
          direction: 'received',
          peer_region_id: peer.regionId,
          department_credit_code: department.credit_code!,
          department_name: department.name,
          licence_identifier: answer?.licence.identifier ?? params.identifier ?? null,
          type_code: answer?.licence.typeCode ?? params.holder?.typeCode ?? null,
          purpose,
          outcome,
          consent: answer?.consent ?? (params.consentCode ? 'holder-code' : null),
          request_id: claims.jti,
          at,
        })
        .execute();
      await this.audit.append(trx, actor, {
        action: 'licence.share-requested',
        target: { type: 'peer', id: peer.regionId },
        outcome: answer ? 'success' : 'rejected',
        details: { identifier: answer?.licence.identifier ?? params.identifier ?? null, purpose, outcome },
      });
    });
    if (failure) throw failure;
    return answer!;
  }

  /** Usage records, newest first: for the holder's region, what it gave out; for the requesting one, what it got. */
  async usage(filter: { identifier?: string; direction?: 'provided' | 'received' }) {
    let query = this.db.selectFrom('sharing_usage').selectAll().orderBy('id', 'desc').limit(500);
    if (filter.identifier) query = query.where('licence_identifier', '=', filter.identifier);
    if (filter.direction) query = query.where('direction', '=', filter.direction);
    return (await query.execute()).map((r) => ({
      direction: r.direction,
      region: r.peer_region_id,
      department: { creditCode: r.department_credit_code, name: r.department_name },
      identifier: r.licence_identifier,
      typeCode: r.type_code,
      purpose: r.purpose,
      outcome: r.outcome,
      consent: r.consent,
      requestId: r.request_id,
      at: r.at,
    }));
  }

  private async annotatedCopy(
    source: NonNullable<Awaited<ReturnType<LicenceService['sharingSource']>>>,
    note: { purpose: string; department: string; region: string; expiresAt: Date },
  ) {
    const width = 260;
    const height = 64;
    const lines = [
      `加注件 · 仅用于：${note.purpose}`.slice(0, 40),
      `用证单位：${note.department}（${note.region}）`.slice(0, 40),
      `制作：${this.region.name}电子证照共享服务 ${beijing(this.clock.now())}`,
      `有效期至：${beijing(note.expiresAt)}`,
    ];
    const doc = await PDFDocument.create({ updateMetadata: false });
    const font = await embedCjkFont(doc, `annotation:${lines.join('|')}`);
    const page = doc.addPage([width, height]);
    page.drawRectangle({ x: 1, y: 1, width: width - 2, height: height - 2, borderColor: rgb(0.7, 0.1, 0.1), borderWidth: 1, color: rgb(1, 0.97, 0.95), opacity: 0.85 });
    lines.forEach((line, i) => page.drawText(line, { x: 8, y: height - 15 - i * 14, size: 8.5, font, color: rgb(0.6, 0.05, 0.05) }));
    const appearance = await doc.save({ useObjectStreams: false });
    // The licence's own issuing department makes the copy, with the seal that sealed the licence.
    const actor = { departmentId: source.issuerDepartmentId, keyId: null, requestId: 'sharing' };
    const signed = await this.sealing.sign(actor, {
      sealId: source.sealId,
      pdf: source.pdf,
      level: 'B-T',
      placement: { page: 1, x: 36, y: 36 },
      appearance: { pdf: appearance, width, height },
      reason: `加注：${note.purpose}`.slice(0, 100),
      location: this.region.name,
    });
    return { pdf: signed.pdf, signed, actor };
  }

  private async refused(claims: ShareRequestClaims | null, what: { licence: string | null; type: string | null } | null, code: string): Promise<void> {
    try {
      await this.db.transaction().execute(async (trx) => {
        if (claims) {
          await trx
            .insertInto('sharing_usage')
            .values(providedUsage(claims, what, code, null, this.clock.now()))
            .onConflict((oc) => oc.doNothing())
            .execute();
        }
        await this.audit.append(trx, { departmentId: null, keyId: null, requestId: claims?.jti ?? null }, {
          action: 'licence.share-refused',
          outcome: 'rejected',
          details: { code, region: claims?.iss ?? null, department: claims?.department.creditCode ?? null },
        });
      });
    } catch (error) {
      this.logger.warn({ err: error }, 'could not record a refused sharing request');
    }
  }

  private async replayed(claims: ShareRequestClaims): Promise<AppError> {
    await this.audit.record({ departmentId: null, keyId: null, requestId: claims.jti }, { action: 'licence.share-refused', outcome: 'rejected', details: { code: 'ShareRequestReplayed', region: claims.iss } });
    return new ConflictError('ShareRequestReplayed', 'This request was already answered');
  }
}

/** The holder's region's record of one request: who asked for which licence, why, and what it got. */
function providedUsage(
  claims: ShareRequestClaims,
  what: { licence: string | null; type: string | null } | null,
  outcome: string,
  consent: string | null,
  at: Date,
) {
  return {
    direction: 'provided' as const,
    peer_region_id: claims.iss,
    department_credit_code: claims.department.creditCode,
    department_name: claims.department.name,
    licence_identifier: what?.licence ?? claims.identifier ?? null,
    type_code: what?.type ?? claims.holder?.typeCode ?? null,
    purpose: claims.purpose.trim().slice(0, 200),
    outcome,
    consent,
    request_id: claims.jti,
    at,
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function beijing(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');
}
