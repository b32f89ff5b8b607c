import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/**
 * Reads a small request body (an OCSP or time-stamp query, a few hundred bytes), or returns
 * null when it exceeds `maxBytes`. On Node it reads the socket stream directly: going
 * through the web Request body stream costs more than answering a cached OCSP request.
 */
export async function readSmallBody(c: Context, maxBytes: number): Promise<Uint8Array | null> {
  const declared = Number(c.req.header('Content-Length') ?? '0');
  if (declared > maxBytes) return null;
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming) {
    const body = new Uint8Array(await c.req.arrayBuffer());
    return body.length > maxBytes ? null : body;
  }
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > maxBytes) {
      incoming.resume(); // drain the rest so the connection stays usable for the answer
      return null;
    }
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks, length));
}
