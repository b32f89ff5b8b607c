import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadCaConfig } from '../authority/ca-config.js';
import { systemClock } from '../clock.js';
import type { Config } from '../config/config.js';
import { PeerOcspSource } from '../federation/peer-revocation.js';
import { VerificationService } from '../verification/verification.service.js';

/**
 * `verify` while the service holds the embedded database: the region's CA certificates are read
 * from KEYS_DIR (where the service keeps them), certificate status is asked of the running
 * service's OCSP responder (PUBLIC_BASE_URL/ocsp; TRY_LATER when it does not answer), and the
 * licence registry is not consulted (the report says so). No key is used.
 */
export function offlineVerification(config: Config): { service: VerificationService; notice: string } {
  const caConfig = loadCaConfig(config.caConfigFile);
  const certificate = (id: string) => {
    const pem = readFileSync(path.join(config.keysDir, `${id}.cert.pem`), 'utf8');
    return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  };
  const root = caConfig.authorities.find((a) => !a.issuer)!;
  const ocspUrl = `${config.publicBaseUrl}/ocsp`;
  const service = new VerificationService(systemClock, null, {
    region: { id: config.regionId, name: config.regionName },
    anchors: [{ certificateDer: certificate(root.id), name: `${config.regionName} (${config.regionId})` }],
    intermediates: caConfig.authorities.filter((a) => a !== root).map((a) => certificate(a.id)),
    revocation: new PeerOcspSource(async () => ocspUrl, 0),
    maxBytes: config.maxDocumentBytes,
  });
  return {
    service,
    notice: `The service holds the embedded database: trust anchors from ${config.keysDir}, certificate status from ${ocspUrl}, licence registry not consulted.`,
  };
}
