import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import type { Transaction } from 'kysely';
import type { CertificateRow, CertificateStatus, NewCertificateRow } from '../db/schema/certificates.table.js';
import type { Database, DatabaseSchema } from '../db/schema/database.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import type { RevocationReason } from '../pki/crl.js';
import { x509 } from '../pki/x509.js';
import { type KeyAlgorithmName, storeOrDiscardKey } from '../signing/key-backend.js';
import * as repo from './certificate.repository.js';
import { decideIssuance } from './profile-policy.js';
import { type Hierarchy, issueForProfile, keyAlgorithmOf } from './hierarchy.js';
import { publicationUrls } from './publication-urls.js';

export interface IssueCertificateParams {
  caId: string;
  profile: string;
  /** PKCS#10 request, PEM or base64 DER. Either this or `generateKey`. */
  csr?: string;
  /** Generate the key inside the CA's key backend; it never leaves it. */
  generateKey?: { algorithm: KeyAlgorithmName };
  /** Subject attributes; taken from the CSR when omitted. */
  subject?: Partial<Record<string, string>>;
  validityDays?: number;
  /** The department a department-client certificate authenticates. */
  forDepartmentId?: string;
}

export interface CertificateRecord {
  serialNumber: string;
  caId: string;
  profile: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  status: CertificateStatus;
  revokedAt: Date | null;
  revocationReason: string | null;
  fingerprintSha256: string;
  keyInBackend: { backend: string; alias: string } | null;
  der: Uint8Array;
}

export interface PreparedCertificate {
  readonly row: NewCertificateRow;
  readonly record: CertificateRecord;
}

/** Notified after a status change has committed (OCSP cache, CRL publication). */
export type StatusChangeListener = (certificate: CertificateRecord) => Promise<void> | void;

/** Reasons an operator may give for revocation; hold has its own operation (RFC 5280 §5.3.1). */
export const REVOCATION_REASON_NAMES = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
] as const satisfies readonly RevocationReason[];
export type OperatorRevocationReason = (typeof REVOCATION_REASON_NAMES)[number];

