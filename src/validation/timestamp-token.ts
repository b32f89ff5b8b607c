/**
 * RFC 3161 time-stamp tokens as proof of existence (ETSI EN 319 102-1 §5.4 "time-stamp
 * validation building block"): the signature-time-stamp of PAdES B-T (over the signature
 * value, ETSI EN 319 122-1 §5.3) and document time-stamps (ETSI.RFC3161 over the byte
 * ranges, ETSI EN 319 142-1 §5.4.3).
 *
 * A token is valid when: it is a SignedData over a TSTInfo with one SignerInfo; the message
 * imprint is over what it should be; the content-type and message-digest attributes and the
 * ESS signing certificate (RFC 3161 §2.4.2, RFC 5816) check out; the signature verifies with
 * the TSA certificate; that certificate has the id-kp-timeStamping extended key usage (§2.3);
 * and a verified path leads from it to a trust anchor with every certificate of the path
 * valid at genTime. Revocation of the TSA certificate is checked by the caller.
 *
 * ```asn1
 * TSTInfo ::= SEQUENCE { version INTEGER, policy OID, messageImprint SEQUENCE { hashAlgorithm, hashedMessage OCTET STRING },
 *   serialNumber INTEGER, genTime GeneralizedTime, accuracy OPTIONAL, ordering BOOLEAN DEFAULT FALSE, nonce INTEGER OPTIONAL,
 *   tsa [0] GeneralName OPTIONAL, extensions [1] IMPLICIT OPTIONAL }
 * ```
 */
import { content, DerError, equalBytes, expectTag, readAlgorithm, readTime, readTlv, sequenceItems, TAG } from './asn1.js';
import { EKU, KEY_USAGE, type CertificateCache, type ParsedCertificate } from './certificate.js';
import { buildChain, certificatesOutsideValidity, chainConstraintProblems, type ChainOutcome, type TrustStore } from './chain.js';
import { OID, readSignedData } from './cms.js';
import { DIGESTS } from './signature-algorithms.js';
import { checkSignerInfo, findSignerCertificate } from './signer-info.js';

export interface TimestampCheck {
  readonly genTime: Date | null;
  readonly tsa: ParsedCertificate | null;
  /** The token could be read as a SignedData over a TSTInfo with one SignerInfo. */
  readonly readable: boolean;
  /** The message imprint matched; false also when the token could not be read that far. */
  readonly imprintMatches: boolean;
  /** The token's own signature (message digest and signature value) verified. */
  readonly signatureValid: boolean;
  readonly chain: ChainOutcome | null;
  /** Everything but revocation holds: see the module comment. */
  readonly valid: boolean;
  /** By ETSI building block: format, crypto constraints, signing certificate, chain constraints, validity at genTime. */
  readonly formatProblems: readonly string[];
  readonly cryptoProblems: readonly string[];
  readonly signingCertificateProblems: readonly string[];
  readonly constraintProblems: readonly string[];
  readonly validityProblems: readonly string[];
  /** All of the above and the imprint, signature and chain messages. */
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
  /** Certificates the token carries, for path building elsewhere. */
  readonly certificates: readonly Uint8Array[];
}

export interface TimestampContext {
  readonly certificates: CertificateCache;
  readonly trust: TrustStore;
  /** Candidate certificates besides the token's own (DSS, policy intermediates). */
  readonly pool: readonly ParsedCertificate[];
}

/**
 * @param expectedImprint the digest the token must be over, computed with the token's
 *   imprint hash algorithm (node name); null when that algorithm cannot be computed.
 */
