import { createHash } from 'node:crypto';
import type { Hierarchy } from '../authority/hierarchy.js';
import { publicationUrls } from '../authority/publication-urls.js';
import type { Clock } from '../clock.js';
import { isUniqueViolation } from '../db/pg-errors.js';
import type { Database } from '../db/schema/database.js';
import type { LicenceTokenService } from '../licences/licence-token.service.js';
import type { LicenceTypeCatalogue } from '../licences/licence-type.js';
import { jwsAlgorithmFor, signJws } from './jws.js';
import { fingerprintOf, TRUST_LIST_FORMAT, type TrustListPayload, trustListSigningInput } from './trust-list.js';

export interface PublishedTrustList {
  sequence: number;
  jws: string;
  issuedAt: Date;
  nextUpdate: Date;
}

const HOUR = 60 * 60 * 1000;

/**
 * Publishes this region's trust list. A new sequence number is issued when the content changes
 * (a CA, a token key or a licence type) or when half of the current list's validity has passed,
 * so peers always hold a list that is not past its next update.
 */
export class TrustListService {
  private latest: PublishedTrustList | null = null;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly hierarchy: Hierarchy,
    private readonly tokens: LicenceTokenService,
    private readonly catalogue: LicenceTypeCatalogue,
    private readonly region: { id: string; name: string; publicBaseUrl: string; validityHours: number },
  ) {}

  /** The signer's certificate fingerprint: what another region's administrator pins. */
  get signerFingerprint(): string {
    return fingerprintOf(this.hierarchy.trustListSigner.der);
  }

  async current(): Promise<PublishedTrustList> {
    const now = this.clock.now();
    const content = await this.content();
    const contentSha256 = createHash('sha256').update(JSON.stringify(content)).digest('hex');
    if (this.latest && this.fresh(this.latest, now) && this.latestContent === contentSha256) return this.latest;
    const row = await this.db.selectFrom('trust_list_publications').selectAll().orderBy('sequence', 'desc').executeTakeFirst();
    if (row && row.content_sha256 === contentSha256 && this.fresh({ issuedAt: row.issued_at, nextUpdate: row.next_update }, now)) {
      return this.remember({ sequence: row.sequence, jws: row.jws, issuedAt: row.issued_at, nextUpdate: row.next_update }, contentSha256);
    }
    const sequence = (row?.sequence ?? 0) + 1;
    const issuedAt = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const nextUpdate = new Date(issuedAt.getTime() + this.region.validityHours * HOUR);
    const payload: TrustListPayload = { format: TRUST_LIST_FORMAT, ...content, sequence, issuedAt: issuedAt.toISOString(), nextUpdate: nextUpdate.toISOString() } as TrustListPayload;
    const jws = await this.sign(payload);
    try {
      await this.db.insertInto('trust_list_publications').values({ sequence, issued_at: issuedAt, next_update: nextUpdate, content_sha256: contentSha256, jws }).execute();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      this.latest = null; // another instance published this sequence first: use theirs
      return this.current();
    }
    return this.remember({ sequence, jws, issuedAt, nextUpdate }, contentSha256);
  }

  private latestContent: string | null = null;

  private remember(list: PublishedTrustList, contentSha256: string): PublishedTrustList {
    this.latest = list;
    this.latestContent = contentSha256;
    return list;
  }

  /** Usable while less than half of its validity has passed. */
  private fresh(list: { issuedAt: Date; nextUpdate: Date }, now: Date): boolean {
    return now.getTime() < list.issuedAt.getTime() + (list.nextUpdate.getTime() - list.issuedAt.getTime()) / 2;
  }

  private async content(): Promise<Omit<TrustListPayload, 'format' | 'sequence' | 'issuedAt' | 'nextUpdate'>> {
    const base = this.region.publicBaseUrl;
    const urls = publicationUrls(base);
    const authorities = [...this.hierarchy.authorities.values()];
    const keys = await this.tokens.published();
    return {
      region: { id: this.region.id, name: this.region.name },
      trustAnchors: [Buffer.from(this.hierarchy.root.der).toString('base64')],
      issuingCas: authorities.filter((a) => a !== this.hierarchy.root).map((a) => Buffer.from(a.der).toString('base64')),
      services: {
        trustList: `${base}/trust-list`,
        ocsp: urls.ocsp,
        crls: authorities.map((a) => urls.crl(a.spec.id)),
        timestamps: urls.timestamp,
        licenceStatus: `${base}/licence-status/`,
        sharing: `${base}/federation/v1/share-requests`,
        tokenKeys: `${base}/.well-known/licence-token-keys.json`,
      },
      tokenKeys: keys.map(({ retired: _retired, ...key }) => key),
      licenceTypes: this.catalogue.list().map((t) => ({ code: t.code, name: t.name })),
    };
  }

  private async sign(payload: TrustListPayload): Promise<string> {
    const signer = this.hierarchy.trustListSigner;
    const chain = [signer.der, ...signer.issuer.chain.filter((c) => c !== this.hierarchy.root.certificate).map((c) => new Uint8Array(c.rawData))];
    const input = trustListSigningInput(payload, jwsAlgorithmFor(signer.algorithm), chain);
    return signJws(signer, input);
  }
}
