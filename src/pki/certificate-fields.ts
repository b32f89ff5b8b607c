/**
 * The few fields of an X.509 certificate (RFC 5280 §4.1) that signing needs, read straight
 * from the DER so that they are written back byte for byte (issuer Name, serial INTEGER).
 */
import { childrenOf, DerError, oidString, readTlv, TAG, whole } from './der.js';

export const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  p256: '1.2.840.10045.3.1.7',
  p384: '1.3.132.0.34',
} as const;

export interface CertificateFields {
  /** The whole certificate DER. */
  readonly der: Uint8Array;
  /** The serialNumber INTEGER TLV, as in the certificate. */
  readonly serialNumber: Uint8Array;
  /** The issuer Name DER, as in the certificate. */
  readonly issuer: Uint8Array;
  /** The subject Name DER, as in the certificate. */
  readonly subject: Uint8Array;
  /** The SubjectPublicKeyInfo DER. */
  readonly subjectPublicKeyInfo: Uint8Array;
  /** SubjectPublicKeyInfo.algorithm.algorithm. */
  readonly publicKeyAlgorithm: string;
  /** The named curve OID of an EC key, else null. */
  readonly namedCurve: string | null;
}

/**
 * Reads a DER certificate:
 * ```asn
 * Certificate ::= SEQUENCE { tbsCertificate TBSCertificate, signatureAlgorithm, signatureValue }
 * TBSCertificate ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1, serialNumber, signature,
 *   issuer Name, validity, subject Name, subjectPublicKeyInfo, ... }
 * ```
 * @throws DerError when the bytes are not one certificate.
 */
export function readCertificate(der: Uint8Array): CertificateFields {
  const certificate = readTlv(der);
  if (certificate.end !== der.length) throw new DerError('bytes after the certificate');
  const [tbs] = childrenOf(certificate, TAG.sequence, 'Certificate');
  const fields = childrenOf(tbs, TAG.sequence, 'TBSCertificate');
  let next = fields[0]?.tag === TAG.context(0) ? 1 : 0;
  const serial = fields[next++];
  next++; // signature AlgorithmIdentifier
  const issuer = fields[next++];
  next++; // validity
  const subject = fields[next++];
  const spki = fields[next++];
  if (!serial || serial.tag !== TAG.integer || !issuer || !subject || !spki) throw new DerError('not a TBSCertificate');
  const [algorithm] = childrenOf(spki, TAG.sequence, 'SubjectPublicKeyInfo');
  const [algorithmOid, parameters] = childrenOf(algorithm, TAG.sequence, 'AlgorithmIdentifier');
  if (!algorithmOid) throw new DerError('no public key algorithm');
  const publicKeyAlgorithm = oidString(algorithmOid);
  return {
    der,
    serialNumber: whole(serial),
    issuer: whole(issuer),
    subject: whole(subject),
    subjectPublicKeyInfo: whole(spki),
    publicKeyAlgorithm,
    namedCurve: publicKeyAlgorithm === OID.ecPublicKey && parameters?.tag === TAG.oid ? oidString(parameters) : null,
  };
}

/** Self-issued (RFC 5280 §3.2): subject and issuer are the same Name. A root is left out of revocation requests. */
export function isSelfIssued(fields: CertificateFields): boolean {
  return Buffer.compare(fields.issuer, fields.subject) === 0;
}
