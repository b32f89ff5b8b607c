/**
 * Checking one CMS SignerInfo (RFC 5652 §5.4, §5.6) against its content and a candidate
 * signer certificate: ETSI EN 319 102-1 §5.2.3 (identification of the signing certificate)
 * and §5.2.7 (cryptographic verification). Shared by PAdES signatures and time-stamp tokens.
 */
import { createHash } from 'node:crypto';
import { content, DerError, equalBytes, oidString, readTime, TAG } from './asn1.js';
import type { ParsedCertificate } from './certificate.js';
import { OID, readEssCertId, singleAttribute, type SignerIdentifier, type SignerInfo } from './cms.js';
import { digestName, DIGESTS, keyStrengthProblem, signatureScheme, verifyWith } from './signature-algorithms.js';

/** The certificate `sid` names among `candidates` (RFC 5652 §5.3), or null. */
export function findSignerCertificate(sid: SignerIdentifier, candidates: readonly ParsedCertificate[]): ParsedCertificate | null {
  for (const candidate of candidates) {
    if (sid.kind === 'issuerSerial') {
      if (candidate.serialNumber === sid.serialHex && equalBytes(candidate.issuerDer, sid.issuerDer)) return candidate;
    } else if (candidate.subjectKeyIdentifier === sid.keyId) {
      return candidate;
    }
  }
  return null;
}

export interface SignerInfoCheck {
  /** FORMAT_FAILURE material: missing or malformed mandatory attributes. */
  readonly formatProblems: readonly string[];
  /** CRYPTO_CONSTRAINTS material: unsupported or too weak algorithms or keys. */
  readonly cryptoProblems: readonly string[];
  readonly warnings: readonly string[];
  /** Null when it could not be computed (unsupported digest). */
  readonly messageDigestMatches: boolean | null;
  /** Null when not attempted (no certificate, or unsupported algorithm). */
  readonly signatureValid: boolean | null;
  /** ESS signing-certificate(-v2): 'match', 'mismatch' or 'absent'. */
  readonly signingCertificateAttribute: 'match' | 'mismatch' | 'absent';
  /** The CMS signing-time attribute (RFC 5652 §11.3), when present. */
  readonly signingTime: Date | null;
}

/**
 * @param content the signed content in parts (for PAdES the two byte ranges), hashed with
 *   SignerInfo.digestAlgorithm.
 * @param expectedContentType the eContentType the content-type attribute must name.
 */
export function checkSignerInfo(
  signerInfo: SignerInfo,
  contentParts: readonly Uint8Array[],
  expectedContentType: string,
  signer: ParsedCertificate | null,
): SignerInfoCheck {
  const formatProblems: string[] = [];
  const cryptoProblems: string[] = [];
  const warnings: string[] = [];
  let messageDigestMatches: boolean | null = null;
  let signatureValid: boolean | null = null;
  let signingCertificateAttribute: SignerInfoCheck['signingCertificateAttribute'] = 'absent';
  let signingTime: Date | null = null;

  const digest = digestName(signerInfo.digestAlgorithm.oid);
  if (!digest.ok) cryptoProblems.push(digest.reason);
  const attributes = signerInfo.signedAttributes;

  if (attributes) {
    try {
      // RFC 5652 §11.1, §11.2: both present exactly once when there are signed attributes.
      const contentType = singleAttribute(attributes, OID.contentType);
      const messageDigest = singleAttribute(attributes, OID.messageDigest);
      if (!contentType || contentType.tag !== TAG.oid) formatProblems.push('the content-type signed attribute is missing');
      else if (oidString(contentType) !== expectedContentType) formatProblems.push(`the content-type attribute names ${oidString(contentType)}, not ${expectedContentType}`);
      if (!messageDigest || messageDigest.tag !== TAG.octetString) formatProblems.push('the message-digest signed attribute is missing');
      else if (digest.ok) {
        const hash = createHash(digest.name);
        for (const part of contentParts) hash.update(part);
        messageDigestMatches = equalBytes(hash.digest(), content(messageDigest));
      }
      const time = singleAttribute(attributes, OID.signingTime);
      if (time) signingTime = readTime(time, 'signing-time');
    } catch (error) {
      formatProblems.push(error instanceof Error ? error.message : String(error));
    }
    signingCertificateAttribute = essCheck(signerInfo, signer, formatProblems);
  } else {
    warnings.push('the SignerInfo has no signed attributes');
  }

  const scheme = signatureScheme(signerInfo.signatureAlgorithm, signerInfo.digestAlgorithm.oid);
  if (!scheme.ok) cryptoProblems.push(scheme.reason);
  const key = signer?.publicKey() ?? null;
  if (signer && !key) cryptoProblems.push('the signer certificate\'s public key cannot be read');
  if (key) {
    const strength = keyStrengthProblem(key);
    if (strength.error) cryptoProblems.push(strength.error);
    if (strength.warning) warnings.push(strength.warning);
  }
  if (scheme.ok && key) {
    const signed = attributes ? [signerInfo.signedAttributesDer!] : contentParts;
    signatureValid = verifyWith(scheme.scheme, key, signed, signerInfo.signature);
  }
  return { formatProblems, cryptoProblems, warnings, messageDigestMatches, signatureValid, signingCertificateAttribute, signingTime };
}

/** ETSI EN 319 122-1 §5.2.2.3: the ESS signing certificate must name the signer certificate. */
function essCheck(signerInfo: SignerInfo, signer: ParsedCertificate | null, formatProblems: string[]): SignerInfoCheck['signingCertificateAttribute'] {
  try {
    const v2 = singleAttribute(signerInfo.signedAttributes, OID.signingCertificateV2);
    const v1 = v2 ? null : singleAttribute(signerInfo.signedAttributes, OID.signingCertificate);
    const value = v2 ?? v1;
    if (!value) return 'absent';
    if (!signer) return 'mismatch';
    const id = readEssCertId(value, v2 !== null);
    const hashName = DIGESTS[id.hashOid];
    if (!hashName) return 'mismatch';
    if (!equalBytes(createHash(hashName).update(signer.der).digest(), id.certHash)) return 'mismatch';
    if (id.serialHex !== null && id.serialHex !== signer.serialNumber) return 'mismatch';
    if (id.issuerDer && !equalBytes(id.issuerDer, signer.issuerDer)) return 'mismatch';
    return 'match';
  } catch (error) {
    formatProblems.push(`the signing-certificate attribute cannot be read (${error instanceof DerError ? error.message : String(error)})`);
    return 'mismatch';
  }
}
