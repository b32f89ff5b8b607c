/**
 * Validation of the signatures in a PDF (PAdES, ETSI EN 319 142-1; document time-stamps)
 * into a {@link ValidationReport}, following the signature validation processes of ETSI EN
 * 319 102-1: §5.3 basic validation, §5.5 validation with time (signature time-stamps), and
 * the proof-of-existence part of §5.6 (document time-stamps as archive time-stamps).
 *
 * Per signature, in process order (each step adds findings; see validation-report.ts
 * `decide` for how they combine):
 * 1. Format (§5.2.2): the byte range rules (pdf-signatures.ts), a readable CMS SignedData
 *    with one SignerInfo, detached, content type id-data → FAILED/FORMAT_FAILURE.
 * 2. Identification of the signing certificate (§5.2.3): the SignerInfo's sid among the CMS
 *    certificates, the DSS and the configured ones, confirmed by the ESS signing-certificate
 *    (-v2) attribute → INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND.
 * 3. Cryptographic verification (§5.2.7): message digest over the byte ranges →
 *    FAILED/HASH_FAILURE; signature value → FAILED/SIG_CRYPTO_FAILURE; algorithms and keys
 *    (signature-algorithms.ts) → INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE.
 * 4. Modifications after signing (modification-analysis.ts) → FAILED/SIG_CONSTRAINTS_FAILURE.
 * 5. Certificate path (§5.2.6, chain.ts) → INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND or
 *    CHAIN_CONSTRAINTS_FAILURE (also for a signer certificate without digitalSignature or
 *    nonRepudiation).
 * 6. Time (§5.5.4): the best signature time is the earliest proof of existence — a valid
 *    signature time-stamp, or a valid document time-stamp in a later revision — else the
 *    validation time. Each certificate of the path must be valid then: after notAfter →
 *    INDETERMINATE/OUT_OF_BOUNDS_NO_POE, unless a time-stamp the signature covers proves it
 *    was made after expiry → FAILED/EXPIRED; before notBefore with proof → FAILED/NOT_YET_VALID.
 *    A signature time later than the proof → INDETERMINATE/TIMESTAMP_ORDER_FAILURE.
 * 7. Revocation (§5.2.6.3, §5.5.4 with §5.3.4 as pyHanko reads it): every certificate of the
 *    path but the anchor. Sources: the policy's revocation source, asked at the validation
 *    time under a deadline, and the OCSP responses and CRLs embedded in the document
 *    (verified: revocation-data.ts). If any says revoked at R:
 *      - the signature provably existed before R (best signature time from a time-stamp < R):
 *        PASSED, with a warning;
 *      - a time-stamp the signature covers proves it was made at or after R: FAILED/REVOKED;
 *      - otherwise INDETERMINATE/REVOKED_NO_POE (REVOKED_CA_NO_POE for a CA certificate).
 *    Not revoked needs fresh information: the source's answer at validation time, or
 *    embedded data issued at or after the best signature time (EN 319 102-1 §5.2.5 freshness
 *    with zero tolerance). When there is none: INDETERMINATE/TRY_LATER (the source timed out,
 *    failed or said unknown, or there is no source and no embedded data), or
 *    REVOCATION_OUT_OF_BOUNDS_NO_POE when only embedded data older than the best signature
 *    time says "good".
 *
 * Time-stamps (signature and document): token, imprint, signature, TSA certificate (RFC 3161
 * §2.3), path to an anchor valid at genTime, and the TSA certificate not revoked at genTime
 * (a revocation for keyCompromise or cACompromise voids the token at any time, since such a
 * key could back-date). A TSA certificate that has expired by now is accepted without a later
 * archive time-stamp covering it: a simplification of EN 319 102-1 §5.6.
 *
 * Levels (ETSI EN 319 142-1 §6.3): B-B for an ETSI.CAdES.detached signature with the ESS
 * signing-certificate-v2 and no CMS signing-time; B-T with a valid signature time-stamp or a
 * later valid document time-stamp; B-LT when a DSS (in the signed revision or later) holds
 * revocation data for every non-anchor certificate of the signer's path and of the
 * signature time-stamp's TSA path; B-LTA when a valid document time-stamp covers that DSS.
 *
 * Speed: nothing here uses pkijs or asn1js (performance.md §6); parsed trust anchors,
 * intermediates, certificates, link signatures and OCSP/CRL checks are cached in the
 * validator that {@link createValidator} returns.
 */
import { createHash } from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import { whole } from './asn1.js';
import { CertificateCache, KEY_USAGE, type ParsedCertificate } from './certificate.js';
import { buildChain, certificatesOutsideValidity, chainConstraintProblems, chainSummary, TrustStore, type Anchor, type ChainOutcome } from './chain.js';
import { OID, readSignedData, type SignedData, type SignerInfo } from './cms.js';
import { docMdpOf, fieldLockOf, isCertification, judge, ModificationAnalysis, type Change, type DocMdpPermission } from './modification-analysis.js';
import { PdfFile, UnreadablePdfError, type PdfLimits, type Revision } from './pdf-file.js';
import { checkCoverage, findSignatures, pdfDate, readDss, type Coverage, type DssContent, type FoundSignature } from './pdf-signatures.js';
import { indexOfAscii, isInteger } from './pdf-syntax.js';
import { EmbeddedRevocationData, RevocationDataCache, type EmbeddedStatus, type RevocationItem } from './revocation-data.js';
import { checkSignerInfo, findSignerCertificate } from './signer-info.js';
import { checkTimestampToken, type TimestampCheck } from './timestamp-token.js';
import {
  decide,
  deepFreeze,
  failed,
  indeterminate,
  overallIndication,
  type Finding,
  type ModificationReport,
  type RevocationStatusSummary,
  type SignatureReport,
  type SignerSummary,
  type TimestampSummary,
  type ValidationReport,
} from './validation-report.js';

export type { ParsedCertificate } from './certificate.js';
export type * from './validation-report.js';

/** A certificate the relying party trusts (a region's root). */
export interface TrustAnchor {
  readonly certificateDer: Uint8Array;
  /** Shown in reports, e.g. the region's name. */
  readonly name?: string;
}

