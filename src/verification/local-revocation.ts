import type { Database } from '../db/schema/database.js';
import type { ParsedCertificate, RevocationAnswer, RevocationSource } from '../validation/validate-pdf.js';

/** How long a registry answer is reused; status changes in this process evict at once. */
const ANSWER_TTL_MS = 2_000;

/**
 * Revocation status from this region's own certificate registry: what its OCSP responder and
 * CRLs say, without a network round trip. Answers only for certificates issued by this region's
 * CAs (matched by the issuer's fingerprint); anything else is 'unknown' (a peer region's status
 * service answers for its own). Answers are cached briefly and evicted when a certificate's
 * status changes here, so a revocation shows in the next validation.
 */
export class LocalRevocationSource implements RevocationSource {
  private readonly answers = new Map<string, { answer: RevocationAnswer; until: number }>();

  constructor(
    private readonly db: Database,
    private readonly ownCaFingerprints: ReadonlySet<string>,
    private readonly now: () => Date,
  ) {}

  /** Whether `issuer` is one of this region's CAs. */
  issues(issuer: ParsedCertificate): boolean {
    return this.ownCaFingerprints.has(issuer.sha256Fingerprint);
  }

  async status(certificate: ParsedCertificate, issuer: ParsedCertificate): Promise<RevocationAnswer> {
    if (!this.ownCaFingerprints.has(issuer.sha256Fingerprint)) return { status: 'unknown' };
    const cached = this.answers.get(certificate.serialNumber);
    if (cached && cached.until > Date.now()) return cached.answer;
    const row = await this.db
      .selectFrom('certificates')
      .select(['status', 'revoked_at', 'revocation_reason', 'fingerprint_sha256'])
      .where('serial_hex', '=', certificate.serialNumber)
      .executeTakeFirst();
    const producedAt = this.now();
    let answer: RevocationAnswer;
    if (!row || row.fingerprint_sha256 !== certificate.sha256Fingerprint) answer = { status: 'unknown', producedAt };
    else if (row.status === 'valid') answer = { status: 'good', producedAt };
    else
      answer = {
        status: 'revoked',
        revokedAt: row.revoked_at ?? producedAt,
        reason: row.status === 'on-hold' ? 'certificateHold' : (row.revocation_reason ?? 'unspecified'),
        producedAt,
      };
    this.answers.set(certificate.serialNumber, { answer, until: Date.now() + ANSWER_TTL_MS });
    return answer;
  }

  evict(serialHex: string): void {
    this.answers.delete(serialHex.toLowerCase());
  }
}
