import { AsnConvert } from '@peculiar/asn1-schema';
import { CRLNumber, id_ce_cRLNumber } from '@peculiar/asn1-x509';
import { x509 } from './x509.js';

/** RFC 5280 §5.3.1 CRLReason codes (7 is not used). */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

export interface CrlEntry {
  /** Serial as lower-case hex. */
  serialHex: string;
  revokedAt: Date;
  reason: RevocationReason;
}

export interface CrlParams {
  issuerCertificate: x509.X509Certificate;
  signingKey: CryptoKey;
  signingAlgorithm: Algorithm | EcdsaParams;
  crypto: Crypto;
  /** RFC 5280 §5.2.3: monotonically increasing for this issuer. */
  crlNumber: number;
  thisUpdate: Date;
  nextUpdate: Date;
  entries: readonly CrlEntry[];
}

/**
 * Builds a v2 CRL (RFC 5280 §5) with AKI and cRLNumber extensions. Times are whole seconds
 * (RFC 5280 §5.1.2.4 UTCTime/GeneralizedTime carry no fractions). Served as DER: openssl
 * rejects @peculiar/x509's "BEGIN CRL" PEM label (libraries.md §3).
 */
export async function buildCrl(params: CrlParams): Promise<Uint8Array> {
  const crlNumber = new x509.Extension(
    id_ce_cRLNumber,
    false,
    AsnConvert.serialize(new CRLNumber(params.crlNumber)),
  );
  const crl = await x509.X509CrlGenerator.create(
    {
      issuer: params.issuerCertificate.subjectName,
      thisUpdate: wholeSeconds(params.thisUpdate),
      nextUpdate: wholeSeconds(params.nextUpdate),
      signingKey: params.signingKey,
      signingAlgorithm: params.signingAlgorithm,
      extensions: [
        await x509.AuthorityKeyIdentifierExtension.create(params.issuerCertificate, false, params.crypto),
        crlNumber,
      ],
      entries: params.entries.map((entry) => ({
        serialNumber: entry.serialHex,
        revocationDate: wholeSeconds(entry.revokedAt),
        // RFC 5280 §5.3.1: omit the reason extension rather than say "unspecified".
        ...(entry.reason === 'unspecified' ? {} : { reason: REVOCATION_REASONS[entry.reason] as x509.X509CrlReason }),
      })),
    },
    params.crypto,
  );
  return new Uint8Array(crl.rawData);
}

export function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}