/** What a revocation source knows about one certificate at the time asked. */
export type RevocationAnswer =
  | { readonly status: 'good'; readonly producedAt?: Date }
  | { readonly status: 'revoked'; readonly revokedAt: Date; readonly reason?: string; readonly producedAt?: Date }
  | { readonly status: 'unknown'; readonly producedAt?: Date };

/**
 * The service's own view of revocation (its certificate registry, OCSP or CRL state), asked
 * for each certificate of each path except trust anchors. It should answer quickly; the
 * validator gives every query of one document a shared deadline
 * ({@link ValidationPolicy.revocationTimeoutMs}), aborts `signal` when it passes, and
 * treats a late or failed answer as "try later".
 */
export interface RevocationSource {
  status(certificate: ParsedCertificate, issuer: ParsedCertificate, at: Date, signal?: AbortSignal): Promise<RevocationAnswer>;
}

/** Bounds on what one validation may parse. */
export interface ValidationLimits {
  /** Larger inputs are refused (default 50 MB). */
  readonly maxBytes: number;
  readonly maxRevisions: number;
  /** Cross-reference entries, and objects walked per revision. */
  readonly maxObjects: number;
  /** Decoded size of one object, cross-reference or DSS stream. */
  readonly maxStreamBytes: number;
  readonly maxSignatures: number;
}

export const DEFAULT_LIMITS: ValidationLimits = Object.freeze({
  maxBytes: 50 * 1024 * 1024,
  maxRevisions: 500,
  maxObjects: 500_000,
  maxStreamBytes: 64 * 1024 * 1024,
  maxSignatures: 100,
});

export interface ValidationPolicy {
  readonly trustAnchors: readonly TrustAnchor[];
  /** Intermediate CA certificates to build paths with, besides those in the documents. */
  readonly intermediates?: readonly Uint8Array[];
  readonly revocation?: RevocationSource;
  /** The validation time. */
  readonly now: Date;
  /** Deadline for all revocation queries of one document (default 5000 ms). */
  readonly revocationTimeoutMs?: number;
  readonly maxSignatures?: number;
  readonly maxBytes?: number;
  readonly limits?: Partial<ValidationLimits>;
}

/**
 * The input cannot be validated at all: not a PDF, truncated (no readable cross-reference
 * section), without a document catalog, too large (`PdfTooLarge`), or encrypted
 * (`EncryptedPdf`). A PDF without signatures is not unusable: it gets a report.
 */
export class UnusableInputError extends InvalidInputError {
  constructor(code: 'UnusablePdf' | 'EncryptedPdf' | 'PdfTooLarge', message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}

export interface PdfValidator {
  validate(pdf: Uint8Array, options: { now: Date }): Promise<ValidationReport>;
}

/** Validates one PDF; see the module comment. Throws only {@link UnusableInputError}. */
export async function validatePdf(pdf: Uint8Array, policy: ValidationPolicy): Promise<ValidationReport> {
  return createValidator(policy).validate(pdf, { now: policy.now });
}

/**
 * A validator for repeated use: trust anchors and intermediates are parsed once, and parsed
 * certificates, link signatures, OCSP responses and CRLs are cached across documents.
 *
 * @throws InvalidInputError `InvalidTrustAnchor` / `InvalidIntermediate` for certificates
 *   in the policy that cannot be read.
 */
export function createValidator(base: Omit<ValidationPolicy, 'now'> & { now?: Date }): PdfValidator {
  const certificates = new CertificateCache();
  const revocationCache = new RevocationDataCache();
  const anchors: Anchor[] = base.trustAnchors.map((anchor, i) => {
    const parsed = certificates.parse(anchor.certificateDer);
    if (parsed instanceof Error) throw new InvalidInputError('InvalidTrustAnchor', `trust anchor ${i + 1} is not a certificate`, { cause: parsed });
    return { certificate: parsed, ...(anchor.name !== undefined ? { name: anchor.name } : {}) };
  });
  const intermediates = (base.intermediates ?? []).map((der, i) => {
    const parsed = certificates.parse(der);
    if (parsed instanceof Error) throw new InvalidInputError('InvalidIntermediate', `intermediate certificate ${i + 1} is not a certificate`, { cause: parsed });
    return parsed;
  });
  const limits: ValidationLimits = {
    ...DEFAULT_LIMITS,
    ...base.limits,
    ...(base.maxBytes !== undefined ? { maxBytes: base.maxBytes } : {}),
    ...(base.maxSignatures !== undefined ? { maxSignatures: base.maxSignatures } : {}),
  };
  const shared: Shared = {
    certificates,
    revocationCache,
    trust: new TrustStore(anchors),
    anchorCertificates: anchors.map((anchor) => anchor.certificate),
    intermediates,
    revocation: base.revocation ?? null,
    revocationTimeoutMs: base.revocationTimeoutMs ?? 5000,
    limits,
  };
  return {
    validate: (pdf, options) => new DocumentValidation(shared, pdf, options.now).run(),
  };
}

/**
 * What each incremental update of `pdf` changed (revisions 1 and later, each against the one
 * before), judged as for a signature without certification (DocMDP P=2 semantics; see
 * modification-analysis.ts). For a signing service to check its own output: the update it
 * appended must hold allowed changes only. pdf-lib, which our signer reads with, keeps the
 * last of several definitions of an object in file order, while readers follow the
 * cross-reference table, so a crafted input can make the signer rewrite a page from content
 * no reader showed; this check sees that as a disallowed change of the page.
 *
 * @throws UnusableInputError as {@link validatePdf}.
 */
export function analyseUpdates(pdf: Uint8Array, limits: Partial<ValidationLimits> = {}): { revisions: number; changes: ModificationReport[] } {
  const merged = { ...DEFAULT_LIMITS, ...limits };
  if (pdf.length > merged.maxBytes) throw new UnusableInputError('PdfTooLarge', `the PDF is larger than ${merged.maxBytes} bytes`);
  let file: PdfFile;
  try {
    file = PdfFile.open(pdf, { maxObjects: merged.maxObjects, maxRevisions: merged.maxRevisions, maxStreamBytes: merged.maxStreamBytes });
  } catch (cause) {
    throw new UnusableInputError('UnusablePdf', 'the PDF cannot be read', { cause });
  }
  const analysis = new ModificationAnalysis(file, merged.maxObjects);
  const changes: Change[] = [];
  for (let j = 1; j < file.revisions.length; j++) changes.push(...analysis.changesIn(j));
  return deepFreeze({ revisions: file.revisions.length, changes: judge(changes, 2, null).changes });
}

interface Shared {
  readonly certificates: CertificateCache;
  readonly revocationCache: RevocationDataCache;
  readonly trust: TrustStore;
  readonly anchorCertificates: readonly ParsedCertificate[];
  readonly intermediates: readonly ParsedCertificate[];
  readonly revocation: RevocationSource | null;
  readonly revocationTimeoutMs: number;
  readonly limits: ValidationLimits;
}

/** A signature-time-stamp or document time-stamp with its revocation verdict. */
interface Timestamp {
  readonly check: TimestampCheck;
  /** Token valid and TSA not revoked at genTime. */
  usable: boolean;
  revocationProblem: string | null;
}

interface Work {
  readonly found: FoundSignature;
  readonly findings: Finding[];
  readonly errors: string[];
  readonly warnings: string[];
  coverage: Coverage | null;
  revision: Revision | null;
  signer: ParsedCertificate | null;
  chain: ChainOutcome | null;
  claimedTime: Date | null;
  /** CAdES: the signature time-stamp; document time-stamp: the token itself. */
  timestamp: Timestamp | null;
  signedData: SignedData | null;
  pades: boolean;
  embedded: EmbeddedRevocationData | null;
  cmsRevocation: RevocationItem[];
  /** Structural problems that stop the later steps. */
  broken: boolean;
}

type ServiceAnswer = RevocationAnswer | { status: 'timeout' } | { status: 'error'; message: string } | { status: 'not-configured' };

const ID_DATA = OID.data;
const CLOCK_SKEW_MS = 5 * 60_000;

class DocumentValidation {
  private file!: PdfFile;
  private readonly warnings: string[] = [];
  private dss!: DssContent;
  private dssCertificates: ParsedCertificate[] = [];
  private readonly dssByRevision = new Map<number, DssContent>();
  private service = new Map<string, ServiceAnswer>();

