import { createHash } from 'node:crypto';
import type { Actor, AuditEntryParams, AuditService } from '../audit/audit.service.js';
import type { Hierarchy } from '../authority/hierarchy.js';
import type { Clock } from '../clock.js';
import type { Transaction } from 'kysely';
import type { Database, DatabaseSchema } from '../db/schema/database.js';
import type { SealRow } from '../db/schema/seals.table.js';
import { ConflictError, InvalidInputError, PermissionDeniedError } from '../errors.js';
import { analyseUpdates } from '../validation/validate-pdf.js';
import { type PadesLevel, type PadesServices, signPdf } from '../pades/sign-pdf.js';
import type { BackendKeyPair, KeyBackend } from '../signing/key-backend.js';
import { DEFAULT_SEAL_SIZE_PT, type SealDesign, sealPdf, sealSvg } from './seal-appearance.js';
import * as repo from './seal.repository.js';
import { type SealService, sealNotFound } from './seal.service.js';
import { SEAL_TYPE_LABELS } from './seal-types.js';

export interface SealPlacementParams {
  /** 1-based page number. */
  page: number;
  /** Lower-left corner of the seal, in points from the page's lower-left corner. */
  x: number;
  y: number;
  /** Width and height of the seal, in points (default: 42 mm round seals, 20 mm name seals). */
  size?: number;
}

export interface SealDocumentParams {
  sealId: string;
  pdf: Uint8Array;
  level: PadesLevel;
  /** Absent: an invisible signature. */
  placement?: SealPlacementParams;
  reason?: string;
  location?: string;
  /** Make this the document's certification signature (DocMDP P=2: form filling and further signatures allowed). */
  certify?: boolean;
  /**
   * Draw this one-page PDF (e.g. an annotation text) as the signature's appearance instead of
   * the seal, in a `width` × `height` box at the placement's corner.
   */
  appearance?: { pdf: Uint8Array; width: number; height: number };
  /**
   * The PDF was written from scratch by this service (a licence face): one revision, no
   * object defined twice, so the check for ambiguous input is skipped.
   */
  writtenHere?: boolean;
}

/** A seal checked once and ready to sign documents; see {@link SealingService.signerFor}. */
export interface SealSigner {
  readonly sealId: string;
  sign(params: Omit<SealDocumentParams, 'sealId'>): Promise<SignedDocument>;
}

export interface SealedDocument {
  pdf: Uint8Array;
  sealCode: string;
  level: PadesLevel;
  sha256: string;
}

export interface SignedDocument extends SealedDocument {
  sealId: string;
  certificateSerial: string;
  signedAt: Date;
  documentSha256: string;
}

/**
 * Applies a seal to a PDF for a department allowed to use it, and records the use. Licence
 * issuance calls this directly; the HTTP endpoint is a thin wrapper.
 */
