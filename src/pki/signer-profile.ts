/**
 * A CMS signer (RFC 5652) written by hand: everything about it that does not change from one
 * signature to the next, computed once and cached (the parsed certificate, the algorithm
 * identifiers, the signing-certificate-v2 attribute and the certificate set, all as ready
 * DER), and the signature over the signed attributes. Used for the CAdES signature in a PAdES
 * seal and for time-stamp tokens; per signature only the messageDigest and the signature are new.
 */
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import { type CertificateFields, isSelfIssued, OID, readCertificate } from './certificate-fields.js';
import { type Bytes, DER_NULL, explicit, integerFromOctets, oid, octetString, sequence, setOf, smallInteger, tlv, TAG } from './der.js';

/** The signer of a CMS signature: its certificate, the chain above it and a private key in any WebCrypto provider. */
export interface CmsSigner {
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
const ID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
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
export function signerProfile(signer: CmsSigner): SignerProfile {
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

function buildProfile(signer: CmsSigner, algorithm: KeyAlgorithm & Partial<EcKeyAlgorithm & RsaHashedKeyAlgorithm>): SignerProfile {
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
    contentTypeAttributeDer: contentTypeAttribute(ID_DATA),
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

/** The contentType signed attribute (RFC 5652 §11.1) for content of type `contentTypeOid`. */
export function contentTypeAttribute(contentTypeOid: string): Bytes {
  return sequence(oid(ID_CONTENT_TYPE), tlv(TAG.set, oid(contentTypeOid)));
}

/**
 * The DER SignedAttributes (as a SET, the form that is signed, RFC 5652 §5.4): contentType
 * (id-data unless another is given), messageDigest and signing-certificate-v2. No
 * signing-time: the PAdES baseline (ETSI EN 319 142-1 §6.3) forbids it and puts the claimed
 * signing time in the signature dictionary's /M; a time-stamp token carries genTime instead.
 */
export function signedAttributes(profile: SignerProfile, messageDigest: Uint8Array, contentTypeAttributeDer = profile.contentTypeAttributeDer): Bytes {
  const messageDigestAttribute = sequence(oid(ID_MESSAGE_DIGEST), tlv(TAG.set, octetString(messageDigest)));
  return setOf(contentTypeAttributeDer, messageDigestAttribute, profile.signingCertificateV2AttributeDer);
}

/**
 * ```asn
 * SignerInfo ::= SEQUENCE { version 1, sid IssuerAndSerialNumber, digestAlgorithm,
 *   signedAttrs [0] IMPLICIT SignedAttributes, signatureAlgorithm, signature OCTET STRING,
 *   unsignedAttrs [1] IMPLICIT UnsignedAttributes OPTIONAL }
 * ```
 * (RFC 5652 §5.3) for attributes from {@link signedAttributes} and their signature from
 * {@link signAttributes}; `unsignedAttributes` are whole Attribute DERs.
 */
export function signerInfo(profile: SignerProfile, signedAttributesDer: Uint8Array, signature: Uint8Array, unsignedAttributes: readonly Uint8Array[] = []): Bytes {
  // [0] IMPLICIT: the same bytes as the signed SET with its tag replaced.
  const implicitSignedAttributes = Uint8Array.from(signedAttributesDer);
  implicitSignedAttributes[0] = TAG.context(0);
  return sequence(
    smallInteger(1),
    profile.issuerAndSerialNumberDer,
    profile.digestAlgorithmDer,
    implicitSignedAttributes,
    profile.signatureAlgorithmDer,
    octetString(signature),
    ...(unsignedAttributes.length ? [tlv(TAG.context(1), ...unsignedAttributes)] : []),
  );
}

/** Signatures by key objects already checked against a certificate (hex SHA-256) in this process. */
const checkedKeys = new WeakMap<CryptoKey, Set<string>>();

/**
 * Signs the DER SignedAttributes with the signer's own provider and returns the CMS
 * signature value: a DER `ECDSA-Sig-Value` (RFC 5753 §7.2; WebCrypto returns r‖s) or the
 * RSASSA-PKCS1-v1_5 octets. The key is never exported.
 *
 * The first signature made by a key object is verified against the certificate's public key
 * (node:crypto), so a key that belongs to another certificate fails here once instead of
 * producing signatures nobody can verify.
 *
 * @throws InvalidInputError `SignerKeyMismatch`
 */
export async function signAttributes(signer: CmsSigner, profile: SignerProfile, attributes: Bytes): Promise<Uint8Array> {
  const raw = new Uint8Array(await signer.crypto.subtle.sign(profile.signParams, signer.privateKey, attributes));
  const signature = profile.ecdsaCoordinateLength ? ecdsaSigValue(raw, profile.ecdsaCoordinateLength) : raw;
  let checked = checkedKeys.get(signer.privateKey);
  if (!checked?.has(profile.certificateHash)) {
    const publicKey = createPublicKey({ key: Buffer.from(profile.certificate.subjectPublicKeyInfo), format: 'der', type: 'spki' });
    if (!verifySignature(profile.digest.replace('-', '').toLowerCase(), attributes, publicKey, signature)) {
      throw new InvalidInputError('SignerKeyMismatch', 'the private key does not belong to the signer certificate');
    }
    if (!checked) checkedKeys.set(signer.privateKey, (checked = new Set()));
    checked.add(profile.certificateHash);
  }
  return signature;
}

/** r‖s (IEEE P1363) to `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }`. */
function ecdsaSigValue(raw: Uint8Array, coordinateLength: number): Uint8Array {
  if (raw.length !== 2 * coordinateLength) throw new Error(`an ECDSA signature of ${raw.length} octets, expected ${2 * coordinateLength}`);
  return sequence(positiveInteger(raw.subarray(0, coordinateLength)), positiveInteger(raw.subarray(coordinateLength)));
}

function positiveInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  return integerFromOctets(trimmed[0]! & 0x80 ? Uint8Array.of(0, ...trimmed) : trimmed);
}
