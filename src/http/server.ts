import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/config.js';
import type { Hierarchy } from '../authority/hierarchy.js';
import { toPem } from '../pki/pem.js';

/**
 * Serves `fetch` over HTTP, or over HTTPS when TLS_CERT_FILE/TLS_KEY_FILE are set. Over
 * HTTPS the server asks for a client certificate issued under our services CA but does not
 * insist, so departments may use either mutual TLS or an API key.
 */
export function startServer(
  fetch: (request: Request, env?: unknown) => Response | Promise<Response>,
  config: Pick<Config, 'port' | 'host' | 'tls'>,
  hierarchy: Hierarchy,
  onListening: (info: AddressInfo) => void,
): ServerType {
  if (!config.tls) return serve({ fetch, port: config.port, hostname: config.host }, onListening);
  const clientCa = hierarchy.authorities.get('services-ca')!.chain.map((cert) => toPem(new Uint8Array(cert.rawData), 'CERTIFICATE'));
  return serve(
    {
      fetch,
      port: config.port,
      hostname: config.host,
      createServer: createHttpsServer,
      serverOptions: {
        cert: readFileSync(config.tls.certFile),
        key: readFileSync(config.tls.keyFile),
        ca: clientCa,
        requestCert: true,
        rejectUnauthorized: false,
      },
    },
    onListening,
  );
}
