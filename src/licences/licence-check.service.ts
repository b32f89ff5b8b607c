import type { Logger } from 'pino';
import type { PeerDirectory } from '../federation/peer-directory.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema/database.js';
import type { LicenceService, Licence } from './licence.service.js';
import { maskLicence } from './licence.service.js';
import type { LicenceStatus } from './licence-status.js';
import type { LicenceTokenService } from './licence-token.service.js';
import { decodeLicenceToken, tokenKeyFromJwk, tokenSignatureValid } from './licence-token.js';

/**
 * What the public check page says about a scanned QR code:
 * - `valid`: the token is ours and intact, the registry knows the licence and it is in force;
 * - `not-valid`: genuine, but suspended, revoked, cancelled, expired or superseded;
 * - `not-genuine`: the token does not verify, names a licence we never issued, or vouches
 *   for content other than what the registry holds.
 */
export type QrVerdict = 'valid' | 'not-valid' | 'not-genuine';

export interface QrCheckReport {
  verdict: QrVerdict;
  /** Why, as a stable code: 'ok', a licence status, or what made it not genuine. */
  reason:
    | LicenceStatus
    | 'ok'
    | 'malformed-token'
    | 'unknown-key'
    | 'bad-signature'
    | 'foreign-region'
    | 'unknown-licence'
    | 'content-mismatch'
    | 'region-unavailable';
  /** For a licence of a recognised region: that region, and what its registry said (no personal data). */
  region?: { id: string; name: string };
  remote?: { identifier: string; typeName: string | null; issuer: string | null; status: string | null };
  checkedAt: Date;
  /** Masked: holder names and ids as 张*三 / 1101**********002X; no face fields. */
  licence: Licence | null;
  issuedAt: Date | null;
  tokenKeyId: string | null;
}

const FLUSH_EVERY_MS = 1_000;
const FLUSH_AT = 500;

/**
 * Checks scanned QR tokens against the region's keys and the live registry, and keeps a usage
 * record of each scan (which licence, what the page said, when; nothing about the scanner).
 * Scans are written in batches once a second, so a busy page costs one insert per second, not
 * one per scan; a crash loses at most that second of scan records, never a licence change.
 */
export class LicenceCheckService {
  private pending: { identifier: string | null; outcome: string; at: Date }[] = [];
  private flushing: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly licences: LicenceService,
    private readonly tokens: LicenceTokenService,
    private readonly peers?: PeerDirectory,
  ) {
    this.timer = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  async checkToken(token: string): Promise<QrCheckReport> {
    const report = await this.evaluate(token);
    this.record(report.licence?.identifier ?? decodeLicenceToken(token)?.claims.sub ?? null, `${report.verdict}:${report.reason}`);
    return report;
  }

  private async evaluate(token: string): Promise<QrCheckReport> {
    const checkedAt = this.clock.now();
    const base = { checkedAt, licence: null, issuedAt: null, tokenKeyId: null };
    const check = await this.tokens.check(token);
    if (!check.valid && check.reason === 'foreign-region' && this.peers) return this.evaluatePeerToken(token, checkedAt);
    if (!check.valid) {
      const reason = check.reason === 'malformed' ? 'malformed-token' : check.reason;
      return { ...base, verdict: 'not-genuine', reason };
    }
    const record = await this.licences.publicRecord(check.claims.sub);
    if (!record) return { ...base, verdict: 'not-genuine', reason: 'unknown-licence', tokenKeyId: check.kid };
    const { licence } = record;
    if (record.contentSha256 !== check.claims.h) return { ...base, verdict: 'not-genuine', reason: 'content-mismatch', tokenKeyId: check.kid };
    const masked = maskLicence(licence);
    const issuedAt = new Date(check.claims.iat * 1000);
    if (licence.status !== 'valid') return { checkedAt, verdict: 'not-valid', reason: licence.status, licence: masked, issuedAt, tokenKeyId: check.kid };
    return { checkedAt, verdict: 'valid', reason: 'ok', licence: masked, issuedAt, tokenKeyId: check.kid };
  }

  /**
   * A token of a recognised region: verified with that region's published token keys (from its
   * trust list), the status asked of its registry. Holder data stays in the holder's region.
   */
  private async evaluatePeerToken(token: string, checkedAt: Date): Promise<QrCheckReport> {
    const base = { checkedAt, licence: null, issuedAt: null, tokenKeyId: null };
    const decoded = decodeLicenceToken(token)!;
    const peer = await this.peers!.region(decoded.claims.iss);
    if (!peer) return { ...base, verdict: 'not-genuine', reason: 'foreign-region' };
    const region = { id: peer.regionId, name: peer.name };
    const jwk = peer.payload.tokenKeys.find((key) => key.kid === decoded.header.kid);
    if (!jwk) return { ...base, region, verdict: 'not-genuine', reason: 'unknown-key' };
    let genuine = false;
    try {
      genuine = tokenSignatureValid(decoded, tokenKeyFromJwk(jwk));
    } catch {
      genuine = false; // a key in the peer's list that is not a P-256 JWK
    }
    if (!genuine) return { ...base, region, verdict: 'not-genuine', reason: 'bad-signature' };
    const issuedAt = new Date(decoded.claims.iat * 1000);
    const answer = await this.peers!.licenceStatus(peer, decoded.claims.sub);
    const typeName = peer.payload.licenceTypes.find((t) => decoded.claims.sub.includes(`.${t.code}.`))?.name ?? null;
    const remote = { identifier: decoded.claims.sub, typeName, issuer: answer?.issuer ?? null, status: answer?.status ?? null };
    const common = { checkedAt, licence: null, issuedAt, tokenKeyId: decoded.header.kid, region, remote };
    if (!answer) return { ...common, verdict: 'not-valid', reason: 'region-unavailable' };
    if (!answer.known) return { ...common, verdict: 'not-genuine', reason: 'unknown-licence' };
    if (answer.status !== 'valid') return { ...common, verdict: 'not-valid', reason: answer.status as LicenceStatus };
    return { ...common, verdict: 'valid', reason: 'ok' };
  }

  private record(identifier: string | null, outcome: string): void {
    this.pending.push({ identifier: identifier && identifier.length <= 120 ? identifier : null, outcome, at: this.clock.now() });
    if (this.pending.length >= FLUSH_AT) void this.flush();
  }

  /** Writes the buffered scan records; also called on shutdown. */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.db
      .insertInto('licence_scans')
      .values(batch)
      .execute()
      .then(
        () => undefined,
        (error: unknown) => this.logger.warn({ err: error, lost: batch.length }, 'could not record QR scans'),
      )
      .finally(() => (this.flushing = null));
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Scans of one licence, for its issuing department: counts by outcome. */
  async scanCounts(identifier: string): Promise<Record<string, number>> {
    await this.flush();
    const rows = await this.db
      .selectFrom('licence_scans')
      .select(['outcome'])
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('identifier', '=', identifier)
      .groupBy('outcome')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.outcome, Number(r.count)]));
  }
}