  constructor(
    private readonly shared: Shared,
    private readonly pdf: Uint8Array,
    private readonly now: Date,
  ) {}

  async run(): Promise<ValidationReport> {
    if (!(this.now instanceof Date) || Number.isNaN(this.now.getTime())) throw new TypeError('now must be a valid Date');
    this.open();
    const file = this.file;
    const catalog = file.catalog(file.last).dict;
    const pagesDict = catalog ? file.dict(file.last, catalog.get('Pages')) : undefined;
    const count = pagesDict?.get('Count');
    const pages = isInteger(count) && count >= 0 ? count : 0;

    const { signatures: found, truncated } = findSignatures(file, this.shared.limits.maxSignatures);
    if (truncated) this.warnings.push(`only the first ${this.shared.limits.maxSignatures} signatures were validated`);
    this.dss = readDss(file, file.last);
    this.dssCertificates = this.parseAll(this.dss.certificates);

    const works = found.map((signature) => this.phase1(signature));
    works.sort((a, b) => (a.coverage?.revision?.end ?? Infinity) - (b.coverage?.revision?.end ?? Infinity) || (a.found.dictionaryNumber ?? 0) - (b.found.dictionaryNumber ?? 0));

    await this.askRevocationService(works);
    for (const work of works) this.judgeTimestamp(work);
    const analysis = new ModificationAnalysis(file, this.shared.limits.maxObjects);
    const certification = this.certification(works);
    const reports = works.map((work, index) => this.phase2(work, index, works, analysis, certification));
    this.warnings.push(...file.warnings, ...analysis.warnings);
    if (reports.length === 0) this.warnings.push('no signatures');

    const overall = overallIndication(reports);
    return deepFreeze({
      ...overall,
      validationTime: this.now.toISOString(),
      document: {
        sha256: createHash('sha256').update(this.pdf).digest('hex'),
        pages,
        revisions: file.revisions.length,
        signatures: reports.length,
      },
      signatures: reports,
      warnings: [...new Set(this.warnings)],
    });
  }

  private open(): void {
    const { pdf } = this;
    const limits = this.shared.limits;
    if (!(pdf instanceof Uint8Array)) throw new UnusableInputError('UnusablePdf', 'the input is not bytes');
    if (pdf.length > limits.maxBytes) throw new UnusableInputError('PdfTooLarge', `the PDF is larger than ${limits.maxBytes} bytes`);
    if (indexOfAscii(pdf, '%PDF-', 0, Math.min(pdf.length, 1024)) < 0) throw new UnusableInputError('UnusablePdf', 'the input is not a PDF (no %PDF- header)');
    const pdfLimits: PdfLimits = { maxObjects: limits.maxObjects, maxRevisions: limits.maxRevisions, maxStreamBytes: limits.maxStreamBytes };
    try {
      this.file = PdfFile.open(pdf, pdfLimits);
    } catch (cause) {
      if (cause instanceof UnreadablePdfError) throw new UnusableInputError('UnusablePdf', `the PDF cannot be read: ${cause.message}`, { cause });
      throw new UnusableInputError('UnusablePdf', 'the PDF cannot be read', { cause });
    }
    if (this.file.last.trailer.get('Encrypt') !== undefined) throw new UnusableInputError('EncryptedPdf', 'the PDF is encrypted');
    if (!this.file.catalog(this.file.last).dict) throw new UnusableInputError('UnusablePdf', 'the PDF has no readable document catalog');
  }

  private parseAll(ders: readonly Uint8Array[]): ParsedCertificate[] {
    const out: ParsedCertificate[] = [];
    for (const der of ders) {
      const parsed = this.shared.certificates.parse(der);
      if (!(parsed instanceof Error)) out.push(parsed);
    }
    return out;
  }

  private dssAt(revision: Revision): DssContent {
    let dss = this.dssByRevision.get(revision.index);
    if (!dss) {
      dss = revision === this.file.last ? this.dss : readDss(this.file, revision);
      this.dssByRevision.set(revision.index, dss);
    }
    return dss;
  }

  // -------------------------------------------------------------------------------------
  // Phase 1: everything that needs no revocation answer
  // -------------------------------------------------------------------------------------