export class CertificateService {
  private readonly listeners: StatusChangeListener[] = [];

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly hierarchy: Hierarchy,
    private readonly publicBaseUrl: string,
    private readonly random: (size: number) => Uint8Array = (n) => randomBytes(n),
  ) {}

  onStatusChange(listener: StatusChangeListener): void {
    this.listeners.push(listener);
  }

  /** Records the hierarchy's own certificates; new ones are audited as issued by the system. */
  async registerHierarchy(actor: Actor): Promise<void> {
    const entries = [
      ...[...this.hierarchy.authorities.values()].map((a) => ({ cert: a.certificate, caId: a.issuer?.spec.id ?? a.spec.id, profile: 'ca' })),
      ...[...this.hierarchy.ocspResponders.values()].map((r) => ({ cert: r.certificate, caId: r.issuer.spec.id, profile: r.profile })),
      { cert: this.hierarchy.timestampUnit.certificate, caId: this.hierarchy.timestampUnit.issuer.spec.id, profile: this.hierarchy.timestampUnit.profile },
    ];
    await this.db.transaction().execute(async (trx) => {
      for (const entry of entries) {
        const inserted = await repo.insertCertificateIfAbsent(trx, this.row(entry.cert, entry.caId, entry.profile, null, null));
        if (inserted) {
          await this.audit.append(trx, actor, {
            action: 'certificate.issued',
            target: { type: 'certificate', id: entry.cert.serialNumber.toLowerCase() },
            details: { caId: entry.caId, profile: entry.profile, subject: entry.cert.subject },
          });
        }
      }
    });
  }

  async issue(actor: Actor, params: IssueCertificateParams): Promise<CertificateRecord> {
    const prepared = await this.prepare(actor, params);
    await this.storeOrDiscardKey(prepared, () => this.db.transaction().execute((trx) => this.record(trx, actor, prepared)));
    return prepared.record;
  }

  /**
   * Runs `store`, the transaction that records a prepared certificate; should it fail, a key
   * generated for the certificate is destroyed again ({@link storeOrDiscardKey}).
   */
  async storeOrDiscardKey<T>(prepared: PreparedCertificate, store: () => Promise<T>): Promise<T> {
    const { key_alias: alias, ca_id: caId, serial_hex: serialHex } = prepared.row;
    const backend = this.hierarchy.authorities.get(caId)?.backend;
    if (!alias || !backend) return store();
    return storeOrDiscardKey(backend, alias, store, async () => Boolean(await repo.findCertificate(this.db, serialHex)));
  }

  /**
   * Builds and signs a certificate without storing it, so that a caller (the seal
   * registry) can record it in the same transaction as its own change.
   */
  async prepare(actor: Actor, params: IssueCertificateParams): Promise<PreparedCertificate> {
    if (Boolean(params.csr) === Boolean(params.generateKey)) {
      throw new InvalidInputError('KeySourceRequired', 'Send either a CSR or generateKey, not both and not neither');
    }
    const authority = this.hierarchy.authorities.get(params.caId);
    if (!authority) throw new NotFoundError('UnknownCa', `No certificate authority '${params.caId}'`);

    const csr = params.csr ? await parseCsr(params.csr) : null;
    const keyAlgorithm = csr ? keyAlgorithmOf(csr.publicKey) : params.generateKey!.algorithm;
    if (!keyAlgorithm) {
      throw new InvalidInputError('UnsupportedKeyAlgorithm', 'The CSR key must be ECDSA P-256/P-384 or RSA 2048/3072/4096');
    }
    // Decide before any key is generated, so a refused request leaves nothing behind.
    const decision = decideIssuance(this.hierarchy.config, {
      caId: params.caId,
      profile: params.profile,
      subject: params.subject ?? (csr ? subjectFromName(csr.subjectName) : {}),
      keyAlgorithm,
      validityDays: params.validityDays,
    });
    let publicKey: CryptoKey | x509.PublicKey;
    let keyInBackend: { backend: string; alias: string } | null = null;
    if (csr) {
      publicKey = csr.publicKey;
    } else {
      const alias = `ee-${randomUUID()}`;
      publicKey = (await authority.backend.generateKeyPair(alias, keyAlgorithm)).publicKey;
      keyInBackend = { backend: authority.backend.name, alias };
    }
    const certificate = await issueForProfile(
      { clock: this.clock },
      authority,
      decision.profile,
      decision.subject,
      publicKey,
      this.random,
      publicationUrls(this.publicBaseUrl),
      decision.validityDays,
    );
    const row = { ...this.row(certificate, params.caId, params.profile, keyInBackend, actor.departmentId), subject_department_id: params.forDepartmentId ?? null };
    return { row, record: toRecord(row as CertificateRow) };
  }

  /** Stores a prepared certificate and audits its issuance inside the caller's transaction. */
  async record(trx: Transaction<DatabaseSchema>, actor: Actor, prepared: PreparedCertificate): Promise<void> {
    const { row } = prepared;
    await repo.insertCertificate(trx, row);
    await this.audit.append(trx, actor, {
      action: 'certificate.issued',
      target: { type: 'certificate', id: row.serial_hex },
      details: { caId: row.ca_id, profile: row.profile, subject: row.subject, keySource: row.key_alias ? 'backend' : 'csr' },
    });
  }

  async get(serialHex: string): Promise<CertificateRecord> {
    const row = await repo.findCertificate(this.db, normaliseSerial(serialHex));
    if (!row) throw certificateNotFound(serialHex);
    return toRecord(row);
  }

  async list(query: repo.CertificateListQuery): Promise<CertificateRecord[]> {
    return (await repo.listCertificates(this.db, query)).map(toRecord);
  }

  async revoke(actor: Actor, serialHex: string, reason: OperatorRevocationReason): Promise<CertificateRecord> {
    return this.committed((trx) => this.revokeIn(trx, actor, serialHex, reason));
  }

  /** certificateHold: reversible suspension (RFC 5280 §5.3.1). */
  async hold(actor: Actor, serialHex: string): Promise<CertificateRecord> {
    return this.committed((trx) => this.holdIn(trx, actor, serialHex));
  }

  async release(actor: Actor, serialHex: string): Promise<CertificateRecord> {
    return this.committed((trx) => this.releaseIn(trx, actor, serialHex));
  }

  /**
   * The *In variants change status inside the caller's transaction; the caller must pass
   * the result to {@link statusChanged} after commit (OCSP cache, CRL).
   */
  async revokeIn(trx: Transaction<DatabaseSchema>, actor: Actor, serialHex: string, reason: OperatorRevocationReason) {
    return this.changeStatusIn(trx, actor, serialHex, 'certificate.revoked', { reason }, (row) => {
      if (row.status === 'revoked') {
        throw new ConflictError('CertificateAlreadyRevoked', `Certificate ${row.serial_hex} was revoked at ${row.revoked_at!.toISOString()}`);
      }
      const now = this.clock.now();
      return { status: 'revoked', revoked_at: row.status === 'on-hold' ? row.revoked_at : now, revocation_reason: reason, status_changed_at: now };
    });
  }

  async holdIn(trx: Transaction<DatabaseSchema>, actor: Actor, serialHex: string) {
    return this.changeStatusIn(trx, actor, serialHex, 'certificate.held', {}, (row) => {
      if (row.status !== 'valid') throw new ConflictError('CertificateNotValid', `Certificate ${row.serial_hex} is ${row.status}, not valid`);
      const now = this.clock.now();
      return { status: 'on-hold', revoked_at: now, revocation_reason: 'certificateHold', status_changed_at: now };
    });
  }

  async releaseIn(trx: Transaction<DatabaseSchema>, actor: Actor, serialHex: string) {
    return this.changeStatusIn(trx, actor, serialHex, 'certificate.released', {}, (row) => {
      if (row.status !== 'on-hold') throw new ConflictError('CertificateNotOnHold', `Certificate ${row.serial_hex} is ${row.status}, not on hold`);
      return { status: 'valid', revoked_at: null, revocation_reason: null, status_changed_at: this.clock.now() };
    });
  }

  /** Tells the listeners (OCSP cache, CRL publication) about a committed status change. */
  async statusChanged(record: CertificateRecord): Promise<void> {
    for (const listener of this.listeners) await listener(record);
  }

  private async committed(
    change: (trx: Transaction<DatabaseSchema>) => Promise<CertificateRecord>,
  ): Promise<CertificateRecord> {
    const record = await this.db.transaction().execute(change);
    await this.statusChanged(record);
    return record;
  }

  private async changeStatusIn(
    trx: Transaction<DatabaseSchema>,
    actor: Actor,
    serialHex: string,
    action: string,
    details: Record<string, unknown>,
    next: (row: CertificateRow) => Parameters<typeof repo.updateStatus>[2],
  ): Promise<CertificateRecord> {
    const serial = normaliseSerial(serialHex);
    const row = await repo.findCertificateForUpdate(trx, serial);
    if (!row) throw certificateNotFound(serialHex);
    const changed = await repo.updateStatus(trx, serial, next(row));
    await this.audit.append(trx, actor, {
      action,
      target: { type: 'certificate', id: serial },
      details: { caId: row.ca_id, from: row.status, to: changed.status, ...details },
    });
    return toRecord(changed);
  }

  private row(
    certificate: x509.X509Certificate,
    caId: string,
    profile: string,
    keyInBackend: { backend: string; alias: string } | null,
    requestedBy: string | null,
  ) {
    const der = new Uint8Array(certificate.rawData);
    const now = this.clock.now();
    return {
      serial_hex: certificate.serialNumber.toLowerCase(),
      ca_id: caId,
      profile,
      subject: certificate.subject,
      not_before: certificate.notBefore,
      not_after: certificate.notAfter,
      status: 'valid' as const,
      revoked_at: null,
      revocation_reason: null,
      status_changed_at: now,
      fingerprint_sha256: createHash('sha256').update(der).digest('hex'),
      der,
      key_backend: keyInBackend?.backend ?? null,
      key_alias: keyInBackend?.alias ?? null,
      requested_by: requestedBy,
      created_at: now,
    };
  }
}

