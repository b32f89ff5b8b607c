import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { LicenceService } from '../licences/licence.service.js';
import type { LicenceStatus } from '../licences/licence-status.js';
import type { PeerDirectory } from '../federation/peer-directory.js';
import type { PeerService, PeerTrust } from '../federation/peer.service.js';
import { createValidator, type PdfValidator, type RevocationSource, type TrustAnchor, type ValidationReport } from '../validation/validate-pdf.js';

/** What the registry says about a licence file, when the PDF is one of ours. */
export interface LicenceFileCheck {
  identifier: string;
  /** The region whose registry answered: this one, or the peer region that issued the licence. */
  region: { id: string; name: string };
  /** False: the file names an identifier its region never issued; null: the peer region did not answer in time. */
  known: boolean | null;
  status: LicenceStatus | null;
  typeName: string | null;
  issuer: string | null;
  supersededBy: string | null;
  /**
   * 'identical': byte for byte the file we issued; 'extended': the file we issued followed by
   * later incremental updates (judged by the signature report); 'different': not the file we
   * issued (the signed content differs).
   */
  file: 'identical' | 'extended' | 'different' | null;
}

/** The answer to "can I accept this PDF": the signature report plus, for our licences, the registry's word. */
export interface VerificationResult {
  /** Valid only when every signature PASSED and, for a licence, the registry knows it, it is in force and it is the file issued. */
  verdict: 'valid' | 'not-valid' | 'indeterminate';
  reasons: string[];
  report: ValidationReport;
  licence: LicenceFileCheck | null;
}

/** The identifier as our renderer writes it into the XMP packet (GB/T 36903 item ZZBS). */
const ZZBS = /<zz:ZZBS>(1\.2\.156\.3005\.2\.[0-9A-Z.]{20,100})<\/zz:ZZBS>/;

/**
 * Validates PDFs for accepting departments against this region's trust anchors and live
 * registry, and says what the licence registry knows about a licence file. The network is
 * never needed: trust anchors, certificates and revocation state are local.
 */
