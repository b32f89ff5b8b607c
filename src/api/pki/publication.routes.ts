import { Hono } from 'hono';
import type { AppContext } from '../../context.js';
import { NotFoundError } from '../../errors.js';
import type { AppEnv } from '../../http/app-env.js';
import { toPem } from '../../pki/pem.js';

/**
 * Public, unauthenticated publication of the hierarchy (RFC 5280 §4.2.2.1 caIssuers,
 * §4.2.1.13 CRL distribution points): relying parties in any region fetch these.
 */
export function publicationRoutes(ctx: AppContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const authority = (file: string, suffix: string) => {
    const id = file.endsWith(suffix) ? file.slice(0, -suffix.length) : '';
    const found = ctx.hierarchy.authorities.get(id);
    if (!found) throw new NotFoundError('UnknownCa', `No certificate authority '${id || file}'`);
    return found;
  };

  app.get('/ca/:file{[a-z0-9-]+\\.(crt|pem)}', (c) => {
    const file = c.req.param('file');
    if (file.endsWith('.crt')) {
      const ca = authority(file, '.crt');
      return c.body(new Uint8Array(ca.der), 200, { 'Content-Type': 'application/pkix-cert', 'Cache-Control': 'public, max-age=3600' });
    }
    const ca = authority(file, '.pem');
    return c.body(toPem(ca.der, 'CERTIFICATE'), 200, { 'Content-Type': 'application/x-pem-file', 'Cache-Control': 'public, max-age=3600' });
  });

  /** This CA and every CA above it, PEM, leaf-most first (what `openssl verify -untrusted` wants). */
  app.get('/ca/:id{[a-z0-9-]+}/chain.pem', (c) => {
    const ca = ctx.hierarchy.authorities.get(c.req.param('id'));
    if (!ca) throw new NotFoundError('UnknownCa', `No certificate authority '${c.req.param('id')}'`);
    const pem = ca.chain.map((cert) => toPem(new Uint8Array(cert.rawData), 'CERTIFICATE')).join('');
    return c.body(pem, 200, { 'Content-Type': 'application/x-pem-file', 'Cache-Control': 'public, max-age=3600' });
  });

  app.get('/crl/:file{[a-z0-9-]+\\.crl}', async (c) => {
    const ca = authority(c.req.param('file'), '.crl');
    const crl = await ctx.crls.current(ca.spec.id);
    const maxAge = Math.max(0, Math.floor((crl.nextUpdate.getTime() - ctx.clock.now().getTime()) / 1000 / 2));
    return c.body(new Uint8Array(crl.der), 200, {
      'Content-Type': 'application/pkix-crl',
      'Cache-Control': `public, max-age=${Math.min(maxAge, 300)}`,
      'Last-Modified': crl.thisUpdate.toUTCString(),
      ETag: `"${ca.spec.id}-${crl.crlNumber}"`,
    });
  });

  return app;
}
