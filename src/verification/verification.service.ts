import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { LicenceService } from '../licences/licence.service.js';
import type { LicenceStatus } from '../licences/licence-status.js';
import { createValidator, type PdfValidator, type RevocationSource, type TrustAnchor, type ValidationReport } from '../validation/validate-pdf.js';

/** What the registry says about a licence file, when the PDF is one of ours. */
export interface LicenceFileCheck {
  identifier: string;
  /** False: the file names an identifier this region never issued. */
  known: boolean;
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
  private readonly validator: PdfValidator;

  constructor(
    private readonly clock: Clock,
    private readonly licences: LicenceService | null,
    trust: { anchors: TrustAnchor[]; intermediates: Uint8Array[]; revocation: RevocationSource; maxBytes: number },
  ) {
    this.validator = createValidator({
      trustAnchors: trust.anchors,
      intermediates: trust.intermediates,
      revocation: trust.revocation,
      maxBytes: trust.maxBytes,
      revocationTimeoutMs: 3_000,
    });
  }

  /** @throws UnusableInputError for input that is not a usable PDF. */
  async verify(pdf: Uint8Array): Promise<VerificationResult> {
    const report = await this.validator.validate(pdf, { now: this.clock.now() });
    const licence = this.licences ? await this.licenceCheck(pdf, report) : null;
    const reasons: string[] = [];
    if (report.indication !== 'PASSED') reasons.push(`signatures: ${report.indication}${report.subIndication ? `/${report.subIndication}` : ''}`);
    if (licence) {
      if (!licence.known) reasons.push('licence: the registry does not know this identifier');
      else if (licence.status !== 'valid') reasons.push(`licence: ${licence.status}`);
      if (licence.file === 'different') reasons.push('licence: not the file that was issued');
    }
    const verdict =
      report.indication === 'FAILED' || (licence && (!licence.known || licence.file === 'different' || (licence.status !== null && licence.status !== 'valid')))
        ? 'not-valid'
        : report.indication === 'INDETERMINATE'
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
    const record = await this.licences!.publicRecord(identifier);
    if (!record) return { identifier, known: false, status: null, typeName: null, issuer: null, supersededBy: null, file: null };
    const { licence } = record;
    let file: LicenceFileCheck['file'] = 'different';
    if (pdf.byteLength >= licence.fileSize) {
      const prefix = createHash('sha256').update(pdf.subarray(0, licence.fileSize)).digest('hex');
      if (prefix === licence.fileSha256) file = pdf.byteLength === licence.fileSize ? 'identical' : 'extended';
    }
    return { identifier, known: true, status: licence.status, typeName: licence.typeName, issuer: licence.issuer.name, supersededBy: licence.supersededBy, file };
  }
}
