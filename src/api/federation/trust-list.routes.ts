import { Hono } from 'hono';
import type { AppContext } from '../../context.js';
import type { AppEnv } from '../../http/app-env.js';
import { TRUST_LIST_MEDIA_TYPE } from '../../federation/trust-list.js';

/**
 * Public federation endpoints: the region's signed trust list (with ETag, so peers refreshing
 * often cost a 304) and the status of a licence by identifier, which peer regions ask when they
 * verify one of our licences. Neither carries personal data.
 */
export function trustListRoutes(ctx: AppContext) {
  const app = new Hono<AppEnv>();
  app.get('/trust-list', async (c) => {
    const list = await ctx.trustList.current();
    const etag = `"${list.sequence}"`;
    const headers = {
      ETag: etag,
      'Cache-Control': 'public, max-age=300',
      'Last-Modified': list.issuedAt.toUTCString(),
      'X-Trust-List-Signer-SHA256': ctx.trustList.signerFingerprint,
    };
    if (etagMatches(c.req.header('If-None-Match'), etag)) return c.body(null, 304, headers);
    return c.body(list.jws, 200, { ...headers, 'Content-Type': TRUST_LIST_MEDIA_TYPE });
  });
  app.get('/trust-list.json', async (c) => {
    const list = await ctx.trustList.current();
    return c.json(JSON.parse(Buffer.from(list.jws.split('.')[1]!, 'base64url').toString('utf8')), 200, { 'Cache-Control': 'public, max-age=300' });
  });
  app.get('/licence-status/:identifier', async (c) => {
    const record = await ctx.licences.publicRecord(c.req.param('identifier'));
    if (!record) return c.json({ identifier: c.req.param('identifier'), known: false }, 404, { 'Cache-Control': 'no-store' });
    const { licence } = record;
    return c.json(
      {
        identifier: licence.identifier,
        known: true,
        status: licence.status,
        typeCode: licence.typeCode,
        issuer: { name: licence.issuer.name, creditCode: licence.issuer.creditCode },
        validUntil: licence.validUntil,
        supersededBy: licence.supersededBy,
        fileSha256: licence.fileSha256,
        fileSize: licence.fileSize,
        checkedAt: ctx.clock.now().toISOString(),
      },
      200,
      { 'Cache-Control': 'no-store' },
    );
  });
  return app;
}

/** If-None-Match uses the weak comparison (RFC 9110 §13.1.2): W/ is ignored, a list may name several tags, * matches any. */
function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