  private phase1(found: FoundSignature): Work {
    const work: Work = {
      found,
      findings: [],
      errors: [],
      warnings: [],
      coverage: null,
      revision: null,
      signer: null,
      chain: null,
      claimedTime: null,
      timestamp: null,
      signedData: null,
      pades: false,
      embedded: null,
      cmsRevocation: [],
      broken: false,
    };
    const coverage = checkCoverage(this.file, found);
    work.coverage = coverage;
    work.revision = coverage.revision;
    if (!coverage.ok) {
      this.add(work, failed('FORMAT_FAILURE', coverage.problem));
      work.broken = true;
      return work;
    }
    if (found.kind === 'document-timestamp') this.phase1DocumentTimestamp(work, coverage);
    else this.phase1Signature(work, coverage);
    return work;
  }

  private ranges(coverage: Coverage & { ok: true }): Uint8Array[] {
    const [, a, b, c] = coverage.byteRange;
    return [this.pdf.subarray(0, a), this.pdf.subarray(b, b + c)];
  }

  private phase1Signature(work: Work, coverage: Coverage & { ok: true }): void {
    const { found } = work;
    const subFilter = found.subFilter;
    if (subFilter === 'adbe.pkcs7.sha1' || subFilter === 'adbe.x509.rsa_sha1') {
      this.add(work, indeterminate('CRYPTO_CONSTRAINTS_FAILURE', `SubFilter ${subFilter} signs a SHA-1 digest, which is no longer acceptable (ETSI TS 119 312)`));
      work.broken = true;
      return;
    }
    if (subFilter !== 'ETSI.CAdES.detached' && subFilter !== 'adbe.pkcs7.detached') {
      this.add(work, failed('FORMAT_FAILURE', `SubFilter ${subFilter ?? '(none)'} is not supported`));
      work.broken = true;
      return;
    }
    work.pades = subFilter === 'ETSI.CAdES.detached';
    let signedData: SignedData;
    try {
      signedData = readSignedData(coverage.contents);
    } catch (error) {
      this.add(work, failed('FORMAT_FAILURE', `the CMS in /Contents cannot be read (${message(error)})`));
      work.broken = true;
      return;
    }
    work.signedData = signedData;
    if (signedData.trailingNonZero) work.warnings.push('/Contents holds non-zero bytes after the CMS');
    if (signedData.eContent !== null) this.add(work, failed('FORMAT_FAILURE', 'the CMS is not detached (it encapsulates content)'));
    if (signedData.eContentType !== ID_DATA) this.add(work, failed('FORMAT_FAILURE', `the CMS content type is ${signedData.eContentType}, not id-data`));
    if (signedData.signerInfos.length !== 1) {
      this.add(work, failed('FORMAT_FAILURE', `a PDF signature has exactly one SignerInfo, this one has ${signedData.signerInfos.length}`));
      work.broken = true;
      return;
    }
    const signerInfo = signedData.signerInfos[0]!;
    const own = this.parseAll(signedData.certificates);
    const pool = [...own, ...this.dssCertificates, ...this.shared.intermediates];
    const signer = findSignerCertificate(signerInfo.sid, [...pool, ...this.shared.anchorCertificates]);
    work.signer = signer;
    if (!signer) this.add(work, indeterminate('NO_SIGNING_CERTIFICATE_FOUND', 'the signer\'s certificate is neither in the CMS, the DSS nor the configured certificates'));

    const check = checkSignerInfo(signerInfo, this.ranges(coverage), ID_DATA, signer);
    for (const problem of check.formatProblems) this.add(work, failed('FORMAT_FAILURE', problem));
    work.warnings.push(...check.warnings);
    if (signer && check.signingCertificateAttribute === 'mismatch') {
      this.add(work, indeterminate('NO_SIGNING_CERTIFICATE_FOUND', 'the ESS signing-certificate attribute does not name the certificate the signature identifies'));
    } else if (check.signingCertificateAttribute === 'absent') {
      if (work.pades) this.add(work, indeterminate('NO_SIGNING_CERTIFICATE_FOUND', 'no ESS signing-certificate(-v2) attribute binds the signer certificate (ETSI EN 319 122-1 §5.2.2)'));
      else work.warnings.push('no ESS signing-certificate attribute binds the signer certificate');
    }
    if (check.messageDigestMatches === false) this.add(work, failed('HASH_FAILURE', 'the signed bytes do not match the message digest: the signed revision was altered'));
    if (check.signatureValid === false) this.add(work, failed('SIG_CRYPTO_FAILURE', 'the signature value does not verify with the signer certificate\'s key'));
    for (const problem of check.cryptoProblems) this.add(work, indeterminate('CRYPTO_CONSTRAINTS_FAILURE', problem));
    if (check.signingTime && work.pades) work.warnings.push('the CMS has a signing-time attribute, which PAdES baseline signatures do not use (ETSI EN 319 142-1 §6.3)');
    work.claimedTime = check.signingTime ?? pdfDate(found.dictionary.get('M'));

    work.cmsRevocation = [
      ...signedData.ocspResponses.map((der) => ({ der, source: 'cms-ocsp' })),
      ...signedData.crls.map((der) => ({ der, source: 'cms-crl' })),
    ];
    work.embedded = this.embeddedFor(work.cmsRevocation);

    if (signer) {
      if (!signer.hasKeyUsage(KEY_USAGE.digitalSignature) && !signer.hasKeyUsage(KEY_USAGE.nonRepudiation)) {
        this.add(work, indeterminate('CHAIN_CONSTRAINTS_FAILURE', 'the signer certificate\'s keyUsage allows neither digitalSignature nor nonRepudiation'));
      }
      const chain = buildChain(signer, pool, this.shared.trust, this.shared.certificates);
      work.chain = chain;
      if (!chain.ok) this.add(work, indeterminate(chain.crypto ? 'CRYPTO_CONSTRAINTS_FAILURE' : 'NO_CERTIFICATE_CHAIN_FOUND', chain.reason));
      else for (const problem of chainConstraintProblems(chain.path)) this.add(work, indeterminate('CHAIN_CONSTRAINTS_FAILURE', problem));
    }

    // ETSI EN 319 122-1 §5.3: signature-time-stamp over the signature value.
    const tokens = signerInfo.unsignedAttributes.filter((attribute) => attribute.type === OID.signatureTimeStampToken).flatMap((attribute) => attribute.values);
    const checks = tokens.map((token) => checkTimestampToken(whole(token), (hash) => createHash(hash).update(signerInfo.signature).digest(), this.timestampContext(pool)));
    const best = checks.filter((c) => c.valid).sort((x, y) => x.genTime!.getTime() - y.genTime!.getTime())[0] ?? checks[0];
    if (best) work.timestamp = { check: best, usable: best.valid, revocationProblem: null };
    for (const c of checks) if (!c.valid) work.warnings.push(`a signature time-stamp is not valid: ${c.problems.join('; ')}`);
  }

