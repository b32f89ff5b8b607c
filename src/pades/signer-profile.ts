/**
 * Everything about a signer that does not change from one seal to the next, computed once
 * and cached: the parsed certificate, the algorithm identifiers, the signing-certificate-v2
 * attribute and the certificate set, all as ready DER. Per seal only the messageDigest, the
 * signature and (for B-T) the time-stamp token are new.
 */
import { createHash } from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import { type CertificateFields, isSelfIssued, OID, readCertificate } from './certificate-fields.js';
import { DER_NULL, explicit, oid, octetString, sequence, tlv, TAG } from '../pki/der.js';

/** The signer of a PAdES signature: its certificate, the chain above it and a private key in any WebCrypto provider. */
export interface PadesSigner {
  /** The signer's DER X.509 certificate. */
  certificate: Uint8Array;
  /** DER certificates above it, issuer first, up to and including the root. */
  chain: Uint8Array[];
  /** Non-extractable where the provider allows; it is only ever passed to `crypto.subtle.sign`. */
  privateKey: CryptoKey;
  /** The WebCrypto provider `privateKey` belongs to (Node's, or a PKCS#11 one). */
  crypto: Crypto;
}

export type DigestName = 'SHA-256' | 'SHA-384' | 'SHA-512';

export const DIGEST_OIDS: Record<DigestName, string> = {
  'SHA-256': '2.16.840.1.101.3.4.2.1',
  'SHA-384': '2.16.840.1.101.3.4.2.2',
  'SHA-512': '2.16.840.1.101.3.4.2.3',
};

/** node:crypto names, for hashing the byte ranges without a round trip through WebCrypto. */
export const NODE_DIGEST: Record<DigestName, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

const ECDSA_WITH: Record<DigestName, string> = {
  'SHA-256': '1.2.840.10045.4.3.2',
  'SHA-384': '1.2.840.10045.4.3.3',
  'SHA-512': '1.2.840.10045.4.3.4',
};
const RSA_WITH: Record<DigestName, string> = {
  'SHA-256': '1.2.840.113549.1.1.11',
  'SHA-384': '1.2.840.113549.1.1.12',
  'SHA-512': '1.2.840.113549.1.1.13',
};

const ID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
const ID_DATA = '1.2.840.113549.1.7.1';
/** id-aa-signingCertificateV2, RFC 5035 §3. */
const ID_AA_SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47';

/** A signer, ready to sign: see {@link signerProfile}. */
export interface SignerProfile {
  readonly certificate: CertificateFields;
  /** The signer certificate and chain as given, for the DSS. */
  readonly allCertificates: readonly Uint8Array[];
  /** The digest for messageDigest and the signature (the curve's, or the RSA key's bound hash). */
  readonly digest: DigestName;
  /** WebCrypto parameters for `subtle.sign`. */
  readonly signParams: AlgorithmIdentifierLike;
  /** ECDSA signatures come back as r‖s of this many octets each; 0 for RSA. */
  readonly ecdsaCoordinateLength: number;
  /** Upper bound of the DER signature value's length. */
  readonly maxSignatureLength: number;
  /** SignerInfo.digestAlgorithm / SignedData.digestAlgorithms element (RFC 5754 §2: parameters absent). */
  readonly digestAlgorithmDer: Uint8Array;
  /** SignerInfo.signatureAlgorithm: ecdsa-with-SHAx (RFC 5758 §3.2, no parameters) or shaXWithRSAEncryption (RFC 4055 §5, NULL). */
  readonly signatureAlgorithmDer: Uint8Array;
  /** SignerInfo.sid: IssuerAndSerialNumber. */
  readonly issuerAndSerialNumberDer: Uint8Array;
  /** The contentType attribute (id-data) DER. */
  readonly contentTypeAttributeDer: Uint8Array;
  /** The signing-certificate-v2 attribute DER. */
  readonly signingCertificateV2AttributeDer: Uint8Array;
  /** SignedData.certificates: `[0] IMPLICIT CertificateSet` with the signer and its chain, self-issued roots left out. */
  readonly certificateSetDer: Uint8Array;
  /** Hex SHA-256 of the signer certificate: the key of the key-matches-certificate check. */
  readonly certificateHash: string;
}

type AlgorithmIdentifierLike = EcdsaParams | Algorithm;

const MAX_CACHED_PROFILES = 256;
const profiles = new Map<string, SignerProfile>();

/**
 * The cached profile for a signer. The cache key is a hash of the certificates and the key's
 * algorithm, so callers may pass fresh objects for every seal.
 *
 * @throws InvalidInputError `InvalidSignerCertificate` for certificates that cannot be read,
 *   `UnsupportedSignerKey` for keys other than ECDSA P-256/P-384 and RSASSA-PKCS1-v1_5 with
 *   SHA-256/384/512, or a key whose type does not match the certificate's public key.
 */
export function signerProfile(signer: PadesSigner): SignerProfile {
  const algorithm = signer.privateKey.algorithm as KeyAlgorithm & Partial<EcKeyAlgorithm & RsaHashedKeyAlgorithm>;
  const hash = createHash('sha256');
  for (const der of [signer.certificate, ...signer.chain]) hash.update(`${der.length}:`).update(der);
  const key = `${hash.digest('hex')}/${algorithm.name}/${algorithm.namedCurve ?? ''}/${algorithm.hash?.name ?? ''}`;
  let profile = profiles.get(key);
  if (!profile) {
    profile = buildProfile(signer, algorithm);
    if (profiles.size >= MAX_CACHED_PROFILES) profiles.delete(profiles.keys().next().value!);
    profiles.set(key, profile);
  }
  return profile;
}

