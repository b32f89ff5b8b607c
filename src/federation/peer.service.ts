import type { Logger } from 'pino';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import type { Database, Executor } from '../db/schema/database.js';
import type { PeersTable } from '../db/schema/federation.table.js';
import { AppError, ConflictError, InvalidInputError, NotFoundError, UnavailableError } from '../errors.js';
import {
  assertNotRolledBack,
  MAX_TRUST_LIST_BYTES,
  normaliseFingerprint,
  type SeenTrustList,
  TrustListError,
  type TrustListPayload,
  trustListPayloadSha256,
  verifyTrustList,
} from './trust-list.js';

export interface Peer {
  regionId: string;
  name: string;
  url: string;
  pinnedFingerprint: string;
  status: 'active' | 'stale';
  sequence: number;
  nextUpdate: Date;
  fetchedAt: Date;
  lastAttemptAt: Date;
  lastError: string | null;
}

/** A peer region's accepted trust list, decoded: what verification and sharing use. */
export interface PeerTrust {
  regionId: string;
  name: string;
  payload: TrustListPayload;
}

const FETCH_TIMEOUT_MS = 5_000;

/**
 * The regions this one recognises. Each is registered by an administrator with the address of
 * its trust list and the pinned SHA-256 of the certificate that signs it; the list is fetched,
 * verified and kept, refreshed on a schedule, and refused when it is forged, rolled back (a lower
 * sequence, also after the peer was removed and registered again), re-uses a sequence for other
 * content, or is past its next update. A peer whose list cannot be refreshed in time is 'stale'
 * and is not trusted until a good list arrives. Every change is audited.
 */
