/**
 * CMS SignedData (RFC 5652 §5) read with the DER reader, for PAdES signatures (ETSI EN 319
 * 142-1 §6.3, CAdES detached) and RFC 3161 time-stamp tokens. Only reading here; checks live
 * with the callers.
 *
 * ```asn1
 * ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY }
 * SignedData ::= SEQUENCE { version, digestAlgorithms SET OF AlgorithmIdentifier,
 *   encapContentInfo SEQUENCE { eContentType OID, eContent [0] EXPLICIT OCTET STRING OPTIONAL },
 *   certificates [0] IMPLICIT CertificateSet OPTIONAL, crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
 *   signerInfos SET OF SignerInfo }
 * SignerInfo ::= SEQUENCE { version, sid SignerIdentifier, digestAlgorithm,
 *   signedAttrs [0] IMPLICIT SET OF Attribute OPTIONAL, signatureAlgorithm, signature OCTET STRING,
 *   unsignedAttrs [1] IMPLICIT SET OF Attribute OPTIONAL }
 * SignerIdentifier ::= CHOICE { issuerAndSerialNumber SEQUENCE { issuer Name, serialNumber INTEGER },
 *   subjectKeyIdentifier [0] IMPLICIT OCTET STRING }
 * ```
 */
import {
  children,
  content,
  DerError,
  expectTag,
  hex,
  isAllZero,
  oidString,
  readAlgorithm,
  readTlv,
  sequenceItems,
  TAG,
  whole,
  type AlgorithmIdentifier,
  type Tlv,
} from './asn1.js';

export const OID = {
  signedData: '1.2.840.113549.1.7.2',
  data: '1.2.840.113549.1.7.1',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
  contentTimeStamp: '1.2.840.113549.1.9.16.2.20',
  adbeRevocationInfoArchival: '1.2.840.113583.1.1.8',
  riOcspResponse: '1.3.6.1.5.5.7.16.2',
} as const;

export interface Attribute {
  readonly type: string;
  readonly values: readonly Tlv[];
}

export type SignerIdentifier =
  | { readonly kind: 'issuerSerial'; readonly issuerDer: Uint8Array; readonly serialHex: string }
  | { readonly kind: 'ski'; readonly keyId: string };

export interface SignerInfo {
  readonly sid: SignerIdentifier;
  readonly digestAlgorithm: AlgorithmIdentifier;
  /** Null when the SignerInfo has none (then the signature is over the content itself). */
  readonly signedAttributes: readonly Attribute[] | null;
  /** The DER that was signed: the signedAttrs with the SET tag (RFC 5652 §5.4). */
  readonly signedAttributesDer: Uint8Array | null;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
  readonly unsignedAttributes: readonly Attribute[];
}

export interface SignedData {
  readonly eContentType: string;
  /** The encapsulated content octets, or null for a detached signature. */
  readonly eContent: Uint8Array | null;
  readonly certificates: readonly Uint8Array[];
  readonly crls: readonly Uint8Array[];
  readonly ocspResponses: readonly Uint8Array[];
  readonly signerInfos: readonly SignerInfo[];
  /** Bytes after the ContentInfo (a /Contents hole is zero-padded: anything else is suspicious). */
  readonly trailingNonZero: boolean;
}

/**
 * Reads a ContentInfo holding SignedData from the start of `der` (the first TLV; the rest
 * is padding).
 *
 * @throws DerError for anything that is not one.
 */
