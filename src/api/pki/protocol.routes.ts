import { Hono } from 'hono';
import type { AppContext } from '../../context.js';
import type { AppEnv } from '../../http/app-env.js';
import { readSmallBody } from '../../http/small-body.js';
import { buildOcspErrorResponse } from '../../pki/ocsp.js';
import { buildTimeStampRejection } from '../../pki/timestamp.js';

/** Requests are a few hundred bytes; anything much larger is not a request. */
const MAX_REQUEST_BYTES = 16 * 1024;

/**
 * OCSP (RFC 6960 Appendix A) and time-stamping (RFC 3161 §3.4) over HTTP. Public and
 * unauthenticated, and they keep their own error channels: a bad request gets an OCSP
 * malformedRequest or a TSA rejection, in DER, never problem+json.
 */
export function protocolRoutes(ctx: AppContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const ocspDer = (der: Uint8Array, status = 200, headers: Record<string, string> = {}) =>
    new Response(new Uint8Array(der), { status, headers: { 'Content-Type': 'application/ocsp-response', ...headers } });

  app.post('/ocsp', async (c) => {
    if (c.req.header('Content-Type')?.split(';')[0]?.trim() !== 'application/ocsp-request') {
      return ocspDer(buildOcspErrorResponse('malformedRequest'));
    }
    const body = await readSmallBody(c, MAX_REQUEST_BYTES);
    if (!body) return ocspDer(buildOcspErrorResponse('malformedRequest'));
    return ocspDer((await ctx.ocsp.respond(body)).der);
  });

  // RFC 6960 A.1: GET {url}/{url-encoding of base-64 encoding of the DER OCSPRequest}.
  app.get('/ocsp/*', async (c) => {
    const encoded = c.req.path.slice('/ocsp/'.length);
    let der: Uint8Array;
    try {
      der = new Uint8Array(Buffer.from(decodeURIComponent(encoded), 'base64'));
    } catch {
      return ocspDer(buildOcspErrorResponse('malformedRequest'));
    }
    if (der.length === 0 || der.length > MAX_REQUEST_BYTES) return ocspDer(buildOcspErrorResponse('malformedRequest'));
    const answer = await ctx.ocsp.respond(der);
    if (!answer.cacheableUntil) return ocspDer(answer.der, 200, { 'Cache-Control': 'no-cache' });
    // RFC 5019 §6.2: let HTTP caches keep a nonce-free response until we would refresh it.
    const maxAge = Math.max(0, Math.floor((answer.cacheableUntil.getTime() - ctx.clock.now().getTime()) / 1000));
    return ocspDer(answer.der, 200, {
      'Cache-Control': `max-age=${maxAge}, public, no-transform, must-revalidate`,
      Expires: answer.cacheableUntil.toUTCString(),
    });
  });

  app.post('/tsa', async (c) => {
    if (c.req.header('Content-Type')?.split(';')[0]?.trim() !== 'application/timestamp-query') {
      return tsaDer(buildTimeStampRejection('badDataFormat', 'Send Content-Type: application/timestamp-query'));
    }
    const body = await readSmallBody(c, MAX_REQUEST_BYTES);
    if (!body) return tsaDer(buildTimeStampRejection('badDataFormat', 'The request is too large'));
    return tsaDer(await ctx.timestamps.respond(body));
  });

  return app;
}

function tsaDer(der: Uint8Array): Response {
  return new Response(new Uint8Array(der), { status: 200, headers: { 'Content-Type': 'application/timestamp-reply' } });
}
