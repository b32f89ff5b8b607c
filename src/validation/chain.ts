/**
 * Certification path building and checking (RFC 5280 §6.1, as ETSI EN 319 102-1 §5.2.6
 * "X.509 certificate validation" uses it), for signers, time-stamping units and OCSP
 * responders alike.
 *
 * Building: from the end-entity certificate, issuers are looked up among the candidate
 * certificates (the CMS, the DSS, the policy's intermediates) and the trust anchors by
 * subject = issuer (DER) and, when both are present, key identifier = AKI; each link's
 * signature is verified before the path is extended (depth-first, bounded). A path ends at
 * a certificate that is a trust anchor (same DER, or same subject and key).
 *
 * Checking: every CA certificate below the anchor must be a CA (basicConstraints cA),
 * allowed to sign certificates (keyUsage keyCertSign when present) and within its
 * pathLenConstraint; no certificate may carry a critical extension we do not understand.
 * Time is not checked here: see {@link certificatesOutsideValidity}.
 */
import { certificateSummary, KEY_USAGE, type CertificateCache, type ParsedCertificate } from './certificate.js';
import { equalBytes } from './asn1.js';
import { signatureScheme } from './signature-algorithms.js';
import type { CertificateSummary, TrustAnchorSummary } from './validation-report.js';

export interface Anchor {
  readonly certificate: ParsedCertificate;
  readonly name?: string;
}

/** Trust anchors indexed for path building; built once per validator. */
export class TrustStore {
  private readonly byFingerprint = new Map<string, Anchor>();
  private readonly bySubject = new Map<string, Anchor[]>();

  constructor(anchors: readonly Anchor[]) {
    for (const anchor of anchors) {
      this.byFingerprint.set(anchor.certificate.sha256Fingerprint, anchor);
      const key = subjectKey(anchor.certificate.subjectDer);
      this.bySubject.set(key, [...(this.bySubject.get(key) ?? []), anchor]);
    }
  }

  get size(): number {
    return this.byFingerprint.size;
  }

  /** The anchor `certificate` is (same DER, or the same subject and public key). */
  anchorFor(certificate: ParsedCertificate): Anchor | null {
    const exact = this.byFingerprint.get(certificate.sha256Fingerprint);
    if (exact) return exact;
    for (const anchor of this.bySubject.get(subjectKey(certificate.subjectDer)) ?? []) {
      if (equalBytes(anchor.certificate.spki, certificate.spki)) return anchor;
    }
    return null;
  }

  /** Anchors whose subject is `issuerDer`. */
  withSubject(issuerDer: Uint8Array): readonly Anchor[] {
    return this.bySubject.get(subjectKey(issuerDer)) ?? [];
  }
}

function subjectKey(der: Uint8Array): string {
  return Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
}

export type ChainOutcome =
  | { readonly ok: true; readonly path: readonly ParsedCertificate[]; readonly anchor: Anchor }
  | { readonly ok: false; readonly path: readonly ParsedCertificate[]; readonly reason: string; readonly crypto: boolean };

const MAX_DEPTH = 10;
const MAX_STEPS = 200;

/**
 * A verified path from `leaf` to a trust anchor, or why there is none (with the best
 * partial path, by names only, for the report). `crypto` marks a failure caused by an
 * unacceptable signature algorithm rather than a missing or wrong issuer.
 */