export class SealingService {
  private readonly keyCache = new Map<string, Promise<BackendKeyPair>>();
  private readonly backends: ReadonlyMap<string, KeyBackend>;
  private readonly chainDer: Uint8Array[];

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly seals: SealService,
    hierarchy: Hierarchy,
    private readonly services: PadesServices,
  ) {
    this.backends = new Map([...hierarchy.authorities.values()].map((a) => [a.backend.name, a.backend]));
    this.chainDer = hierarchy.authorities.get('seal-ca')!.chain.map((cert) => new Uint8Array(cert.rawData));
  }

  async seal(actor: Actor & { departmentId: string }, params: SealDocumentParams): Promise<SealedDocument> {
    const signed = await this.sign(actor, params);
    await this.db.transaction().execute((trx) => this.recordUse(trx, actor, signed));
    return signed;
  }

  /**
   * Checks the seal and signs, without writing anything: callers that store the sealed
   * document (licence issuance) record the use with {@link recordUse} in their own
   * transaction, so the document and its use log entry exist together or not at all.
   */
  async sign(actor: Actor & { departmentId: string }, params: SealDocumentParams): Promise<SignedDocument> {
    const signer = await this.signerFor(actor, params.sealId);
    return signer.sign(params);
  }

  /**
   * Makes the checks {@link sign} makes (the seal exists, is usable, granted to the department,
   * its certificate valid) once, for signing many documents with the same seal: a batch
   * checks its seal once per group of licences, not once per licence.
   */
  async signerFor(actor: Actor & { departmentId: string }, sealId: string): Promise<SealSigner> {
    const found = this.usableForUse(sealId, await repo.findSealForUse(this.db, sealId, actor.departmentId));
    const { seal } = found;
    const keys = await this.keysOf(seal);
    const crypto = this.backendOf(seal).crypto;
    const design = designOf(seal);
    return {
      sealId: seal.id,
      sign: async (params) => {
        // 42 mm for an organisation's round seal, 20 mm for a personal name seal, unless asked otherwise.
        const size = params.placement?.size ?? DEFAULT_SEAL_SIZE_PT[design.kind];
        const signedAt = this.clock.now();
        const sealed = await signPdf({
          pdf: params.pdf,
          signer: { certificate: found.certificateDer, chain: this.chainDer, privateKey: keys.privateKey, crypto },
          level: params.level,
          services: this.services,
          signingTime: signedAt,
          ...(params.placement
            ? {
                placement: {
                  page: params.placement.page,
                  x: params.placement.x,
                  y: params.placement.y,
                  width: params.appearance?.width ?? size,
                  height: params.appearance?.height ?? size,
                },
                appearance: params.appearance?.pdf ?? (await sealPdf(design, size)),
              }
            : {}),
          reason: params.reason,
          location: params.location,
          name: seal.name,
          ...(params.certify ? { certify: { permissions: 2 as const } } : {}),
        });
        if (!params.writtenHere) this.assertSealedWhatWasShown(sealed);
        return {
          pdf: sealed,
          sealId: seal.id,
          sealCode: seal.seal_code,
          certificateSerial: seal.certificate_serial,
          level: params.level,
          signedAt,
          documentSha256: sha256(params.pdf),
          sha256: sha256(sealed),
        };
      },
    };
  }

  /**
   * A PDF that defines an object twice can show one thing in a reader (which follows the
   * cross-reference table) while the PDF library we add the seal with takes the other
   * definition: the seal would then certify content nobody saw. The update we appended must
   * not change what a reader shows (e.g. "page 1: /Contents changed")
   * means the input was ambiguous, and it is refused.
   */
  private assertSealedWhatWasShown(sealed: Uint8Array): void {
    const { revisions, changes } = analyseUpdates(sealed);
    const unexpected = changes.filter((c) => c.revision === revisions - 1 && !c.allowed && WHAT_IS_SHOWN.has(c.kind));
    if (unexpected.length > 0) {
      throw new InvalidInputError('AmbiguousPdf', `The PDF cannot be sealed as it is: ${unexpected.map((c) => c.description).join('; ')}. Save it again (without incremental updates) and retry.`, {
        details: { changes: unexpected.map((c) => c.description) },
      });
    }
  }

  /** Writes the use log entry and the audit entry of a signed document inside `trx`. */
  async recordUse(trx: Transaction<DatabaseSchema>, actor: Actor & { departmentId: string }, signed: SignedDocument): Promise<void> {
    await this.audit.appendMany(trx, actor, await this.insertUses(trx, actor, [signed]));
  }

  /**
   * Writes the use log entries of signed documents inside `trx` (one statement) and returns
   * their audit entries, for the caller to append in order with its own: a batch appends a
   * group's entries in one go.
   */
  async insertUses(trx: Transaction<DatabaseSchema>, actor: Actor & { departmentId: string }, signed: readonly SignedDocument[]): Promise<AuditEntryParams[]> {
    await this.assertStillUsable(trx, actor, signed);
    await repo.insertUses(
      trx,
      signed.map((s) => ({
        seal_id: s.sealId,
        certificate_serial: s.certificateSerial,
        department_id: actor.departmentId,
        document_sha256: s.documentSha256,
        sealed_sha256: s.sha256,
        level: s.level,
        signed_at: s.signedAt,
        request_id: actor.requestId,
      })),
    );
    return signed.map((s) => ({
      action: 'seal.used',
      target: { type: 'seal', id: s.sealId },
      details: { sealCode: s.sealCode, level: s.level, documentSha256: s.documentSha256, sealedSha256: s.sha256 },
    }));
  }

  async appearanceSvg(sealId: string): Promise<string> {
    return sealSvg(designOf(await this.seals.row(sealId)));
  }

  /** The checks before signing: the seal exists, is usable, granted to the department, its certificate valid. */
  private usableForUse(sealId: string, found: Awaited<ReturnType<typeof repo.findSealForUse>>): NonNullable<typeof found> {
    if (!found) throw sealNotFound(sealId);
    const { seal } = found;
    this.assertUsable(seal);
    if (!found.granted) {
      throw new PermissionDeniedError('SealNotGranted', `Your department may not use seal ${seal.seal_code}`);
    }
    if (found.certificateStatus !== 'valid') {
      throw new ConflictError('SealCertificateNotValid', `The certificate of seal ${seal.seal_code} is ${found.certificateStatus}`);
    }
    return found;
  }

  /**
   * Makes the checks before signing again inside the transaction that records the use: a seal
   * suspended, revoked or renewed, or a grant withdrawn, while documents were being signed (a
   * batch signs a group for a fraction of a second) refuses the store, so nothing is recorded
   * as sealed after the seal stopped being usable.
   */
  private async assertStillUsable(trx: Transaction<DatabaseSchema>, actor: Actor & { departmentId: string }, signed: readonly SignedDocument[]): Promise<void> {
    const checked = new Set<string>();
    for (const { sealId, certificateSerial } of signed) {
      if (checked.has(`${sealId}/${certificateSerial}`)) continue;
      checked.add(`${sealId}/${certificateSerial}`);
      const { seal } = this.usableForUse(sealId, await repo.findSealForUse(trx, sealId, actor.departmentId));
      if (seal.certificate_serial !== certificateSerial) {
        throw new ConflictError('SealCertificateNotValid', `Seal ${seal.seal_code} was renewed while the document was being sealed`);
      }
    }
  }

  private assertUsable(seal: SealRow): void {
    const status = this.seals.effectiveStatus(seal);
    if (status === 'suspended') throw new ConflictError('SealSuspended', `Seal ${seal.seal_code} is suspended`);
    if (status === 'revoked') throw new ConflictError('SealRevoked', `Seal ${seal.seal_code} is revoked`);
    if (status === 'expired') throw new ConflictError('SealExpired', `Seal ${seal.seal_code} expired on ${seal.valid_until.toISOString()}`);
  }

  private backendOf(seal: SealRow): KeyBackend {
    const backend = this.backends.get(seal.key_backend);
    if (!backend) throw new Error(`Key backend ${seal.key_backend} of seal ${seal.seal_code} is not open`);
    return backend;
  }

  /** Key handles are looked up once per key; the key itself never leaves its backend. */
  private keysOf(seal: SealRow): Promise<BackendKeyPair> {
    const cacheKey = `${seal.key_backend}/${seal.key_alias}`;
    let keys = this.keyCache.get(cacheKey);
    if (!keys) {
      keys = this.backendOf(seal)
        .findKeyPair(seal.key_alias)
        .then((found) => {
          if (!found) throw new Error(`The key of seal ${seal.seal_code} is missing from backend ${seal.key_backend}`);
          return found;
        });
      keys.catch(() => this.keyCache.delete(cacheKey));
      this.keyCache.set(cacheKey, keys);
    }
    return keys;
  }
}

/**
 * Kinds of change that alter what a reader shows. A certification seal also writes catalog
 * /Perms in its own update, which the analysis (made for changes *after* a signature) flags.
 */
const WHAT_IS_SHOWN: ReadonlySet<string> = new Set(['page-content', 'page', 'resources', 'deleted-object', 'annotation', 'signature-removed']);

export function designOf(seal: SealRow): SealDesign {
  return {
    kind: seal.seal_type === 'personal' ? 'personal' : 'organisation',
    organisationName: seal.organisation_name,
    sealTypeLabel: SEAL_TYPE_LABELS[seal.seal_type],
    sealCode: seal.seal_code,
    ...(seal.person_name ? { personName: seal.person_name } : {}),
  };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
