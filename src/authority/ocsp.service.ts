import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema/database.js';
import { InvalidInputError } from '../errors.js';
import { REVOCATION_REASONS, type RevocationReason } from '../pki/crl.js';
import {
  buildOcspErrorResponse,
  buildOcspRequest,
  buildOcspResponse,
  type CertIdRef,
  certIdFor,
  issuerHashes,
  type OcspCertStatus,
  type OcspHashAlgorithm,
  type OcspResponder,
  parseOcspRequest,
  prepareOcspResponder,
} from '../pki/ocsp.js';
import type { CaConfig } from './ca-config.js';
import * as repo from './certificate.repository.js';
import type { Hierarchy } from './hierarchy.js';

const HASHES: OcspHashAlgorithm[] = ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'];
const MAX_CACHED = 200_000;
/** How often an instance looks for status changes made by other instances sharing the database. */
const WATCH_INTERVAL_MS = 2_000;
/**
 * Each look reaches this far behind the newest change already seen: a change stamped
 * earlier but committed later (a slow transaction, another instance's clock running
 * behind, two changes in one millisecond) must not slip past. Evicting twice is harmless.
 */
const WATCH_OVERLAP_MS = 30_000;

interface CachedResponse {
  der: Uint8Array;
  serial: string;
  /** Re-sign after this time (half the validity), well before nextUpdate. */
  refreshAt: number;
}

export interface OcspAnswer {
  der: Uint8Array;
  /** Set for a response that carries no nonce: HTTP caches may keep it until then (RFC 5019 §6). */
  cacheableUntil: Date | null;
  thisUpdate: Date | null;
}

/**
 * The OCSP responder for every CA of the hierarchy (RFC 6960), each answering through its
 * delegated responder certificate. Responses without a nonce are cached per CertID and
 * re-signed at half their validity; a status change evicts them at once on this instance
 * and within {@link WATCH_INTERVAL_MS} on others.
 */
export class OcspService {
  private readonly cache = new Map<string, CachedResponse>();
  private readonly keysBySerial = new Map<string, Set<string>>();
  /** Raw nonce-free request (base64) to its cache key. */
  private readonly cacheKeyByRequest = new Map<string, string>();
  private readonly inflight = new Map<string, Promise<OcspAnswer>>();
  /** Status changes already acted on, by serial (change time, ms), within the watch window. */
  private readonly actedOn = new Map<string, number>();
  private lastSeenChange: Date;

