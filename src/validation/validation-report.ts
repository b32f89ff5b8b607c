/**
 * The validation report: what {@link validatePdf} says about a signed PDF, shaped after ETSI
 * EN 319 102-1 §5.1.3 (indications and sub-indications) and the signature part of ETSI TS 119
 * 102-2 (one block per signature with its signer, chain, times, revocation and scope), in the
 * spirit of EU DSS's "simple report" and pyHanko's AdES status objects.
 *
 * Reports are plain data: JSON-serialisable (dates as ISO 8601 strings), deep-frozen, and
 * built only here, so nothing downstream can edit a verdict.
 */

/** ETSI EN 319 102-1 §5.1.3 main status indication. */
export type Indication = 'PASSED' | 'FAILED' | 'INDETERMINATE';

/**
 * ETSI EN 319 102-1 §5.1.3 Table 5 sub-indications (V1.3.1 placement: FORMAT_FAILURE,
 * HASH_FAILURE, SIG_CRYPTO_FAILURE, REVOKED, EXPIRED and NOT_YET_VALID go with FAILED; the
 * rest with INDETERMINATE). One deliberate deviation, see {@link SignatureReport.modificationsAfter}:
 * disallowed changes after signing are reported as FAILED with SIG_CONSTRAINTS_FAILURE.
 */
export type SubIndication =
  // FAILED
  | 'FORMAT_FAILURE'
  | 'HASH_FAILURE'
  | 'SIG_CRYPTO_FAILURE'
  | 'REVOKED'
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  // INDETERMINATE
  | 'SIG_CONSTRAINTS_FAILURE'
  | 'CHAIN_CONSTRAINTS_FAILURE'
  | 'CERTIFICATE_CHAIN_GENERAL_FAILURE'
  | 'CRYPTO_CONSTRAINTS_FAILURE'
  | 'TIMESTAMP_ORDER_FAILURE'
  | 'NO_SIGNING_CERTIFICATE_FOUND'
  | 'NO_CERTIFICATE_CHAIN_FOUND'
  | 'REVOKED_NO_POE'
  | 'REVOKED_CA_NO_POE'
  | 'OUT_OF_BOUNDS_NO_POE'
  | 'OUT_OF_BOUNDS_NOT_REVOKED'
  | 'REVOCATION_OUT_OF_BOUNDS_NO_POE'
  | 'TRY_LATER'
  | 'SIGNED_DATA_NOT_FOUND';

/** A certificate as the report shows it. `serialNumber` is lower-case hex of the DER INTEGER content octets. */
export interface CertificateSummary {
  readonly subject: string;
  readonly serialNumber: string;
  readonly notBefore: string;
  readonly notAfter: string;
}

export interface SignerSummary {
  /** RFC 4514 string, most specific RDN first (`CN=…,O=…,C=CN`). */
  readonly subject: string;
  readonly commonName: string | null;
  readonly organisation: string | null;
  /** The certificate serial number, lower-case hex. */
  readonly serialNumber: string;
  /**
   * The seal code (GB/T 38540: 6-digit region code + 8-digit sequence) that our seal
   * certificates carry as the subject's serialNumber attribute (2.5.4.5), when present.
   */
  readonly sealCode?: string;
}

export interface TrustAnchorSummary {
  readonly subject: string;
  /** Lower-case hex SHA-256 of the anchor certificate's DER. */
  readonly sha256Fingerprint: string;
  /** The name the policy gave the anchor (e.g. a region). */
  readonly name?: string;
}

export interface TimestampSummary {
  /** TSTInfo.genTime, ISO 8601. */
  readonly time: string;
  /** The TSA certificate's subject. */
  readonly tsa: string;
  /** Token signature, imprint, TSA certificate and chain to a trust anchor all check out. */
  readonly valid: boolean;
}

/** The status one source gave for the signer certificate. */
export interface RevocationStatusSummary {
  readonly status: 'good' | 'revoked' | 'unknown' | 'unavailable' | 'not-checked';
  /**
   * Where it came from: `dss-ocsp`/`dss-crl` (the document's DSS), `cms-ocsp`/`cms-crl`
   * (revocation values inside the CMS), `service` (the policy's revocation source), or null.
   */
  readonly source: string | null;
  /** OCSP producedAt or CRL thisUpdate, ISO 8601. */
  readonly producedAt?: string;
  readonly revokedAt?: string;
  readonly reason?: string;
}

export type ModificationKind =
  | 'signature'
  | 'document-timestamp'
  | 'dss'
  | 'form-fill'
  | 'annotation'
  | 'metadata'
  | 'unreferenced-object'
  | 'page-content'
  | 'page'
  | 'catalog'
  | 'resources'
  | 'deleted-object'
  | 'signature-removed'
  | 'structure';

export interface ModificationReport {
  readonly kind: ModificationKind;
  readonly allowed: boolean;
  /** In which revision (0-based) the change was made. */
  readonly revision: number;
  readonly description: string;
  readonly objectNumbers?: readonly number[];
}