  private phase1DocumentTimestamp(work: Work, coverage: Coverage & { ok: true }): void {
    if (work.found.subFilter !== 'ETSI.RFC3161') {
      this.add(work, failed('FORMAT_FAILURE', `a document time-stamp has SubFilter ETSI.RFC3161, not ${work.found.subFilter ?? '(none)'}`));
      work.broken = true;
      return;
    }
    const ranges = this.ranges(coverage);
    const pool = [...this.dssCertificates, ...this.shared.intermediates];
    const check = checkTimestampToken(coverage.contents, (hash) => {
      const h = createHash(hash);
      for (const range of ranges) h.update(range);
      return h.digest();
    }, this.timestampContext(pool));
    work.timestamp = { check, usable: check.valid, revocationProblem: null };
    work.signer = check.tsa;
    work.chain = check.chain;
    work.claimedTime = check.genTime;
    work.embedded = this.embeddedFor([]);
    for (const problem of check.formatProblems) this.add(work, failed('FORMAT_FAILURE', problem));
    if (!check.readable) {
      work.broken = true;
      return;
    }
    if (!check.imprintMatches && check.cryptoProblems.length === 0) this.add(work, failed('HASH_FAILURE', 'the document time-stamp is not over these bytes: the signed revision was altered'));
    for (const problem of check.signingCertificateProblems) this.add(work, indeterminate('NO_SIGNING_CERTIFICATE_FOUND', problem));
    if (check.tsa && !check.signatureValid) this.add(work, failed('SIG_CRYPTO_FAILURE', 'the time-stamp token\'s signature does not verify'));
    for (const problem of check.cryptoProblems) this.add(work, indeterminate('CRYPTO_CONSTRAINTS_FAILURE', problem));
    if (check.chain && !check.chain.ok) this.add(work, indeterminate(check.chain.crypto ? 'CRYPTO_CONSTRAINTS_FAILURE' : 'NO_CERTIFICATE_CHAIN_FOUND', `TSA certificate: ${check.chain.reason}`));
    for (const problem of check.constraintProblems) this.add(work, indeterminate('CHAIN_CONSTRAINTS_FAILURE', problem));
    if (check.tsa && check.genTime) {
      if (check.genTime.getTime() > check.tsa.notAfter.getTime()) this.add(work, failed('EXPIRED', `the TSA certificate expired before the time-stamp's genTime`));
      else if (check.genTime.getTime() < check.tsa.notBefore.getTime()) this.add(work, failed('NOT_YET_VALID', 'the TSA certificate was not yet valid at the time-stamp\'s genTime'));
      else for (const problem of check.validityProblems) this.add(work, indeterminate('OUT_OF_BOUNDS_NO_POE', problem));
    }
    work.warnings.push(...check.warnings);
  }

  private timestampContext(pool: readonly ParsedCertificate[]) {
    return { certificates: this.shared.certificates, trust: this.shared.trust, pool };
  }

  private embeddedFor(cms: RevocationItem[]): EmbeddedRevocationData {
    return new EmbeddedRevocationData(
      [...this.dss.ocspResponses.map((der) => ({ der, source: 'dss-ocsp' })), ...cms.filter((item) => item.source.endsWith('ocsp'))],
      [...this.dss.crls.map((der) => ({ der, source: 'dss-crl' })), ...cms.filter((item) => item.source.endsWith('crl'))],
      this.shared.revocationCache,
      this.shared.certificates,
    );
  }

  private add(work: Work, finding: Finding): void {
    work.findings.push(finding);
    work.errors.push(finding.message);
  }

  // -------------------------------------------------------------------------------------
  // Revocation service
  // -------------------------------------------------------------------------------------

