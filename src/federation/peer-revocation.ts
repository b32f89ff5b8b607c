import { createHash } from 'node:crypto';
import { buildOcspRequest, certIdFor } from '../pki/ocsp.js';
import { CertificateCache, type ParsedCertificate } from '../validation/certificate.js';
import { EmbeddedRevocationData, RevocationDataCache } from '../validation/revocation-data.js';
import type { RevocationAnswer, RevocationSource } from '../validation/validate-pdf.js';

const TIMEOUT_MS = 3_000;

/**
 * Revocation status of a peer region's certificates, asked of that region's OCSP responder (its
 * address comes from its verified trust list). The response is checked like embedded OCSP data:
 * signed by the issuing CA or its delegated responder. A slow or absent responder answers
 * 'unknown' (the validator reports TRY_LATER), never a hang.
 */
export class PeerOcspSource implements RevocationSource {
  private readonly answers = new Map<string, { answer: RevocationAnswer; until: number }>();
  private readonly revocationCache = new RevocationDataCache();
  private readonly certificates = new CertificateCache();

  constructor(
    /** The OCSP address of the region whose CA `issuer` is, or null when no peer issued it. */
    private readonly responderFor: (issuer: ParsedCertificate) => Promise<string | null>,
    /** Answers are reused this long (never past the response's nextUpdate). */
    private readonly answerTtlMs: number,
    private readonly fetcher: typeof fetch = fetch,
  ) {}

  async status(certificate: ParsedCertificate, issuer: ParsedCertificate, _at: Date, signal?: AbortSignal): Promise<RevocationAnswer> {
    const url = await this.responderFor(issuer);
    if (!url) return { status: 'unknown' };
    const key = `${issuer.sha256Fingerprint}:${certificate.serialNumber}`;
    const cached = this.answers.get(key);
    if (cached && cached.until > Date.now()) return cached.answer;
    const certId = certIdFor({
      hashAlgorithm: 'SHA-1',
      issuerNameHash: createHash('sha1').update(issuer.subjectDer).digest('hex'),
      issuerKeyHash: createHash('sha1').update(issuer.publicKeyBits).digest('hex'),
      serialNumber: certificate.serialNumber,
    });
    let der: Uint8Array;
    try {
      const response = await this.fetcher(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/ocsp-request', Accept: 'application/ocsp-response' },
        body: Buffer.from(buildOcspRequest([certId])),
        signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]) : AbortSignal.timeout(TIMEOUT_MS),
      });
      if (!response.ok) return { status: 'unknown' };
      der = new Uint8Array(await response.arrayBuffer());
    } catch {
      return { status: 'unknown' };
    }
    const statuses = new EmbeddedRevocationData([{ der, source: 'peer-ocsp' }], [], this.revocationCache, this.certificates).statusesFor(certificate, issuer);
    const status = statuses[0];
    if (!status) return { status: 'unknown' };
    const answer: RevocationAnswer =
      status.status === 'revoked'
        ? { status: 'revoked', revokedAt: status.revokedAt ?? status.issuedAt, ...(status.reason ? { reason: status.reason } : {}), producedAt: status.issuedAt }
        : { status: status.status, producedAt: status.issuedAt };
    const until = Math.min(Date.now() + this.answerTtlMs, status.nextUpdate?.getTime() ?? Infinity);
    if (this.answerTtlMs > 0) this.answers.set(key, { answer, until });
    return answer;
  }
}

/** Own certificates from the own registry, a peer's from the peer. */
export class RegionRevocationSource implements RevocationSource {
  constructor(
    private readonly own: RevocationSource & { issues(issuer: ParsedCertificate): boolean },
    private readonly peers: RevocationSource,
  ) {}

  status(certificate: ParsedCertificate, issuer: ParsedCertificate, at: Date, signal?: AbortSignal): Promise<RevocationAnswer> {
    return this.own.issues(issuer) ? this.own.status(certificate, issuer, at, signal) : this.peers.status(certificate, issuer, at, signal);
  }
}