export function readSignedData(der: Uint8Array): SignedData {
  const contentInfo = readTlv(der);
  const trailingNonZero = !isAllZero(der.subarray(contentInfo.end));
  const [contentType, explicitContent] = sequenceItems(contentInfo, 'ContentInfo');
  if (!contentType || oidString(contentType) !== OID.signedData) throw new DerError('not a CMS SignedData');
  const [signedDataTlv] = children(expectTag(explicitContent, TAG.context(0), 'ContentInfo.content'));
  const fields = sequenceItems(signedDataTlv, 'SignedData');
  if (fields.length < 4) throw new DerError('SignedData is too short');
  expectTag(fields[0], TAG.integer, 'SignedData.version');
  expectTag(fields[1], TAG.set, 'digestAlgorithms');
  const [eContentTypeTlv, eContentTlv] = sequenceItems(fields[2], 'EncapsulatedContentInfo');
  const eContentType = oidString(expectTag(eContentTypeTlv, TAG.oid, 'eContentType'));
  const eContent = eContentTlv ? content(expectTag(children(expectTag(eContentTlv, TAG.context(0), 'eContent'))[0], 0x04, 'eContent')) : null;
  // eContent may be a BER constructed OCTET STRING (tag 0x24): content() joins its segments.
  let certificates: Uint8Array[] = [];
  const crls: Uint8Array[] = [];
  const ocspResponses: Uint8Array[] = [];
  let next = 3;
  if (fields[next]?.tag === TAG.context(0)) {
    certificates = children(fields[next]!)
      .filter((choice) => choice.tag === TAG.sequence)
      .map((certificate) => whole(certificate));
    next++;
  }
  if (fields[next]?.tag === TAG.context(1)) {
    for (const choice of children(fields[next]!)) {
      if (choice.tag === TAG.sequence) crls.push(whole(choice));
      else if (choice.tag === TAG.context(1)) {
        const [format, info] = children(choice);
        if (format && info && oidString(format) === OID.riOcspResponse) ocspResponses.push(whole(info));
      }
    }
    next++;
  }
  const signerInfosTlv = expectTag(fields[next], TAG.set, 'signerInfos');
  if (next + 1 !== fields.length) throw new DerError('unexpected fields in SignedData');
  const signerInfos = children(signerInfosTlv).map(readSignerInfo);
  for (const signerInfo of signerInfos) {
    const archival = signerInfo.signedAttributes?.find((attribute) => attribute.type === OID.adbeRevocationInfoArchival);
    if (archival?.values[0]) collectArchival(archival.values[0], crls, ocspResponses);
  }
  return { eContentType, eContent, certificates, crls, ocspResponses, signerInfos, trailingNonZero };
}

function readSignerInfo(tlv: Tlv): SignerInfo {
  const fields = sequenceItems(tlv, 'SignerInfo');
  expectTag(fields[0], TAG.integer, 'SignerInfo.version');
  const sidTlv = fields[1];
  let sid: SignerIdentifier;
  if (sidTlv?.tag === TAG.sequence) {
    const [issuer, serial] = children(sidTlv);
    sid = {
      kind: 'issuerSerial',
      issuerDer: whole(expectTag(issuer, TAG.sequence, 'sid.issuer')),
      serialHex: serialHexOf(content(expectTag(serial, TAG.integer, 'sid.serialNumber'))),
    };
  } else if (sidTlv?.tag === 0x80) {
    sid = { kind: 'ski', keyId: hex(content(sidTlv)) };
  } else {
    throw new DerError('bad SignerIdentifier');
  }
  const digestAlgorithm = readAlgorithm(fields[2], 'digestAlgorithm');
  let next = 3;
  let signedAttributes: Attribute[] | null = null;
  let signedAttributesDer: Uint8Array | null = null;
  if (fields[next]?.tag === TAG.context(0)) {
    const signed = fields[next]!;
    signedAttributes = children(signed).map(readAttribute);
    signedAttributesDer = Uint8Array.from(whole(signed));
    signedAttributesDer[0] = TAG.set;
    next++;
  }
  const signatureAlgorithm = readAlgorithm(fields[next++], 'signatureAlgorithm');
  const signature = content(expectTag(fields[next++], TAG.octetString, 'signature'));
  let unsignedAttributes: Attribute[] = [];
  if (fields[next]?.tag === TAG.context(1)) unsignedAttributes = children(fields[next++]!).map(readAttribute);
  if (next !== fields.length) throw new DerError('unexpected fields in SignerInfo');
  return { sid, digestAlgorithm, signedAttributes, signedAttributesDer, signatureAlgorithm, signature, unsignedAttributes };
}