  /** Asks the policy's source about every non-anchor certificate of every path, all under one deadline. */
  private async askRevocationService(works: readonly Work[]): Promise<void> {
    const pairs = new Map<string, [ParsedCertificate, ParsedCertificate]>();
    const addPath = (chain: ChainOutcome | null | undefined) => {
      if (!chain?.ok) return;
      for (let i = 0; i + 1 < chain.path.length; i++) {
        const certificate = chain.path[i]!;
        if (certificate.ocspNoCheck) continue;
        pairs.set(pairKey(certificate, chain.path[i + 1]!), [certificate, chain.path[i + 1]!]);
      }
    };
    for (const work of works) {
      addPath(work.chain);
      addPath(work.timestamp?.check.chain);
    }
    const source = this.shared.revocation;
    if (!source) {
      for (const key of pairs.keys()) this.service.set(key, { status: 'not-configured' });
      return;
    }
    if (pairs.size === 0) return;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<ServiceAnswer>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve({ status: 'timeout' });
      }, this.shared.revocationTimeoutMs);
    });
    try {
      const answers = await Promise.all(
        [...pairs].map(async ([key, [certificate, issuer]]) => {
          const asked = Promise.resolve()
            .then(() => source.status(certificate, issuer, this.now, controller.signal))
            .then(checkAnswer, (error: unknown): ServiceAnswer => ({ status: 'error', message: message(error) }));
          return [key, await Promise.race([asked, deadline])] as const;
        }),
      );
      this.service = new Map(answers);
    } finally {
      clearTimeout(timer);
    }
  }

  // -------------------------------------------------------------------------------------
  // Phase 2
  // -------------------------------------------------------------------------------------

  /** Time-stamps: usable when valid and the TSA certificate was not revoked at genTime. */
  private judgeTimestamp(work: Work): void {
    const timestamp = work.timestamp;
    if (!timestamp?.check.valid || !timestamp.check.chain?.ok) return;
    const genTime = timestamp.check.genTime!;
    const path = timestamp.check.chain.path;
    for (let i = 0; i + 1 < path.length; i++) {
      const statuses = this.statusesOf(work, path[i]!, path[i + 1]!);
      for (const status of statuses) {
        if (status.status !== 'revoked' || !status.revokedAt) continue;
        if (status.revokedAt.getTime() <= genTime.getTime() || status.reason === 'keyCompromise' || status.reason === 'cACompromise') {
          timestamp.usable = false;
          timestamp.revocationProblem = `the TSA certificate '${path[i]!.subject}' is revoked (${status.reason ?? 'unspecified'}, ${status.revokedAt.toISOString()})`;
        }
      }
    }
  }

  /** Every status known for one certificate: embedded (verified) and the service's. */
  private statusesOf(work: Work, certificate: ParsedCertificate, issuer: ParsedCertificate): { status: string; revokedAt?: Date; reason?: string; issuedAt?: Date; source: string }[] {
    const out: { status: string; revokedAt?: Date; reason?: string; issuedAt?: Date; source: string }[] = [];
    for (const status of work.embedded?.statusesFor(certificate, issuer) ?? []) {
      out.push({ status: status.status, ...(status.revokedAt ? { revokedAt: status.revokedAt } : {}), ...(status.reason ? { reason: status.reason } : {}), issuedAt: status.thisUpdate, source: status.source });
    }
    const answer = this.service.get(pairKey(certificate, issuer));
    if (answer?.status === 'revoked') out.push({ status: 'revoked', revokedAt: answer.revokedAt, ...(answer.reason ? { reason: answer.reason } : {}), source: 'service' });
    return out;
  }

  /** The certification signature (ISO 32000-2 §12.8.2.2): the first signature, named by the catalog's /Perms /DocMDP. */
  private certification(works: readonly Work[]): { work: Work; p: DocMdpPermission } | null {
    const first = works.find((work) => work.revision !== null && work.found.kind === 'signature');
    for (const work of works) {
      if (!work.revision || work.found.kind !== 'signature') continue;
      const p = docMdpOf(this.file, work.revision, work.found.dictionary);
      if (p === null) continue;
      if (work !== first) {
        work.warnings.push('the signature declares DocMDP but is not the first signature: it is treated as an approval signature');
        continue;
      }
      if (!isCertification(this.file, work.revision, work.found.dictionaryNumber)) {
        work.warnings.push('the signature declares DocMDP but the catalog\'s /Perms does not name it: it is treated as an approval signature');
        continue;
      }
      return { work, p };
    }
    return null;
  }

  private phase2(work: Work, index: number, works: readonly Work[], analysis: ModificationAnalysis, certification: { work: Work; p: DocMdpPermission } | null): SignatureReport {
    const { found } = work;
    const revision = work.revision;
    const coverage = work.coverage!;
    const isDocumentTimestamp = found.kind === 'document-timestamp';

    // Modifications after the signed revision.
    let modifications: SignatureReport['modificationsAfter'] = { classification: 'none', changes: [] };
    if (coverage.ok && revision) {
      const changes = [];
      for (let j = revision.index + 1; j < this.file.revisions.length; j++) changes.push(...analysis.changesIn(j));
      const p: DocMdpPermission = certification && certification.work.revision!.index <= revision.index ? certification.p : 2;
      const lock = fieldLockOf(this.file, revision, found.field, found.dictionary);
      modifications = judge(changes, p, lock);
      if (!found.inLastRevision) {
        this.add(work, failed('SIG_CONSTRAINTS_FAILURE', 'a later revision removed this signature from the form'));
      } else if (modifications.classification === 'disallowed') {
        const first = modifications.changes.find((change) => !change.allowed)!;
        const why = p === 1 && certification?.work === work ? ' (certified with DocMDP P=1: no changes allowed)' : '';
        this.add(work, failed('SIG_CONSTRAINTS_FAILURE', `the document was changed after signing in a way that is not allowed${why}: ${first.description} (revision ${first.revision})`));
      }
    }

    // Time: proof of existence, and proof of "not before".
    const ownTimestamp = work.timestamp?.usable ? work.timestamp.check.genTime! : null;
    if (work.timestamp && !work.timestamp.usable && work.timestamp.revocationProblem) work.warnings.push(`the time-stamp is not usable: ${work.timestamp.revocationProblem}`);
    const revisionIndex = revision?.index ?? -1;
    const laterDocumentTimestamps = works
      .filter((other) => other.found.kind === 'document-timestamp' && other.timestamp?.usable && (other.revision?.index ?? -1) > revisionIndex && revisionIndex >= 0)
      .map((other) => other.timestamp!.check.genTime!);
    const proofs = [...(ownTimestamp && !isDocumentTimestamp ? [ownTimestamp] : []), ...laterDocumentTimestamps];
    const poe = isDocumentTimestamp ? ownTimestamp : proofs.length > 0 ? new Date(Math.min(...proofs.map((d) => d.getTime()))) : null;
    const bestSignatureTime = poe ?? this.now;
    const notBefore = revisionIndex < 0 ? null : this.notBefore(works, revisionIndex);

    const summaries = { atSigning: notChecked(), now: notChecked() };
    if (!work.broken && work.chain?.ok && work.signer) {
      this.checkTime(work, bestSignatureTime, poe !== null, notBefore, isDocumentTimestamp);
      Object.assign(summaries, this.checkRevocation(work, bestSignatureTime, poe !== null, notBefore));
    }
    if (!isDocumentTimestamp && work.timestamp?.usable && work.claimedTime && work.claimedTime.getTime() > work.timestamp.check.genTime!.getTime() + CLOCK_SKEW_MS) {
      work.warnings.push('the claimed signing time is later than the signature time-stamp');
    }

    const level = isDocumentTimestamp || work.broken ? null : this.level(work, works, poe !== null);
    const verdict = decide(work.findings);
    const chain = work.chain;
    return {
      index,
      fieldName: found.fieldName,
      kind: found.kind,
      subFilter: found.subFilter,
      indication: verdict.indication,
      ...(verdict.subIndication ? { subIndication: verdict.subIndication } : {}),
      signer: work.signer ? signerSummary(work.signer) : null,
      chain: chain ? chainSummary(chain.path, chain.ok ? chain.anchor : null) : { certificates: [], trustAnchor: null },
      claimedSigningTime: work.claimedTime?.toISOString() ?? null,
      timestamp: work.timestamp ? timestampSummary(work.timestamp) : null,
      bestSignatureTime: bestSignatureTime.toISOString(),
      revocation: summaries,
      level,
      coverage: {
        byteRange: [...coverage.byteRange],
        coversWholeRevision: coverage.ok,
        revision: revision?.index ?? -1,
      },
      modificationsAfter: modifications,
      errors: [...new Set(work.errors)],
      warnings: [...new Set(work.warnings)],
    };
  }

  /** The latest genTime of usable time-stamps inside the signed bytes: the signature was made after it. */
  private notBefore(works: readonly Work[], revisionIndex: number): Date | null {
    let latest: number | null = null;
    for (const other of works) {
      const otherRevision = other.revision?.index ?? -1;
      if (otherRevision < 0 || otherRevision >= revisionIndex || !other.timestamp?.usable) continue;
      const time = other.timestamp.check.genTime!.getTime();
      latest = latest === null ? time : Math.max(latest, time);
    }
    return latest === null ? null : new Date(latest);
  }

  /** EN 319 102-1 §5.5.4 (c)/(d) with §5.2.6 validity: see the module comment, step 6. */
  private checkTime(work: Work, bst: Date, proven: boolean, notBefore: Date | null, isDocumentTimestamp: boolean): void {
    const path = (work.chain as ChainOutcome & { ok: true }).path;
    if (notBefore && proven && notBefore.getTime() > bst.getTime() + CLOCK_SKEW_MS) {
      this.add(work, indeterminate('TIMESTAMP_ORDER_FAILURE', `a time-stamp inside the signed bytes (${notBefore.toISOString()}) is later than the signature's proof of existence (${bst.toISOString()})`));
    }
    if (isDocumentTimestamp) return; // checked against genTime in phase 1
    for (const certificate of certificatesOutsideValidity(path, bst)) {
      const isSigner = certificate === path[0];
      const when = bst.toISOString();
      if (bst.getTime() > certificate.notAfter.getTime()) {
        if (isSigner && notBefore && notBefore.getTime() >= certificate.notAfter.getTime()) {
          this.add(work, failed('EXPIRED', `a time-stamp inside the signed bytes proves the signature was made after the signer certificate expired (${certificate.notAfter.toISOString()})`));
        } else {
          this.add(work, indeterminate('OUT_OF_BOUNDS_NO_POE', `'${certificate.subject}' expired ${certificate.notAfter.toISOString()}, and nothing proves the signature existed before (best signature time ${when})`));
        }
      } else if (isSigner && proven) {
        this.add(work, failed('NOT_YET_VALID', `the signature existed at ${when}, before the signer certificate became valid (${certificate.notBefore.toISOString()})`));
      } else if (isSigner) {
        this.add(work, indeterminate('NOT_YET_VALID', `the signer certificate is not valid before ${certificate.notBefore.toISOString()}`));
      } else {
        this.add(work, indeterminate('CHAIN_CONSTRAINTS_FAILURE', `'${certificate.subject}' was not yet valid at ${when}`));
      }
    }
  }

  /** See the module comment, step 7. Returns the signer certificate's summaries. */
  private checkRevocation(work: Work, bst: Date, proven: boolean, notBefore: Date | null): { atSigning: RevocationStatusSummary; now: RevocationStatusSummary } {
    const path = (work.chain as ChainOutcome & { ok: true }).path;
    let atSigning: RevocationStatusSummary = notChecked();
    let nowSummary: RevocationStatusSummary = notChecked();
    for (let i = 0; i + 1 < path.length; i++) {
      const certificate = path[i]!;
      const issuer = path[i + 1]!;
      const isSigner = i === 0;
      const label = isSigner ? (work.found.kind === 'document-timestamp' ? 'the TSA certificate' : 'the signer certificate') : `CA certificate '${certificate.subject}'`;
      if (certificate.ocspNoCheck) continue;
      const embedded = work.embedded?.statusesFor(certificate, issuer) ?? [];
      const answer = this.service.get(pairKey(certificate, issuer)) ?? { status: 'not-configured' };
      if (isSigner) {
        atSigning = embeddedSummary(embedded, bst);
        nowSummary = serviceSummary(answer);
      }
      const revocations = [
        ...embedded.filter((s) => s.status === 'revoked' && s.revokedAt).map((s) => ({ at: s.revokedAt!, reason: s.reason ?? 'unspecified', source: s.source })),
        ...(answer.status === 'revoked' ? [{ at: answer.revokedAt, reason: answer.reason ?? 'unspecified', source: 'service' }] : []),
      ].sort((a, b) => a.at.getTime() - b.at.getTime());
      const revoked = revocations[0];
      if (revoked) {
        const what = `${label} was revoked at ${revoked.at.toISOString()} (${revoked.reason}, per ${revoked.source})`;
        const tsaKeyCompromised = isSigner && work.found.kind === 'document-timestamp' && (revoked.reason === 'keyCompromise' || revoked.reason === 'cACompromise');
        if (tsaKeyCompromised) {
          this.add(work, indeterminate('REVOKED_NO_POE', `${what}: a compromised time-stamping key could have made this token at any time`));
        } else if (isSigner && notBefore && notBefore.getTime() >= revoked.at.getTime()) {
          this.add(work, failed('REVOKED', `${what}, and a time-stamp inside the signed bytes proves the signature was made afterwards`));
        } else if (proven && bst.getTime() < revoked.at.getTime()) {
          work.warnings.push(`${what}, after the signature's proof of existence at ${bst.toISOString()}`);
        } else {
          this.add(work, indeterminate(isSigner ? 'REVOKED_NO_POE' : 'REVOKED_CA_NO_POE', `${what}, and nothing proves the signature existed before that`));
        }
        continue;
      }
      const freshEmbedded = embedded.some((s) => s.status === 'good' && s.thisUpdate.getTime() >= bst.getTime() - (proven ? 0 : CLOCK_SKEW_MS));
      if (answer.status === 'good' || freshEmbedded) continue;
      const staleGood = embedded.some((s) => s.status === 'good');
      if (answer.status === 'timeout') this.add(work, indeterminate('TRY_LATER', `the revocation service did not answer for ${label} within ${this.shared.revocationTimeoutMs} ms`));
      else if (answer.status === 'error') this.add(work, indeterminate('TRY_LATER', `the revocation service failed for ${label}: ${answer.message}`));
      else if (answer.status === 'unknown') this.add(work, indeterminate('TRY_LATER', `the revocation service does not know ${label}`));
      else if (staleGood) this.add(work, indeterminate('REVOCATION_OUT_OF_BOUNDS_NO_POE', `the only revocation data for ${label} was issued before the best signature time ${bst.toISOString()}`));
      else this.add(work, indeterminate('TRY_LATER', `no revocation information for ${label}`));
    }
    return { atSigning, now: nowSummary };
  }

  /** ETSI EN 319 142-1 §6.3: see the module comment. */
  private level(work: Work, works: readonly Work[], hasPoe: boolean): SignatureReport['level'] {
    const signerInfo: SignerInfo | undefined = work.signedData?.signerInfos[0];
    if (!work.pades || !signerInfo || !work.signer || !work.revision) return null;
    const ess = signerInfo.signedAttributes?.some((a) => a.type === OID.signingCertificateV2);
    const signingTime = signerInfo.signedAttributes?.some((a) => a.type === OID.signingTime);
    if (!ess || signingTime) return null;
    if (!hasPoe) return 'B-B';
    // B-LT: validation data for the signer's and the signature time-stamp's paths.
    const needed: [ParsedCertificate, ParsedCertificate][] = [];
    for (const chain of [work.chain, work.timestamp?.usable ? work.timestamp.check.chain : null]) {
      if (!chain?.ok) continue;
      for (let i = 0; i + 1 < chain.path.length; i++) if (!chain.path[i]!.ocspNoCheck) needed.push([chain.path[i]!, chain.path[i + 1]!]);
    }
    if (!work.chain?.ok) return 'B-T';
    let dataRevision: number | null = null;
    for (let r = work.revision.index; r < this.file.revisions.length && dataRevision === null; r++) {
      const dss = this.dssAt(this.file.revisions[r]!);
      const data = new EmbeddedRevocationData(
        [...dss.ocspResponses.map((der) => ({ der, source: 'dss-ocsp' })), ...work.cmsRevocation.filter((i) => i.source.endsWith('ocsp'))],
        [...dss.crls.map((der) => ({ der, source: 'dss-crl' })), ...work.cmsRevocation.filter((i) => i.source.endsWith('crl'))],
        this.shared.revocationCache,
        this.shared.certificates,
      );
      const certificates = new Set([...this.parseAll(dss.certificates), ...this.parseAll(work.signedData?.certificates ?? [])].map((c) => c.sha256Fingerprint));
      const covered = needed.every(([certificate, issuer]) => certificates.has(certificate.sha256Fingerprint) && data.statusesFor(certificate, issuer).length > 0);
      if (covered) dataRevision = r;
    }
    if (dataRevision === null) return 'B-T';
    const archived = works.some((other) => other.found.kind === 'document-timestamp' && other.timestamp?.usable && (other.revision?.index ?? -1) > dataRevision!);
    return archived ? 'B-LTA' : 'B-LT';
  }
}