export class VerificationService {
  private validator: PdfValidator | null = null;
  private validatorPeers: PeerTrust[] | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly licences: LicenceService | null,
    private readonly trust: {
      region: { id: string; name: string };
      anchors: TrustAnchor[];
      intermediates: Uint8Array[];
      revocation: RevocationSource;
      maxBytes: number;
      /** Recognised regions: their anchors are trusted and their registries asked about their licences. */
      peers?: { service: PeerService; directory: PeerDirectory };
    },
  ) {}

  /** One validator per set of recognised regions: rebuilt when a peer's list changes, else reused (it caches parsed certificates). */
  private async currentValidator(): Promise<PdfValidator> {
    const peers = this.trust.peers ? await this.trust.peers.service.trusted() : [];
    if (this.validator && peers === this.validatorPeers) return this.validator;
    this.validator = createValidator({
      trustAnchors: [
        ...this.trust.anchors,
        ...peers.flatMap((peer) => peer.payload.trustAnchors.map((b64) => ({ certificateDer: Buffer.from(b64, 'base64'), name: `${peer.name} (${peer.regionId})` }))),
      ],
      intermediates: [...this.trust.intermediates, ...peers.flatMap((peer) => peer.payload.issuingCas.map((b64) => Buffer.from(b64, 'base64')))],
      revocation: this.trust.revocation,
      maxBytes: this.trust.maxBytes,
      revocationTimeoutMs: 3_000,
    });
    this.validatorPeers = peers;
    return this.validator;
  }

  /** @throws UnusableInputError for input that is not a usable PDF. */
  async verify(pdf: Uint8Array): Promise<VerificationResult> {
    const report = await (await this.currentValidator()).validate(pdf, { now: this.clock.now() });
    const licence = this.licences ? await this.licenceCheck(pdf, report) : null;
    const reasons: string[] = [];
    if (report.indication !== 'PASSED') reasons.push(`signatures: ${report.indication}${report.subIndication ? `/${report.subIndication}` : ''}`);
    if (licence) {
      if (licence.known === null) reasons.push(`licence: the registry of region ${licence.region.id} did not answer (try later)`);
      else if (!licence.known) reasons.push('licence: the registry does not know this identifier');
      else if (licence.status !== 'valid') reasons.push(`licence: ${licence.status}`);
      if (licence.file === 'different') reasons.push('licence: not the file that was issued');
    }
    const verdict =
      report.indication === 'FAILED' || (licence && (licence.known === false || licence.file === 'different' || (licence.status !== null && licence.status !== 'valid')))
        ? 'not-valid'
        : report.indication === 'INDETERMINATE' || licence?.known === null
          ? 'indeterminate'
          : 'valid';
    return { verdict, reasons, report, licence };
  }

  /**
   * Reads the identifier from the first signed revision only (what a seal covers), so a later
   * incremental update cannot point the check at another licence.
   */
  private async licenceCheck(pdf: Uint8Array, report: ValidationReport): Promise<LicenceFileCheck | null> {
    const first = report.signatures.find((s) => s.kind === 'signature' && s.coverage.byteRange.length === 4);
    if (!first) return null;
    const [, , start, length] = first.coverage.byteRange as [number, number, number, number];
    const end = Math.min(pdf.byteLength, start + length);
    const match = ZZBS.exec(Buffer.from(pdf.buffer, pdf.byteOffset, end).toString('latin1'));
    if (!match) return null;
    const identifier = match[1]!;
    const anchor = first.chain.trustAnchor?.sha256Fingerprint;
    const peer = anchor && this.trust.peers ? await this.trust.peers.directory.regionOf(anchor) : null;
    if (peer) return this.peerLicenceCheck(pdf, identifier, peer);
    const record = await this.licences!.publicRecord(identifier);
    const region = this.trust.region;
    if (!record) return { identifier, region, known: false, status: null, typeName: null, issuer: null, supersededBy: null, file: null };
    const { licence } = record;
    return {
      identifier,
      region,
      known: true,
      status: licence.status,
      typeName: licence.typeName,
      issuer: licence.issuer.name,
      supersededBy: licence.supersededBy,
      file: fileMatch(pdf, licence.fileSize, licence.fileSha256),
    };
  }

  /** A licence sealed under a recognised region's root: that region's registry is asked (3 s at most, cached). */
  private async peerLicenceCheck(pdf: Uint8Array, identifier: string, peer: PeerTrust): Promise<LicenceFileCheck> {
    const region = { id: peer.regionId, name: peer.name };
    const answer = await this.trust.peers!.directory.licenceStatus(peer, identifier);
    const typeName = peer.payload.licenceTypes.find((t) => identifier.includes(`.${t.code}.`))?.name ?? null;
    if (!answer) return { identifier, region, known: null, status: null, typeName, issuer: null, supersededBy: null, file: null };
    if (!answer.known) return { identifier, region, known: false, status: null, typeName, issuer: null, supersededBy: null, file: null };
    return {
      identifier,
      region,
      known: true,
      status: (answer.status as LicenceStatus | null) ?? null,
      typeName,
      issuer: answer.issuer,
      supersededBy: answer.supersededBy,
      file: answer.fileSize !== null && answer.fileSha256 ? fileMatch(pdf, answer.fileSize, answer.fileSha256) : null,
    };
  }
}

/** Whether `pdf` is the issued file (`size` bytes hashing to `sha256`), that file with later updates appended, or neither. */
function fileMatch(pdf: Uint8Array, size: number, sha256: string): LicenceFileCheck['file'] {
  if (pdf.byteLength < size) return 'different';
  const prefix = createHash('sha256').update(pdf.subarray(0, size)).digest('hex');
  if (prefix !== sha256) return 'different';
  return pdf.byteLength === size ? 'identical' : 'extended';
}