export function checkTimestampToken(token: Uint8Array, expectedImprint: (hashName: string) => Uint8Array | null, context: TimestampContext): TimestampCheck {
  const formatProblems: string[] = [];
  const cryptoProblems: string[] = [];
  const signingCertificateProblems: string[] = [];
  const constraintProblems: string[] = [];
  const validityProblems: string[] = [];
  const other: string[] = [];
  const warnings: string[] = [];
  const result = (partial: Partial<TimestampCheck>): TimestampCheck => {
    const problems = [...formatProblems, ...other, ...cryptoProblems, ...signingCertificateProblems, ...constraintProblems, ...validityProblems];
    return {
      genTime: null,
      tsa: null,
      readable: false,
      imprintMatches: false,
      signatureValid: false,
      chain: null,
      certificates: [],
      ...partial,
      valid: problems.length === 0 && partial.readable === true,
      formatProblems,
      cryptoProblems,
      signingCertificateProblems,
      constraintProblems,
      validityProblems,
      problems,
      warnings,
    };
  };

  let signedData;
  let tstInfo;
  try {
    signedData = readSignedData(token);
    if (signedData.eContentType !== OID.tstInfo || !signedData.eContent) throw new DerError('the token does not hold a TSTInfo');
    if (signedData.signerInfos.length !== 1) throw new DerError('a time-stamp token has exactly one SignerInfo');
    tstInfo = readTstInfo(signedData.eContent);
  } catch (error) {
    formatProblems.push(`the time-stamp token cannot be read (${error instanceof Error ? error.message : String(error)})`);
    return result({});
  }
  const certificates = signedData.certificates;
  const hashName = DIGESTS[tstInfo.imprintOid];
  const expected = hashName ? expectedImprint(hashName) : null;
  const imprintMatches = expected !== null && equalBytes(expected, tstInfo.imprint);
  if (!hashName || expected === null) cryptoProblems.push(`the token's imprint algorithm ${tstInfo.imprintOid} is not supported`);
  else if (!imprintMatches) other.push('the time-stamp token is not over this data (message imprint mismatch)');

  const own = certificates.map((der) => context.certificates.parse(der)).filter((c): c is ParsedCertificate => !(c instanceof Error));
  const signerInfo = signedData.signerInfos[0]!;
  const tsa = findSignerCertificate(signerInfo.sid, [...own, ...context.pool]);
  const base = { genTime: tstInfo.genTime, readable: true, imprintMatches, certificates };
  if (!tsa) {
    signingCertificateProblems.push('the TSA certificate is not in the token, the DSS or the configured certificates');
    return result(base);
  }
  const check = checkSignerInfo(signerInfo, [signedData.eContent], OID.tstInfo, tsa);
  formatProblems.push(...check.formatProblems);
  cryptoProblems.push(...check.cryptoProblems);
  warnings.push(...check.warnings);
  if (check.signingCertificateAttribute === 'absent') signingCertificateProblems.push('the token has no ESS signing-certificate attribute (RFC 3161 §2.4.2)');
  if (check.signingCertificateAttribute === 'mismatch') signingCertificateProblems.push('the token\'s ESS signing-certificate attribute does not name the TSA certificate');
  if (check.messageDigestMatches === false) other.push('the token\'s message digest does not match its TSTInfo');
  if (check.signatureValid === false) other.push('the token\'s signature does not verify');
  const signatureValid = check.messageDigestMatches === true && check.signatureValid === true;

  // RFC 3161 §2.3.
  if (!tsa.extendedKeyUsage?.includes(EKU.timeStamping)) constraintProblems.push(`'${tsa.subject}' is not a time-stamping certificate (no id-kp-timeStamping)`);
  else if (!tsa.extendedKeyUsageCritical) warnings.push('the TSA certificate\'s extended key usage is not critical (RFC 3161 §2.3)');
  if (!tsa.hasKeyUsage(KEY_USAGE.digitalSignature) && !tsa.hasKeyUsage(KEY_USAGE.nonRepudiation)) constraintProblems.push('the TSA certificate may not sign (keyUsage)');

  const chain = buildChain(tsa, [...own, ...context.pool], context.trust, context.certificates);
  if (!chain.ok) other.push(`TSA certificate chain: ${chain.reason}`);
  else {
    constraintProblems.push(...chainConstraintProblems(chain.path).map((problem) => `TSA certificate chain: ${problem}`));
    for (const certificate of certificatesOutsideValidity(chain.path, tstInfo.genTime)) {
      validityProblems.push(`'${certificate.subject}' was not valid at the time-stamp's genTime ${tstInfo.genTime.toISOString()}`);
    }
  }
  return result({ ...base, tsa, signatureValid, chain });
}

function readTstInfo(der: Uint8Array): { imprintOid: string; imprint: Uint8Array; genTime: Date } {
  const tlv = readTlv(der);
  if (tlv.end !== der.length) throw new DerError('bytes after the TSTInfo');
  const fields = sequenceItems(tlv, 'TSTInfo');
  expectTag(fields[0], TAG.integer, 'TSTInfo.version');
  expectTag(fields[1], TAG.oid, 'TSTInfo.policy');
  const [algorithm, hashed] = sequenceItems(fields[2], 'MessageImprint');
  expectTag(fields[3], TAG.integer, 'TSTInfo.serialNumber');
  return {
    imprintOid: readAlgorithm(algorithm, 'MessageImprint.hashAlgorithm').oid,
    imprint: content(expectTag(hashed, TAG.octetString, 'hashedMessage')),
    genTime: readTime(expectTag(fields[4], 0x18, 'genTime'), 'genTime'),
  };
}