export class PeerService {
  private readonly listeners = new Set<() => void>();
  private cache: PeerTrust[] | null = null;
  private cacheValidUntil = 0;
  /** Grows whenever the set of trusted lists is recomputed, so users can rebuild what depends on it. */
  version = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly ownRegionId: string,
    private readonly fetcher: typeof fetch = fetch,
  ) {}

  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }

  async register(actor: Actor, params: { url: string; pinnedFingerprint: string }): Promise<Peer> {
    const url = checkUrl(params.url);
    const pin = normaliseFingerprint(params.pinnedFingerprint);
    if (pin.length !== 64) throw new InvalidInputError('InvalidFingerprint', 'pinnedFingerprint: the SHA-256 of the signing certificate, 64 hex digits');
    const now = this.clock.now();
    const jws = await this.fetchList(url);
    const verified = this.verify(jws, pin, now);
    const { region } = verified.payload;
    if (region.id === this.ownRegionId) throw new ConflictError('PeerIsSelf', 'That is this region’s own trust list');
    const existing = await this.db.selectFrom('peers').select('region_id').where('region_id', '=', region.id).executeTakeFirst();
    if (existing) throw new ConflictError('PeerExists', `Region ${region.id} is already registered`);
    const seen = await this.seen(region.id, pin);
    if (seen) refusing(() => assertNotRolledBack(jws, verified.payload, seen));
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('peers')
        .values({
          region_id: region.id,
          name: region.name,
          url,
          pinned_fingerprint: pin,
          status: 'active',
          sequence: verified.payload.sequence,
          jws,
          next_update: new Date(verified.payload.nextUpdate),
          fetched_at: now,
          last_attempt_at: now,
          last_error: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await this.remember(trx, region.id, pin, verified.payload.sequence, jws, now);
      await this.audit.append(trx, actor, {
        action: 'peer.registered',
        target: { type: 'peer', id: region.id },
        details: { name: region.name, url, pinnedFingerprint: pin, sequence: verified.payload.sequence },
      });
    }).catch((error: unknown) => {
      // Two registrations at once: the loser meets the primary key, not the check above.
      if (isUniqueViolation(error)) throw new ConflictError('PeerExists', `Region ${region.id} is already registered`, { cause: error });
      throw error;
    });
    this.changed();
    return this.get(region.id);
  }

  async remove(actor: Actor, regionId: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('sharing_agreements').where('peer_region_id', '=', regionId).execute();
      const deleted = await trx.deleteFrom('peers').where('region_id', '=', regionId).executeTakeFirst();
      if (Number(deleted.numDeletedRows) === 0) throw peerNotFound(regionId);
      await this.audit.append(trx, actor, { action: 'peer.removed', target: { type: 'peer', id: regionId } });
    });
    this.changed();
  }

  async list(): Promise<Peer[]> {
    const rows = await this.db.selectFrom('peers').selectAll().orderBy('region_id').execute();
    return rows.map((row) => peerOf(row, this.clock.now()));
  }

  async get(regionId: string): Promise<Peer> {
    const row = await this.db.selectFrom('peers').selectAll().where('region_id', '=', regionId).executeTakeFirst();
    if (!row) throw peerNotFound(regionId);
    return peerOf(row, this.clock.now());
  }

  /**
   * Fetches and checks the peer's list again. A good list with the same or a higher sequence
   * replaces the stored one; a forged, rolled-back or unreachable list is refused and recorded,
   * and the peer turns stale once the stored list passes its next update.
   */
  async refresh(actor: Actor, regionId: string): Promise<Peer> {
    const row = await this.db.selectFrom('peers').selectAll().where('region_id', '=', regionId).executeTakeFirst();
    if (!row) throw peerNotFound(regionId);
    const now = this.clock.now();
    let error: { code: string; message: string } | null = null;
    let accepted: { jws: string; payload: TrustListPayload } | null = null;
    try {
      const jws = await this.fetchList(row.url);
      const verified = this.verify(jws, row.pinned_fingerprint, now, { sequence: row.sequence, payloadSha256: trustListPayloadSha256(row.jws) });
      if (verified.payload.region.id !== row.region_id) throw new TrustListError('TrustListMalformed', `the list now names region ${verified.payload.region.id}`);
      accepted = { jws, payload: verified.payload };
    } catch (caught) {
      // verify() rethrows TrustListError as InvalidInputError with the same code: keep that code.
      error = caught instanceof TrustListError || caught instanceof AppError ? { code: caught.code, message: caught.message } : { code: 'PeerUnreachable', message: String(caught) };
    }
    const stale = !accepted && row.next_update.getTime() < now.getTime();
    const status = accepted ? 'active' : stale ? 'stale' : row.status;
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('peers')
        .set({
          ...(accepted
            ? { jws: accepted.jws, sequence: accepted.payload.sequence, next_update: new Date(accepted.payload.nextUpdate), fetched_at: now, name: accepted.payload.region.name }
            : {}),
          status,
          last_attempt_at: now,
          last_error: error ? `${error.code}: ${error.message}` : null,
          updated_at: now,
        })
        .where('region_id', '=', regionId)
        .execute();
      if (accepted) await this.remember(trx, regionId, row.pinned_fingerprint, accepted.payload.sequence, accepted.jws, now);
      // Audit what changes trust: a new list, a refusal, a change of status; not every quiet refresh.
      if ((accepted && accepted.payload.sequence !== row.sequence) || error || status !== row.status) {
        await this.audit.append(trx, actor, {
          action: accepted ? 'peer.list-accepted' : 'peer.list-refused',
          target: { type: 'peer', id: regionId },
          outcome: accepted ? 'success' : 'rejected',
          details: { sequence: accepted?.payload.sequence ?? row.sequence, status, ...(error ? { code: error.code, message: error.message } : {}) },
        });
      }
    });
    if (accepted || status !== row.status) this.changed();
    return this.get(regionId);
  }

  /** Refreshes every peer now and then (default every 5 minutes). */
  start(intervalMs: number, actor: Actor): void {
    const tick = async () => {
      for (const peer of await this.list().catch(() => [])) {
        await this.refresh(actor, peer.regionId).catch((error) => this.logger.warn({ err: error, region: peer.regionId }, 'peer refresh failed'));
      }
    };
    this.timer = setInterval(() => void tick(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The lists of active peers, decoded (cached until a peer changes). */
  async trusted(): Promise<PeerTrust[]> {
    if (this.cache && this.clock.now().getTime() < this.cacheValidUntil) return this.cache;
    const rows = await this.db.selectFrom('peers').selectAll().where('status', '=', 'active').execute();
    const now = this.clock.now();
    this.cache = rows
      .filter((row) => row.next_update.getTime() >= now.getTime())
      .map((row) => ({ regionId: row.region_id, name: row.name, payload: decodePayload(row.jws) }));
    // Until the first of these lists passes its next update (then that peer drops out).
    this.cacheValidUntil = Math.min(Infinity, ...rows.map((row) => row.next_update.getTime()));
    this.version++;
    return this.cache;
  }

  private changed(): void {
    this.cache = null;
    for (const listener of this.listeners) listener();
  }

  private verify(jws: string, pin: string, now: Date, seen?: SeenTrustList) {
    return refusing(() => verifyTrustList(jws, { pinnedFingerprint: pin, now, ...(seen ? { seen } : {}) }));
  }

  /** The newest list accepted from this signer of the region, even if the peer was removed since. */
  private async seen(regionId: string, pin: string): Promise<SeenTrustList | undefined> {
    const row = await this.db
      .selectFrom('peer_lists_seen')
      .select(['sequence', 'payload_sha256'])
      .where('region_id', '=', regionId)
      .where('pinned_fingerprint', '=', pin)
      .executeTakeFirst();
    return row && { sequence: row.sequence, payloadSha256: row.payload_sha256 };
  }

  private async remember(trx: Executor, regionId: string, pin: string, sequence: number, jws: string, at: Date): Promise<void> {
    const seen = { sequence, payload_sha256: trustListPayloadSha256(jws), updated_at: at };
    await trx
      .insertInto('peer_lists_seen')
      .values({ region_id: regionId, pinned_fingerprint: pin, ...seen })
      .onConflict((oc) => oc.columns(['region_id', 'pinned_fingerprint']).doUpdateSet(seen))
      .execute();
  }

  private async fetchList(url: string): Promise<string> {
    let response: Response;
    try {
      response = await this.fetcher(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { Accept: 'application/jose' }, redirect: 'error' });
    } catch (error) {
      throw new UnavailableError('PeerUnreachable', `The trust list at ${url} could not be fetched: ${(error as Error).message}`, { cause: error });
    }
    if (!response.ok) throw new UnavailableError('PeerUnreachable', `The trust list at ${url} answered ${response.status}`);
    const declared = Number(response.headers.get('Content-Length') ?? 0);
    if (declared > MAX_TRUST_LIST_BYTES) throw new InvalidInputError('TrustListTooLarge', `The trust list is larger than ${MAX_TRUST_LIST_BYTES} bytes`);
    const reader = response.body?.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    while (reader) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_TRUST_LIST_BYTES) {
        await reader.cancel();
        throw new InvalidInputError('TrustListTooLarge', `The trust list is larger than ${MAX_TRUST_LIST_BYTES} bytes`);
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}

/** Runs a trust-list check, answering a refusal as a 400 with the same code. */
function refusing<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof TrustListError) throw new InvalidInputError(error.code, error.message, { cause: error });
    throw error;
  }
}

function decodePayload(jws: string): TrustListPayload {
  return JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8')) as TrustListPayload;
}

function peerOf(row: PeersTable, now: Date): Peer {
  return {
    regionId: row.region_id,
    name: row.name,
    url: row.url,
    pinnedFingerprint: row.pinned_fingerprint,
    // Past its next update a list is stale whether or not a refresh has run since.
    status: row.next_update.getTime() < now.getTime() ? 'stale' : row.status,
    sequence: row.sequence,
    nextUpdate: row.next_update,
    fetchedAt: row.fetched_at,
    lastAttemptAt: row.last_attempt_at,
    lastError: row.last_error,
  };
}

function checkUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidInputError('InvalidUrl', 'url: an absolute http(s) address of the peer’s trust list');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidInputError('InvalidUrl', 'url: http or https only');
  return url.toString();
}

export function peerNotFound(regionId: string): NotFoundError {
  return new NotFoundError('PeerNotFound', `No peer region ${regionId}`);
}
