import { createHash } from 'node:crypto';
import type { CrlService } from '../authority/crl.service.js';
import type { Hierarchy } from '../authority/hierarchy.js';
import type { OcspService } from '../authority/ocsp.service.js';
import type { TimestampService } from '../authority/timestamp.service.js';
import type { PadesServices } from '../pades/sign-pdf.js';
import { x509 } from '../pki/x509.js';

/**
 * What PAdES signing needs from the region's own PKI, called in-process: signature and
 * document timestamps from our TSA, and OCSP answers and CRLs for the DSS (B-LT).
 */
export function padesServices(hierarchy: Hierarchy, timestamps: TimestampService, ocsp: OcspService, crls: CrlService): PadesServices {
  const caBySubjectKeyId = new Map<string, string>();
  for (const [caId, authority] of hierarchy.authorities) {
    caBySubjectKeyId.set(subjectKeyIdOf(authority.certificate), caId);
  }
  return {
    timestamp: (digest) => timestamps.stamp(digest),
    async revocationData(certificates) {
      const ocspResponses: Uint8Array[] = [];
      const issuers = new Set<string>();
      for (const der of certificates) {
        const certificate = new x509.X509Certificate(Uint8Array.from(der));
        if (await certificate.isSelfSigned()) continue; // trust anchors are not revoked by OCSP
        const issuer = caBySubjectKeyId.get(authorityKeyIdOf(certificate) ?? '');
        if (!issuer) continue; // not ours: nothing we can vouch for
        issuers.add(issuer);
        // id-pkix-ocsp-nocheck responders need no status (RFC 6960 §4.2.2.2.1).
        if (certificate.getExtension('1.3.6.1.5.5.7.48.1.5')) continue;
        ocspResponses.push(await ocsp.responseFor(issuer, certificate.serialNumber.toLowerCase()));
      }
      const crlList = await Promise.all([...issuers].map(async (caId) => (await crls.current(caId)).der));
      return { ocspResponses, crls: crlList };
    },
  };
}

function subjectKeyIdOf(certificate: x509.X509Certificate): string {
  const ski = certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  return ski ? ski.keyId.toLowerCase() : createHash('sha1').update(new Uint8Array(certificate.publicKey.rawData)).digest('hex');
}

function authorityKeyIdOf(certificate: x509.X509Certificate): string | null {
  return certificate.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId?.toLowerCase() ?? null;
}