/** `Attribute ::= SEQUENCE { attrType OID, attrValues SET OF AttributeValue }`. */
function readAttribute(tlv: Tlv): Attribute {
  const [type, values] = sequenceItems(tlv, 'Attribute');
  return { type: oidString(expectTag(type, TAG.oid, 'attrType')), values: children(expectTag(values, TAG.set, 'attrValues')) };
}

/**
 * Adobe's revocation archival attribute (ISO 32000-2 §12.8.3.3.2):
 * `SEQUENCE { crl [0] EXPLICIT SEQUENCE OF CRLs OPTIONAL, ocsp [1] EXPLICIT SEQUENCE OF OCSPResponse OPTIONAL, … }`.
 */
function collectArchival(value: Tlv, crls: Uint8Array[], ocsps: Uint8Array[]): void {
  try {
    for (const item of sequenceItems(value, 'RevocationInfoArchival')) {
      const [list] = children(item);
      if (!list || list.tag !== TAG.sequence) continue;
      const target = item.tag === TAG.context(0) ? crls : item.tag === TAG.context(1) ? ocsps : null;
      if (target) for (const entry of children(list)) target.push(whole(entry));
    }
  } catch {
    // A malformed archival attribute only loses optional revocation data.
  }
}

/** The attribute of `type`; throws when it occurs more than once or has more than one value (RFC 5652 §11). */
export function singleAttribute(attributes: readonly Attribute[] | null, type: string): Tlv | null {
  const matching = attributes?.filter((attribute) => attribute.type === type) ?? [];
  if (matching.length === 0) return null;
  if (matching.length > 1 || matching[0]!.values.length !== 1) throw new DerError(`attribute ${type} must occur once with one value`);
  return matching[0]!.values[0]!;
}

/** INTEGER content octets in the ParsedCertificate.serialNumber form. */
export function serialHexOf(octets: Uint8Array): string {
  let start = 0;
  while (start < octets.length - 1 && octets[start] === 0 && octets[start + 1]! < 0x80) start++;
  return hex(octets.subarray(start));
}

/**
 * ESS signing certificate (RFC 5035 §3, RFC 2634 §5.4): the first ESSCertID(v2) names the
 * signer's certificate by hash and optionally issuer/serial.
 *
 * ```asn1
 * SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies … OPTIONAL }
 * ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT {id-sha256}, certHash OCTET STRING, issuerSerial IssuerSerial OPTIONAL }
 * SigningCertificate ::= SEQUENCE { certs SEQUENCE OF ESSCertID, … }  -- ESSCertID: certHash is SHA-1
 * IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber INTEGER }
 * ```
 */
export interface EssCertId {
  readonly hashOid: string;
  readonly certHash: Uint8Array;
  /** The directoryName's DER of IssuerSerial.issuer, when present. */
  readonly issuerDer: Uint8Array | null;
  readonly serialHex: string | null;
}

export function readEssCertId(value: Tlv, v2: boolean): EssCertId {
  const [certs] = sequenceItems(value, 'SigningCertificate');
  const [first] = sequenceItems(certs, 'certs');
  const fields = sequenceItems(first, 'ESSCertID');
  let i = 0;
  let hashOid = v2 ? '2.16.840.1.101.3.4.2.1' : '1.3.14.3.2.26';
  if (v2 && fields[0]?.tag === TAG.sequence) hashOid = readAlgorithm(fields[i++], 'hashAlgorithm').oid;
  const certHash = content(expectTag(fields[i++], TAG.octetString, 'certHash'));
  let issuerDer: Uint8Array | null = null;
  let serialHex: string | null = null;
  if (fields[i]) {
    const [generalNames, serial] = sequenceItems(fields[i], 'IssuerSerial');
    const directoryName = children(expectTag(generalNames, TAG.sequence, 'GeneralNames')).find((name) => name.tag === TAG.context(4));
    if (directoryName) issuerDer = whole(children(directoryName)[0]!);
    serialHex = serialHexOf(content(expectTag(serial, TAG.integer, 'IssuerSerial.serialNumber')));
  }
  return { hashOid, certHash, issuerDer, serialHex };
}
