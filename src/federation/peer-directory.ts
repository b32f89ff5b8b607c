import { createHash } from 'node:crypto';
import type { PeerService, PeerTrust } from './peer.service.js';

export interface PeerLicenceStatus {
  identifier: string;
  known: boolean;
  status: string | null;
  fileSha256: string | null;
  fileSize: number | null;
  supersededBy: string | null;
  issuer: string | null;
}

const STATUS_TIMEOUT_MS = 3_000;

/**
 * Lookups over the trust lists of recognised regions: which region a CA certificate or trust
 * anchor belongs to, where its OCSP responder and licence-status service are, and (cached,
 * with a timeout) what it says about one of its licences.
 */
export class PeerDirectory {
  private indexedFrom: PeerTrust[] | null = null;
  private byCertificate = new Map<string, PeerTrust>();
  private readonly statuses = new Map<string, { answer: PeerLicenceStatus | null; until: number }>();

  constructor(
    private readonly peers: PeerService,
    private readonly statusTtlMs: number,
    private readonly fetcher: typeof fetch = fetch,
  ) {}

  /** The recognised region whose list names this certificate (SHA-256 hex) as anchor or CA. */
  async regionOf(fingerprint: string): Promise<PeerTrust | null> {
    await this.index();
    return this.byCertificate.get(fingerprint) ?? null;
  }

  async region(regionId: string): Promise<PeerTrust | null> {
    return (await this.peers.trusted()).find((peer) => peer.regionId === regionId) ?? null;
  }

  async ocspUrlFor(issuerFingerprint: string): Promise<string | null> {
    return (await this.regionOf(issuerFingerprint))?.payload.services.ocsp ?? null;
  }

  /** The peer's own word on its licence; null when it did not answer in time. */
  async licenceStatus(peer: PeerTrust, identifier: string): Promise<PeerLicenceStatus | null> {
    const key = `${peer.regionId}:${identifier}`;
    const cached = this.statuses.get(key);
    if (cached && cached.until > Date.now()) return cached.answer;
    let answer: PeerLicenceStatus | null = null;
    try {
      const response = await this.fetcher(`${peer.payload.services.licenceStatus}${encodeURIComponent(identifier)}`, {
        signal: AbortSignal.timeout(STATUS_TIMEOUT_MS),
        headers: { Accept: 'application/json' },
      });
      if (response.status === 404) answer = { identifier, known: false, status: null, fileSha256: null, fileSize: null, supersededBy: null, issuer: null };
      else if (response.ok) {
        const body = (await response.json()) as Record<string, unknown>;
        answer = {
          identifier,
          known: body.known === true,
          status: typeof body.status === 'string' ? body.status : null,
          fileSha256: typeof body.fileSha256 === 'string' ? body.fileSha256 : null,
          fileSize: typeof body.fileSize === 'number' ? body.fileSize : null,
          supersededBy: typeof body.supersededBy === 'string' ? body.supersededBy : null,
          issuer: typeof (body.issuer as { name?: unknown })?.name === 'string' ? ((body.issuer as { name: string }).name) : null,
        };
      }
    } catch {
      answer = null;
    }
    if (answer && this.statusTtlMs > 0) this.statuses.set(key, { answer, until: Date.now() + this.statusTtlMs });
    return answer;
  }

  private async index(): Promise<void> {
    const trusted = await this.peers.trusted();
    if (trusted === this.indexedFrom) return;
    const map = new Map<string, PeerTrust>();
    for (const peer of trusted) {
      for (const b64 of [...peer.payload.trustAnchors, ...peer.payload.issuingCas]) {
        map.set(createHash('sha256').update(Buffer.from(b64, 'base64')).digest('hex'), peer);
      }
    }
    this.byCertificate = map;
    this.indexedFrom = trusted;
  }
}
