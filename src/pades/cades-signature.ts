/**
 * The CMS of a PAdES baseline signature (ETSI EN 319 142-1 §6.3, which points to the CAdES
 * baseline of ETSI EN 319 122-1): a detached SignedData (RFC 5652 §5) over the PDF's byte
 * ranges, written as DER by hand.
 *
 * Why not pkijs: measured on this machine, pkijs 4 builds such a SignedData in about 4 ms
 * (performance.md §6: 264/s), almost all of it asn1js schema work; the DER below takes about
 * 20 µs and the ECDSA signature itself 60 µs. In a service that seals at hundreds per second
 * that is the difference between the CMS being the bottleneck and being noise.
 */
import { createHash } from 'node:crypto';
import { oid, sequence, smallInteger, tlv, TAG } from '../pki/der.js';
import { type SignerProfile, signerInfo } from '../pki/signer-profile.js';

const ID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const ID_DATA = '1.2.840.113549.1.7.1';
/** id-aa-signatureTimeStampToken, RFC 3161 Appendix A; ETSI EN 319 122-1 §5.3. */
const ID_AA_SIGNATURE_TIME_STAMP_TOKEN = '1.2.840.113549.1.9.16.2.14';

/** SHA-256 of the signature value: the message imprint of the signature-time-stamp (ETSI EN 319 122-1 §5.3, RFC 3161 Appendix A). */
export function signatureTimeStampImprint(signature: Uint8Array): Uint8Array {
  return createHash('sha256').update(signature).digest();
}

export interface SignedDataParams {
  profile: SignerProfile;
  /** From {@link signedAttributes}. */
  signedAttributes: Uint8Array;
  /** From {@link signAttributes}. */
  signature: Uint8Array;
  /** The DER TimeStampToken over the signature value, for B-T and above. */
  signatureTimeStamp?: Uint8Array;
}

/**
 * The DER ContentInfo for /Contents (RFC 5652 §3, §5.1, §5.3):
 * ```asn
 * ContentInfo ::= SEQUENCE { contentType id-signedData, content [0] EXPLICIT SignedData }
 * SignedData ::= SEQUENCE { version 1, digestAlgorithms SET OF AlgorithmIdentifier,
 *   encapContentInfo SEQUENCE { eContentType id-data },  -- detached: no eContent
 *   certificates [0] IMPLICIT CertificateSet, signerInfos SET OF SignerInfo }
 * SignerInfo ::= SEQUENCE { version 1, sid IssuerAndSerialNumber, digestAlgorithm,
 *   signedAttrs [0] IMPLICIT SignedAttributes, signatureAlgorithm, signature OCTET STRING,
 *   unsignedAttrs [1] IMPLICIT UnsignedAttributes OPTIONAL }
 * ```
 * The unsigned attribute, when there is a token, is the signature-time-stamp (B-T).
 */
export function signedDataContentInfo(params: SignedDataParams): Uint8Array {
  const { profile } = params;
  const unsigned = params.signatureTimeStamp ? [sequence(oid(ID_AA_SIGNATURE_TIME_STAMP_TOKEN), tlv(TAG.set, params.signatureTimeStamp))] : [];
  const signedData = sequence(
    smallInteger(1),
    tlv(TAG.set, profile.digestAlgorithmDer),
    sequence(oid(ID_DATA)),
    profile.certificateSetDer,
    tlv(TAG.set, signerInfo(profile, params.signedAttributes, params.signature, unsigned)),
  );
  return sequence(oid(ID_SIGNED_DATA), tlv(TAG.context(0), signedData));
}

/** An upper bound of {@link signedDataContentInfo}'s length, for sizing /Contents before signing. */
export function maxSignedDataLength(profile: SignerProfile, timeStampTokenLength: number): number {
  const fixed =
    profile.certificateSetDer.length +
    profile.signingCertificateV2AttributeDer.length +
    profile.contentTypeAttributeDer.length +
    profile.issuerAndSerialNumberDer.length +
    2 * profile.digestAlgorithmDer.length +
    profile.signatureAlgorithmDer.length +
    profile.maxSignatureLength +
    64 /* messageDigest attribute */ +
    64 /* the headers of the nested SEQUENCEs and SETs, at most 4 octets each */;
  return fixed + (timeStampTokenLength ? timeStampTokenLength + 32 : 0);
}
