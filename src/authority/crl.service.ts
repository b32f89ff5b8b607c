import type { Logger } from 'pino';
import { type Actor, type AuditService, SYSTEM_ACTOR } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema/database.js';
import { NotFoundError } from '../errors.js';
import { buildCrl, type RevocationReason } from '../pki/crl.js';
import * as repo from './certificate.repository.js';
import type { Hierarchy } from './hierarchy.js';

const HOUR = 60 * 60 * 1000;
/** Older CRLs are superseded; a few are kept for relying parties mid-download. */
const CRLS_KEPT = 3;

export interface PublishedCrl {
  caId: string;
  crlNumber: number;
  thisUpdate: Date;
  nextUpdate: Date;
  entries: number;
  der: Uint8Array;
}

/** Publishes each CA's CRL: after every revocation, and on a schedule well before nextUpdate. */
export class CrlService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly hierarchy: Hierarchy,
  ) {}

  async publish(caId: string, actor: Actor = SYSTEM_ACTOR): Promise<PublishedCrl> {
    const authority = this.hierarchy.authorities.get(caId);
    if (!authority) throw new NotFoundError('UnknownCa', `No certificate authority '${caId}'`);
    return this.db.transaction().execute(async (trx) => {
      // One publisher at a time per CA, so CRL numbers strictly increase (RFC 5280 §5.2.3).
      await repo.lockCrlNumbering(trx, caId);
      const now = this.clock.now();
      const crlNumber = (await repo.latestCrlNumber(trx, caId)) + 1;
      const revoked = await repo.listRevokedEntries(trx, caId, now);
      const thisUpdate = now;
      const nextUpdate = new Date(now.getTime() + authority.spec.crl.validityHours * HOUR);
      const der = await buildCrl({
        issuerCertificate: authority.certificate,
        signingKey: authority.keys.privateKey,
        signingAlgorithm: authority.signingAlgorithm,
        crypto: authority.backend.crypto,
        crlNumber,
        thisUpdate,
        nextUpdate,
        entries: revoked.map((r) => ({
          serialHex: r.serial_hex,
          revokedAt: r.revoked_at!,
          reason: (r.revocation_reason ?? 'unspecified') as RevocationReason,
        })),
      });
      const published = { caId, crlNumber, thisUpdate, nextUpdate, entries: revoked.length, der };
      await repo.insertCrl(trx, {
        ca_id: caId,
        crl_number: crlNumber,
        this_update: thisUpdate,
        next_update: nextUpdate,
        entries: revoked.length,
        der,
      });
      await repo.pruneCrls(trx, caId, crlNumber - CRLS_KEPT + 1);
      await this.audit.append(trx, actor, {
        action: 'crl.published',
        target: { type: 'crl', id: `${caId}#${crlNumber}` },
        details: { entries: revoked.length, nextUpdate: nextUpdate.toISOString() },
      });
      return published;
    });
  }

  /** The current CRL; publishes one first when there is none or it is past half its life. */
  async current(caId: string): Promise<PublishedCrl> {
    if (!this.hierarchy.authorities.has(caId)) throw new NotFoundError('UnknownCa', `No certificate authority '${caId}'`);
    const latest = await repo.findLatestCrl(this.db, caId);
    if (latest && !this.dueForRefresh(latest.this_update, latest.next_update)) {
      return {
        caId,
        crlNumber: Number(latest.crl_number),
        thisUpdate: latest.this_update,
        nextUpdate: latest.next_update,
        entries: latest.entries,
        der: latest.der,
      };
    }
    return this.publish(caId);
  }

  /** Re-publishes every CA's CRL that is past half its life. */
  async refreshDue(): Promise<void> {
    for (const caId of this.hierarchy.authorities.keys()) await this.current(caId);
  }

  /** Runs {@link refreshDue} periodically; returns a function that stops it. */
  startSchedule(logger: Logger, intervalMs = 5 * 60 * 1000): () => void {
    const timer = setInterval(() => {
      this.refreshDue().catch((error: unknown) => logger.error({ err: error }, 'scheduled CRL publication failed'));
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  private dueForRefresh(thisUpdate: Date, nextUpdate: Date): boolean {
    const half = (nextUpdate.getTime() - thisUpdate.getTime()) / 2;
    return this.clock.now().getTime() >= thisUpdate.getTime() + half;
  }
}
