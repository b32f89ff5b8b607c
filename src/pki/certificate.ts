import { x509 } from './x509.js';

/** RFC 5280 §4.2.1.12 and RFC 9336 (id-kp-documentSigning). */
export const EKU_OIDS = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  documentSigning: '1.3.6.1.5.5.7.3.36',
} as const;
export type ExtendedKeyUsageName = keyof typeof EKU_OIDS;

const KEY_USAGE_FLAGS = {
  digitalSignature: x509.KeyUsageFlags.digitalSignature,
  nonRepudiation: x509.KeyUsageFlags.nonRepudiation,
  keyEncipherment: x509.KeyUsageFlags.keyEncipherment,
  dataEncipherment: x509.KeyUsageFlags.dataEncipherment,
  keyAgreement: x509.KeyUsageFlags.keyAgreement,
  keyCertSign: x509.KeyUsageFlags.keyCertSign,
  cRLSign: x509.KeyUsageFlags.cRLSign,
} as const;
export type KeyUsageName = keyof typeof KEY_USAGE_FLAGS;

/** id-pkix-ocsp-nocheck, RFC 6960 §4.2.2.2.1: value NULL. */
const OCSP_NOCHECK_OID = '1.3.6.1.5.5.7.48.1.5';
const DER_NULL = new Uint8Array([0x05, 0x00]);

/** An ordered distinguished name: [attribute, value] pairs, most significant first (C, ST, L, O, OU, CN). */
export type DistinguishedName = ReadonlyArray<readonly [string, string]>;

export interface CertificateParams {
  /** Positive DER INTEGER bytes (RFC 5280 §4.1.2.2: at most 20 octets). */
  serialNumber: Uint8Array;
  subject: DistinguishedName;
  /** Omit for a self-signed certificate. */
  issuerCertificate?: x509.X509Certificate;
  notBefore: Date;
  notAfter: Date;
  subjectPublicKey: CryptoKey | x509.PublicKey;
  signingKey: CryptoKey;
  signingAlgorithm: Algorithm | EcdsaParams;
  /** The provider `signingKey` belongs to. */
  crypto: Crypto;
  /** Present for CA certificates: basicConstraints cA=TRUE with this pathLenConstraint. */
  ca?: { pathLength: number };
  keyUsage: readonly KeyUsageName[];
  extendedKeyUsage?: readonly ExtendedKeyUsageName[];
  extendedKeyUsageCritical?: boolean;
  policies?: readonly string[];
  ocspNoCheck?: boolean;
  /** RFC 5280 §4.2.1.13 */
  crlDistributionPoint?: string;
  /** RFC 5280 §4.2.2.1 */
  ocspUrl?: string;
  caIssuersUrl?: string;
}

/** Attribute types @peculiar/x509 has no short name for (X.520). */
const ATTRIBUTE_OIDS: Record<string, string> = { serialNumber: '2.5.4.5', E: '1.2.840.113549.1.9.1' };

/**
 * An x509 Name that keeps attribute order; values are PrintableString where they fit and
 * UTF8String otherwise (RFC 5280 §4.1.2.6), so Chinese names survive.
 */
export function toX509Name(dn: DistinguishedName): x509.Name {
  return new x509.Name(dn.map(([attr, value]) => ({ [ATTRIBUTE_OIDS[attr] ?? attr]: [value] })));
}

/**
 * Builds and signs an X.509 v3 certificate (RFC 5280 §4.1). Extensions: basicConstraints
 * (critical), keyUsage (critical), SKI, AKI (from the issuer's SKI), EKU, certificatePolicies,
 * CRL distribution point, authorityInfoAccess, and id-pkix-ocsp-nocheck where asked.
 */
export async function buildCertificate(params: CertificateParams): Promise<x509.X509Certificate> {
  const publicKey =
    params.subjectPublicKey instanceof x509.PublicKey
      ? params.subjectPublicKey
      : await x509.PublicKey.create(params.subjectPublicKey, params.crypto);
  const extensions: x509.Extension[] = [];
  extensions.push(
    new x509.BasicConstraintsExtension(params.ca !== undefined, params.ca?.pathLength, true),
    new x509.KeyUsagesExtension(
      params.keyUsage.reduce((flags, usage) => flags | KEY_USAGE_FLAGS[usage], 0),
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(publicKey, false, params.crypto),
  );
  if (params.issuerCertificate) {
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(params.issuerCertificate, false, params.crypto));
  }
  if (params.extendedKeyUsage?.length) {
    extensions.push(
      new x509.ExtendedKeyUsageExtension(
        params.extendedKeyUsage.map((eku) => EKU_OIDS[eku]),
        params.extendedKeyUsageCritical ?? false,
      ),
    );
  }
  if (params.policies?.length) extensions.push(new x509.CertificatePolicyExtension([...params.policies]));
  if (params.crlDistributionPoint) extensions.push(new x509.CRLDistributionPointsExtension([params.crlDistributionPoint]));
  if (params.ocspUrl || params.caIssuersUrl) {
    extensions.push(
      new x509.AuthorityInfoAccessExtension({
        ...(params.ocspUrl ? { ocsp: [params.ocspUrl] } : {}),
        ...(params.caIssuersUrl ? { caIssuers: [params.caIssuersUrl] } : {}),
      }),
    );
  }
  if (params.ocspNoCheck) extensions.push(new x509.Extension(OCSP_NOCHECK_OID, false, DER_NULL));

  const subject = toX509Name(params.subject);
  return x509.X509CertificateGenerator.create(
    {
      serialNumber: Buffer.from(params.serialNumber).toString('hex'),
      subject,
      issuer: params.issuerCertificate ? params.issuerCertificate.subjectName : subject,
      notBefore: params.notBefore,
      notAfter: params.notAfter,
      publicKey,
      signingKey: params.signingKey,
      signingAlgorithm: params.signingAlgorithm,
      extensions,
    },
    params.crypto,
  );
}

/** A positive serial of `bytes` random octets, minimally encoded (first octet 0x01–0x7F). */
export function positiveSerial(random: Uint8Array): Uint8Array {
  const serial = new Uint8Array(random);
  serial[0] = (serial[0]! % 0x7f) + 1;
  return serial;
}