export function buildChain(leaf: ParsedCertificate, candidates: readonly ParsedCertificate[], trust: TrustStore, cache: CertificateCache): ChainOutcome {
  const bySubject = new Map<string, ParsedCertificate[]>();
  for (const candidate of candidates) {
    const key = subjectKey(candidate.subjectDer);
    const list = bySubject.get(key) ?? [];
    if (!list.some((c) => c.sha256Fingerprint === candidate.sha256Fingerprint)) list.push(candidate);
    bySubject.set(key, list);
  }
  let steps = 0;
  let weakAlgorithm = false;
  // Issuers by name; those whose key identifier matches the AKI first (RFC 5280 §4.2.1.1),
  // the others after them, since only the signature check decides.
  const issuersOf = (certificate: ParsedCertificate): ParsedCertificate[] => {
    const found = [...trust.withSubject(certificate.issuerDer).map((anchor) => anchor.certificate), ...(bySubject.get(subjectKey(certificate.issuerDer)) ?? [])];
    const aki = certificate.authorityKeyIdentifier;
    return aki ? [...found.filter((i) => i.subjectKeyIdentifier === aki), ...found.filter((i) => i.subjectKeyIdentifier !== aki)] : found;
  };
  const extend = (path: ParsedCertificate[]): { path: ParsedCertificate[]; anchor: Anchor } | null => {
    const last = path[path.length - 1]!;
    const anchor = trust.anchorFor(last);
    if (anchor) return { path, anchor };
    if (path.length > MAX_DEPTH || ++steps > MAX_STEPS) return null;
    for (const issuer of issuersOf(last)) {
      if (path.some((c) => c.sha256Fingerprint === issuer.sha256Fingerprint)) continue;
      if (!cache.signedBy(last, issuer)) {
        if (!signatureScheme(last.signatureAlgorithm).ok) weakAlgorithm = true;
        continue;
      }
      const found = extend([...path, issuer]);
      if (found) return found;
    }
    return null;
  };
  const found = extend([leaf]);
  if (found) return { ok: true, ...found };

  // For the report: follow issuer names without checking signatures.
  const partial = [leaf];
  while (partial.length <= MAX_DEPTH) {
    const next = issuersOf(partial[partial.length - 1]!).find((issuer) => !partial.includes(issuer));
    if (!next) break;
    partial.push(next);
  }
  const top = partial[partial.length - 1]!;
  const reason = weakAlgorithm
    ? 'a certificate in the chain is signed with an algorithm that is not accepted'
    : trust.size === 0
      ? 'no trust anchors are configured'
      : top.isSelfIssued()
        ? `the chain ends at '${top.subject}', which is not a trust anchor`
        : `no issuer certificate found for '${top.subject}' (issuer '${top.issuer}') that leads to a trust anchor`;
  return { ok: false, path: partial, reason, crypto: weakAlgorithm };
}

/**
 * RFC 5280 §6.1.4 (k), (l), (m), (n) and §6.1.3 (a)(2)-(3) without the time: problems with
 * the CA certificates of a verified path (leaf first, anchor last).
 */
export function chainConstraintProblems(path: readonly ParsedCertificate[]): string[] {
  const problems: string[] = [];
  for (const [i, certificate] of path.entries()) {
    const isAnchor = i === path.length - 1;
    if (!isAnchor && certificate.unsupportedCriticalExtensions.length > 0) {
      problems.push(`'${certificate.subject}' has unsupported critical extensions ${certificate.unsupportedCriticalExtensions.join(', ')}`);
    }
    if (i === 0) continue;
    // A CA certificate. For the anchor, only what its certificate states (v3 with basicConstraints).
    if (!certificate.isCa && !(isAnchor && certificate.version < 3)) problems.push(`'${certificate.subject}' issues certificates but is not a CA (basicConstraints)`);
    if (!certificate.hasKeyUsage(KEY_USAGE.keyCertSign)) problems.push(`'${certificate.subject}' issues certificates but lacks keyUsage keyCertSign`);
    if (certificate.pathLength !== null) {
      // Non-self-issued intermediate CA certificates between this one and the leaf.
      const below = path.slice(1, i).filter((c) => !c.isSelfIssued()).length;
      if (below > certificate.pathLength) problems.push(`'${certificate.subject}' allows ${certificate.pathLength} CA certificate(s) below it, the chain has ${below}`);
    }
  }
  return problems;
}

/** Certificates of the path (anchor included) not within their validity period at `time`. */
export function certificatesOutsideValidity(path: readonly ParsedCertificate[], time: Date): ParsedCertificate[] {
  return path.filter((certificate) => !certificate.validAt(time));
}

export function chainSummary(path: readonly ParsedCertificate[], anchor: Anchor | null): { certificates: CertificateSummary[]; trustAnchor: TrustAnchorSummary | null } {
  return {
    certificates: path.map(certificateSummary),
    trustAnchor: anchor
      ? {
          subject: anchor.certificate.subject,
          sha256Fingerprint: anchor.certificate.sha256Fingerprint,
          ...(anchor.name !== undefined ? { name: anchor.name } : {}),
        }
      : null,
  };
}