async function parseCsr(text: string): Promise<x509.Pkcs10CertificateRequest> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    const trimmed = text.trim();
    csr = new x509.Pkcs10CertificateRequest(trimmed.startsWith('-----') ? trimmed : Buffer.from(trimmed, 'base64'));
  } catch (error) {
    throw new InvalidInputError('InvalidCsr', 'The CSR is not a PKCS#10 request (PEM or base64 DER)', { cause: error });
  }
  let valid = false;
  try {
    valid = await csr.verify();
  } catch (error) {
    throw new InvalidInputError('UnsupportedKeyAlgorithm', 'The CSR uses a key or signature algorithm we do not support', { cause: error });
  }
  if (!valid) throw new InvalidInputError('CsrSignatureInvalid', 'The CSR signature does not verify: the requester does not hold the key');
  return csr;
}

const NAME_KEYS: Record<string, string> = { '2.5.4.5': 'serialNumber', SN: 'serialNumber' };

function subjectFromName(name: x509.Name): Record<string, string> {
  const subject: Record<string, string> = {};
  for (const rdn of name.toJSON()) {
    for (const [key, values] of Object.entries(rdn)) {
      const attr = NAME_KEYS[key] ?? key;
      const value = values[0];
      if (value === undefined) continue;
      if (attr in subject) throw new InvalidInputError('ProfileViolation', `The CSR subject repeats ${attr}`);
      subject[attr] = value;
    }
  }
  return subject;
}

/** Accepts serials as hex with or without colons and any case; stores lower-case hex. */
export function normaliseSerial(serial: string): string {
  const hex = serial.replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{1,40}$/.test(hex)) throw new InvalidInputError('InvalidSerial', `'${serial}' is not a hexadecimal serial number`);
  return hex;
}

function certificateNotFound(serial: string): NotFoundError {
  return new NotFoundError('CertificateNotFound', `No certificate with serial ${serial}`);
}

function toRecord(row: CertificateRow): CertificateRecord {
  return {
    serialNumber: row.serial_hex,
    caId: row.ca_id,
    profile: row.profile,
    subject: row.subject,
    notBefore: row.not_before,
    notAfter: row.not_after,
    status: row.status,
    revokedAt: row.revoked_at,
    revocationReason: row.revocation_reason,
    fingerprintSha256: row.fingerprint_sha256,
    keyInBackend: row.key_backend && row.key_alias ? { backend: row.key_backend, alias: row.key_alias } : null,
    der: row.der,
  };
}