function pairKey(certificate: ParsedCertificate, issuer: ParsedCertificate): string {
  return `${certificate.sha256Fingerprint}:${issuer.sha256Fingerprint}`;
}

/** A source's answer is outside input: check its shape. */
function checkAnswer(answer: unknown): ServiceAnswer {
  const a = answer as Partial<{ status: string; revokedAt: unknown; reason: unknown; producedAt: unknown }> | null;
  const validDate = (d: unknown) => d instanceof Date && !Number.isNaN(d.getTime());
  const producedAt = validDate(a?.producedAt) ? { producedAt: a!.producedAt as Date } : {};
  if (a?.status === 'good' || a?.status === 'unknown') return { status: a.status, ...producedAt };
  if (a?.status === 'revoked' && validDate(a.revokedAt)) {
    return { status: 'revoked', revokedAt: a.revokedAt as Date, ...(typeof a.reason === 'string' ? { reason: a.reason } : {}), ...producedAt };
  }
  return { status: 'error', message: 'the revocation source gave an answer of the wrong shape' };
}

function notChecked(): RevocationStatusSummary {
  return { status: 'not-checked', source: null };
}

function embeddedSummary(statuses: readonly EmbeddedStatus[], bst: Date): RevocationStatusSummary {
  if (statuses.length === 0) return { status: 'unavailable', source: null };
  const revoked = statuses.find((s) => s.status === 'revoked');
  const chosen = revoked ?? statuses.find((s) => s.status === 'good' && s.thisUpdate.getTime() >= bst.getTime()) ?? statuses[0]!;
  return {
    status: chosen.status,
    source: chosen.source,
    producedAt: chosen.issuedAt.toISOString(),
    ...(chosen.revokedAt ? { revokedAt: chosen.revokedAt.toISOString() } : {}),
    ...(chosen.reason ? { reason: chosen.reason } : {}),
  };
}