export interface SignatureReport {
  /** 0-based, in the order the signatures were made (by the end of their signed revision). */
  readonly index: number;
  readonly fieldName: string;
  readonly kind: 'signature' | 'document-timestamp';
  readonly subFilter: string | null;
  readonly indication: Indication;
  readonly subIndication?: SubIndication;
  /** Null when no signing certificate could be identified. */
  readonly signer: SignerSummary | null;
  readonly chain: {
    /** Signer first, then issuers up to and including the trust anchor (when one was reached). */
    readonly certificates: readonly CertificateSummary[];
    readonly trustAnchor: TrustAnchorSummary | null;
  };
  /** The signer's claim (CMS signing-time, else the signature dictionary's /M), ISO 8601; not proof of anything. */
  readonly claimedSigningTime: string | null;
  /** The signature-time-stamp (or, for a document time-stamp, the token itself). */
  readonly timestamp: TimestampSummary | null;
  /**
   * ETSI EN 319 102-1 §5.5: the earliest time for which there is proof of existence of the
   * signature (a valid signature time-stamp or a later valid document time-stamp), else the
   * validation time.
   */
  readonly bestSignatureTime: string;
  readonly revocation: {
    /** From validation data embedded in the document (DSS, CMS), judged for the best signature time. */
    readonly atSigning: RevocationStatusSummary;
    /** From the policy's revocation source at validation time. */
    readonly now: RevocationStatusSummary;
  };
  /** ETSI EN 319 142-1 §6.3 baseline level the signature achieves, null for none (or document time-stamps). */
  readonly level: 'B-B' | 'B-T' | 'B-LT' | 'B-LTA' | null;
  readonly coverage: {
    readonly byteRange: readonly number[];
    /** The ranges cover the signed revision completely except exactly its /Contents string. */
    readonly coversWholeRevision: boolean;
    /** 0-based revision the signature signs; -1 when it matches none. */
    readonly revision: number;
  };
  /**
   * Incremental updates after the signed revision. `disallowed` makes the signature FAILED
   * with SIG_CONSTRAINTS_FAILURE: EN 319 102-1 lists that sub-indication under INDETERMINATE
   * (a constraint not met), but here it means the document a reader now sees differs from the
   * one signed in a way no rule allows, which is as definite a negative as HASH_FAILURE.
   */
  readonly modificationsAfter: {
    readonly classification: 'none' | 'allowed' | 'disallowed';
    readonly changes: readonly ModificationReport[];
  };
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

export interface ValidationReport {
  /** FAILED if any signature FAILED, else INDETERMINATE if any is (or there is none), else PASSED. */
  readonly indication: Indication;
  readonly subIndication?: SubIndication;
  readonly validationTime: string;
  readonly document: {
    readonly sha256: string;
    readonly pages: number;
    readonly revisions: number;
    readonly signatures: number;
  };
  readonly signatures: readonly SignatureReport[];
  readonly warnings: readonly string[];
}

/** Recursively freezes plain data (objects and arrays). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}

/**
 * The document's indication from its signatures: FAILED if any signature FAILED, else
 * INDETERMINATE if any is INDETERMINATE or there are none, else PASSED. The sub-indication is
 * that of the first signature (in signing order) with the chosen indication.
 */
export function overallIndication(signatures: readonly Pick<SignatureReport, 'indication' | 'subIndication'>[]): {
  indication: Indication;
  subIndication?: SubIndication;
} {
  if (signatures.length === 0) return { indication: 'INDETERMINATE' };
  for (const wanted of ['FAILED', 'INDETERMINATE'] as const) {
    const first = signatures.find((signature) => signature.indication === wanted);
    if (first) return first.subIndication ? { indication: wanted, subIndication: first.subIndication } : { indication: wanted };
  }
  return { indication: 'PASSED' };
}

/** FAILED sub-indications (EN 319 102-1 V1.3.1 Table 5), plus our SIG_CONSTRAINTS_FAILURE for disallowed changes. */
const FAILED_SUB_INDICATIONS: ReadonlySet<SubIndication> = new Set<SubIndication>([
  'FORMAT_FAILURE',
  'HASH_FAILURE',
  'SIG_CRYPTO_FAILURE',
  'REVOKED',
  'EXPIRED',
  'NOT_YET_VALID',
]);

/** One finding of the validation process, in process order; see {@link decide}. */
export interface Finding {
  readonly indication: Exclude<Indication, 'PASSED'>;
  readonly subIndication: SubIndication;
  readonly message: string;
}

export function failed(subIndication: SubIndication, message: string): Finding {
  return { indication: 'FAILED', subIndication, message };
}

export function indeterminate(subIndication: SubIndication, message: string): Finding {
  if (FAILED_SUB_INDICATIONS.has(subIndication) && subIndication !== 'NOT_YET_VALID') {
    throw new RangeError(`${subIndication} is a FAILED sub-indication`);
  }
  return { indication: 'INDETERMINATE', subIndication, message };
}

/**
 * The signature's indication from its findings. EN 319 102-1 stops at the first building
 * block that does not pass; we run them all so the report can list every problem, then take
 * the first FAILED finding (in process order: format, signing certificate, cryptographic
 * check, modifications, chain, time, revocation), else the first INDETERMINATE one, else PASSED.
 * A definite negative is never masked by an earlier "cannot tell".
 */
export function decide(findings: readonly Finding[]): { indication: Indication; subIndication?: SubIndication } {
  const first = findings.find((finding) => finding.indication === 'FAILED') ?? findings[0];
  return first ? { indication: first.indication, subIndication: first.subIndication } : { indication: 'PASSED' };
}