function buildProfile(signer: PadesSigner, algorithm: KeyAlgorithm & Partial<EcKeyAlgorithm & RsaHashedKeyAlgorithm>): SignerProfile {
  const certificate = parse(signer.certificate, 'signer');
  const chain = signer.chain.map((der, i) => parse(der, `chain[${i}]`));
  const { digest, signParams, ecdsaCoordinateLength, maxSignatureLength, signatureOid } = keyAlgorithm(algorithm, certificate);
  const signatureAlgorithmDer = ecdsaCoordinateLength ? sequence(oid(signatureOid)) : sequence(oid(signatureOid), DER_NULL);
  const certificateHash = createHash('sha256').update(certificate.der).digest();
  return Object.freeze({
    certificate,
    allCertificates: Object.freeze([certificate.der, ...chain.map((c) => c.der)]),
    digest,
    signParams,
    ecdsaCoordinateLength,
    maxSignatureLength,
    digestAlgorithmDer: sequence(oid(DIGEST_OIDS[digest])),
    signatureAlgorithmDer,
    issuerAndSerialNumberDer: sequence(certificate.issuer, certificate.serialNumber),
    contentTypeAttributeDer: sequence(oid(ID_CONTENT_TYPE), tlv(TAG.set, oid(ID_DATA))),
    signingCertificateV2AttributeDer: signingCertificateV2Attribute(certificate, certificateHash),
    certificateSetDer: tlv(TAG.context(0), certificate.der, ...chain.filter((c) => !isSelfIssued(c)).map((c) => c.der)),
    certificateHash: certificateHash.toString('hex'),
  });
}

function parse(der: Uint8Array, role: string): CertificateFields {
  try {
    return readCertificate(der);
  } catch (cause) {
    throw new InvalidInputError('InvalidSignerCertificate', `the ${role} certificate cannot be read`, { cause });
  }
}

/**
 * ETSI EN 319 122-1 §5.2.2.3 and EN 319 142-1 §6.3 (signing-certificate-v2, mandatory in PAdES baseline),
 * RFC 5035 §3:
 * ```asn
 * SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies ... OPTIONAL }
 * ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT {algorithm id-sha256},
 *   certHash OCTET STRING, issuerSerial IssuerSerial OPTIONAL }
 * IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber CertificateSerialNumber }
 * ```
 * certHash is SHA-256, so hashAlgorithm is left out (DER omits DEFAULT values); the issuer is
 * the GeneralName directoryName `[4] EXPLICIT Name`.
 */
function signingCertificateV2Attribute(certificate: CertificateFields, certificateHash: Uint8Array): Uint8Array {
  const issuerSerial = sequence(sequence(explicit(4, certificate.issuer)), certificate.serialNumber);
  const essCertIdV2 = sequence(octetString(certificateHash), issuerSerial);
  const value = sequence(sequence(essCertIdV2));
  return sequence(oid(ID_AA_SIGNING_CERTIFICATE_V2), tlv(TAG.set, value));
}

function keyAlgorithm(algorithm: KeyAlgorithm & Partial<EcKeyAlgorithm & RsaHashedKeyAlgorithm>, certificate: CertificateFields) {
  if (algorithm.name === 'ECDSA') {
    const curves: Record<string, { curveOid: string; digest: DigestName; length: number }> = {
      'P-256': { curveOid: OID.p256, digest: 'SHA-256', length: 32 },
      'P-384': { curveOid: OID.p384, digest: 'SHA-384', length: 48 },
    };
    const curve = curves[algorithm.namedCurve ?? ''];
    if (!curve) unsupported(`ECDSA curve ${algorithm.namedCurve} is not supported; use P-256 or P-384`);
    if (certificate.publicKeyAlgorithm !== OID.ecPublicKey || certificate.namedCurve !== curve.curveOid) {
      unsupported(`an ECDSA ${algorithm.namedCurve} key does not match the certificate's public key`);
    }
    return {
      digest: curve.digest,
      signParams: { name: 'ECDSA', hash: curve.digest } as EcdsaParams,
      ecdsaCoordinateLength: curve.length,
      // SEQUENCE { INTEGER r, INTEGER s }, each with a possible 0x00 sign octet.
      maxSignatureLength: 2 * (curve.length + 3) + 3,
      signatureOid: ECDSA_WITH[curve.digest],
    };
  }
  if (algorithm.name === 'RSASSA-PKCS1-v1_5') {
    const digest = algorithm.hash?.name as DigestName | undefined;
    if (!digest || !(digest in DIGEST_OIDS)) unsupported(`an RSA key must be bound to SHA-256, SHA-384 or SHA-512, not ${digest}`);
    if (certificate.publicKeyAlgorithm !== OID.rsaEncryption) unsupported('an RSA key does not match the certificate\'s public key');
    return {
      digest,
      signParams: { name: 'RSASSA-PKCS1-v1_5' },
      ecdsaCoordinateLength: 0,
      maxSignatureLength: Math.ceil((algorithm.modulusLength ?? 4096) / 8),
      signatureOid: RSA_WITH[digest],
    };
  }
  unsupported(`${algorithm.name} keys are not supported; use ECDSA P-256/P-384 or RSASSA-PKCS1-v1_5`);
}

function unsupported(message: string): never {
  throw new InvalidInputError('UnsupportedSignerKey', message);
}
