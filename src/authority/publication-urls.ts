/** The public addresses relying parties use, as written into certificates (CDP, AIA). */
export function publicationUrls(publicBaseUrl: string) {
  return {
    ocsp: `${publicBaseUrl}/ocsp`,
    crl: (caId: string) => `${publicBaseUrl}/crl/${caId}.crl`,
    caCertificate: (caId: string) => `${publicBaseUrl}/ca/${caId}.crt`,
    timestamp: `${publicBaseUrl}/tsa`,
  };
}