  private constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly validityMs: number,
    private readonly responders: ReadonlyMap<string, OcspResponder>,
    /** "<hash>:<issuerNameHash>:<issuerKeyHash>" to CA id. */
    private readonly issuers: ReadonlyMap<string, string>,
    /** SHA-1 issuer hashes per CA, for building our own CertIDs. */
    private readonly issuerHashesByCa: ReadonlyMap<string, { issuerNameHash: string; issuerKeyHash: string }>,
  ) {
    this.lastSeenChange = clock.now();
  }

  static async create(db: Database, clock: Clock, logger: Logger, hierarchy: Hierarchy, settings: CaConfig['ocsp']): Promise<OcspService> {
    const responders = new Map<string, OcspResponder>();
    const issuers = new Map<string, string>();
    const issuerHashesByCa = new Map<string, { issuerNameHash: string; issuerKeyHash: string }>();
    for (const [caId, authority] of hierarchy.authorities) {
      issuerHashesByCa.set(caId, issuerHashes(authority.der, 'SHA-1'));
      const identity = hierarchy.ocspResponders.get(caId)!;
      responders.set(
        caId,
        await prepareOcspResponder({ certificateDer: identity.der, privateKey: identity.keys.privateKey, crypto: identity.backend.crypto }),
      );
      for (const hash of HASHES) {
        const { issuerNameHash, issuerKeyHash } = issuerHashes(authority.der, hash);
        issuers.set(`${hash}:${issuerNameHash}:${issuerKeyHash}`, caId);
      }
    }
    return new OcspService(db, clock, logger, settings.responseValidityMinutes * 60_000, responders, issuers, issuerHashesByCa);
  }

  /** Answers one DER OCSPRequest; every outcome is a DER OCSPResponse (RFC 6960 §2.3). */
  async respond(requestDer: Uint8Array): Promise<OcspAnswer> {
    const now = this.clock.now().getTime();
    // Fast path: the same nonce-free request bytes as before get the same answer, unparsed.
    const requestKey = Buffer.from(requestDer).toString('base64');
    const known = this.cacheKeyByRequest.get(requestKey);
    if (known) {
      const hit = this.cache.get(known);
      if (hit && now < hit.refreshAt) return { der: hit.der, cacheableUntil: new Date(hit.refreshAt), thisUpdate: null };
    }

    let request;
    try {
      request = parseOcspRequest(requestDer);
    } catch (error) {
      if (error instanceof InvalidInputError) return errorAnswer('malformedRequest');
      throw error;
    }
    const caIds = new Set(request.requests.map((r) => this.issuerOf(r)));
    // One response has one signer; a CertID of a CA we do not serve makes us non-authoritative.
    if (caIds.size !== 1 || caIds.has(null)) return errorAnswer('unauthorized');
    const caId = [...caIds][0]!;

    if (request.nonce !== null || request.requests.length !== 1) {
      return this.sign(caId, request.requests, request.nonce, false);
    }
    const certId = request.requests[0]!;
    const key = cacheKey(certId);
    remember(this.cacheKeyByRequest, requestKey, key);
    const hit = this.cache.get(key);
    if (hit && now < hit.refreshAt) return { der: hit.der, cacheableUntil: new Date(hit.refreshAt), thisUpdate: null };
    // Many clients asking about one certificate at once share one lookup and one signature.
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.sign(caId, [certId], null, true).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async sign(caId: string, certIds: CertIdRef[], nonce: Uint8Array | null, cacheable: boolean): Promise<OcspAnswer> {
    try {
      const now = this.clock.now();
      const nextUpdate = new Date(now.getTime() + this.validityMs);
      const responses = await Promise.all(
        certIds.map(async (certId) => ({ certId, status: await this.statusOf(caId, certId.serialNumber), thisUpdate: now, nextUpdate })),
      );
      const der = await buildOcspResponse({ responder: this.responders.get(caId)!, producedAt: now, responses, nonce });
      if (!cacheable) return { der, cacheableUntil: null, thisUpdate: now };
      const refreshAt = now.getTime() + this.validityMs / 2;
      this.remember(certIds[0]!, der, refreshAt);
      return { der, cacheableUntil: new Date(refreshAt), thisUpdate: now };
    } catch (error) {
      this.logger.error({ err: error }, 'OCSP response failed');
      return errorAnswer('internalError');
    }
  }

  /**
   * A signed response about one certificate of one of our CAs, for embedding in signed
   * documents (PAdES B-LT); served from the same cache as the public endpoint.
   */
  async responseFor(caId: string, serialHex: string): Promise<Uint8Array> {
    const hashes = this.issuerHashesByCa.get(caId);
    if (!hashes) throw new Error(`No OCSP responder for CA ${caId}`);
    const certId = certIdFor({ ...hashes, hashAlgorithm: 'SHA-1', serialNumber: serialHex });
    const answer = await this.respond(buildOcspRequest([certId]));
    return answer.der;
  }

  /** Drops cached responses for a certificate whose status changed. */
  evict(serialHex: string): void {
    for (const key of this.keysBySerial.get(serialHex) ?? []) this.cache.delete(key);
    this.keysBySerial.delete(serialHex);
  }

  /** Watches the database for status changes made by other instances; returns a stop function. */
  startWatching(): () => void {
    const timer = setInterval(() => {
      this.catchUp().catch((error: unknown) => this.logger.warn({ err: error }, 'OCSP cache watch failed'));
    }, WATCH_INTERVAL_MS);
    timer.unref();
    return () => clearInterval(timer);
  }

  async catchUp(): Promise<void> {
    const windowStart = this.lastSeenChange.getTime() - WATCH_OVERLAP_MS;
    const changed = await repo.serialsChangedSince(this.db, new Date(windowStart));
    for (const row of changed) {
      const at = row.status_changed_at.getTime();
      // The look-back returns the same changes again for 30 s: act on each change once.
      if ((this.actedOn.get(row.serial_hex) ?? -Infinity) >= at) continue;
      this.actedOn.set(row.serial_hex, at);
      this.evict(row.serial_hex);
      if (row.status_changed_at > this.lastSeenChange) this.lastSeenChange = row.status_changed_at;
    }
    for (const [serial, at] of this.actedOn) if (at < windowStart) this.actedOn.delete(serial);
  }

  private issuerOf(certId: CertIdRef): string | null {
    if (certId.hashAlgorithm === 'unsupported') return null;
    return this.issuers.get(`${certId.hashAlgorithm}:${certId.issuerNameHash}:${certId.issuerKeyHash}`) ?? null;
  }

  private async statusOf(caId: string, serialHex: string): Promise<OcspCertStatus> {
    const row = await repo.findStatus(this.db, caId, serialHex);
    // RFC 6960 §2.2: "unknown" for a serial this CA never issued.
    if (!row) return { kind: 'unknown' };
    if (row.status === 'valid') return { kind: 'good' };
    const reason = (row.revocation_reason ?? 'unspecified') as RevocationReason;
    return { kind: 'revoked', revokedAt: row.revoked_at!, reason: REVOCATION_REASONS[reason] };
  }

  private remember(certId: CertIdRef, der: Uint8Array, refreshAt: number): void {
    if (this.cache.size >= MAX_CACHED) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
    const key = cacheKey(certId);
    this.cache.delete(key); // re-insert at the end: Map order is our eviction order
    this.cache.set(key, { der, serial: certId.serialNumber, refreshAt });
    let keys = this.keysBySerial.get(certId.serialNumber);
    if (!keys) this.keysBySerial.set(certId.serialNumber, (keys = new Set()));
    keys.add(key);
  }
}

/** Sets a bounded map entry; Map order is insertion order, so the oldest goes first. */
function remember(map: Map<string, string>, key: string, value: string): void {
  if (map.has(key)) return;
  if (map.size >= MAX_CACHED) map.delete(map.keys().next().value as string);
  map.set(key, value);
}

/** The CertID as sent: a cached response must echo the same bytes. */
function cacheKey(certId: CertIdRef): string {
  return Buffer.from(certId.der).toString('base64');
}

function errorAnswer(status: Parameters<typeof buildOcspErrorResponse>[0]): OcspAnswer {
  return { der: buildOcspErrorResponse(status), cacheableUntil: null, thisUpdate: null };
}