function serviceSummary(answer: ServiceAnswer): RevocationStatusSummary {
  switch (answer.status) {
    case 'not-configured':
      return { status: 'not-checked', source: null };
    case 'timeout':
    case 'error':
      return { status: 'unavailable', source: 'service' };
    default:
      return {
        status: answer.status,
        source: 'service',
        ...(answer.producedAt ? { producedAt: answer.producedAt.toISOString() } : {}),
        ...(answer.status === 'revoked' ? { revokedAt: answer.revokedAt.toISOString(), ...(answer.reason ? { reason: answer.reason } : {}) } : {}),
      };
  }
}

function signerSummary(certificate: ParsedCertificate): SignerSummary {
  const sealCode = certificate.attribute('serialNumber');
  return {
    subject: certificate.subject,
    commonName: certificate.attribute('CN'),
    organisation: certificate.attribute('O'),
    serialNumber: certificate.serialNumber,
    ...(sealCode && /^[0-9]{14}$/.test(sealCode) ? { sealCode } : {}),
  };
}

function timestampSummary(timestamp: Timestamp): TimestampSummary | null {
  const { check } = timestamp;
  if (!check.genTime) return null;
  return { time: check.genTime.toISOString(), tsa: check.tsa?.subject ?? '', valid: timestamp.usable };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
