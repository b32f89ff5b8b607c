import { z } from '@hono/zod-openapi';
import type { AppContext } from '../../context.js';
import { actorOf } from '../../http/actor.js';
import { createApiRouter, jsonResponse, problemResponseDoc, protectedRoute } from '../../http/api-route.js';
import type { Peer } from '../../federation/peer.service.js';

const PeerSchema = z
  .object({
    regionId: z.string(),
    name: z.string(),
    url: z.string(),
    pinnedFingerprint: z.string(),
    status: z.enum(['active', 'stale']),
    sequence: z.number().int(),
    nextUpdate: z.iso.datetime(),
    fetchedAt: z.iso.datetime(),
    lastAttemptAt: z.iso.datetime(),
    lastError: z.string().nullable(),
  })
  .openapi('Peer');

const peerJson = (p: Peer) => ({
  ...p,
  nextUpdate: p.nextUpdate.toISOString(),
  fetchedAt: p.fetchedAt.toISOString(),
  lastAttemptAt: p.lastAttemptAt.toISOString(),
});
const RegionParam = z.object({ regionId: z.string().regex(/^\d{6}$/) });
const notFound = problemResponseDoc('No such peer region');

const register = protectedRoute(['admin'], {
  method: 'post',
  path: '/peers',
  tags: ['Federation'],
  summary: 'Recognise another region: fetch its trust list from `url`, check it against the pinned signer fingerprint, store it',
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.strictObject({
            url: z.string().max(500),
            pinnedFingerprint: z.string().max(120).openapi({ description: 'SHA-256 of the peer’s trust-list signing certificate (hex, colons allowed)' }),
          }),
        },
      },
    },
  },
  responses: {
    201: jsonResponse(PeerSchema, 'The peer'),
    409: problemResponseDoc('Already registered, or the own region'),
    503: problemResponseDoc('The trust list could not be fetched'),
  },
});
const list = protectedRoute(['admin'], {
  method: 'get',
  path: '/peers',
  tags: ['Federation'],
  summary: 'Peer regions and the state of their trust lists (stale: past the next update without a good refresh)',
  responses: { 200: jsonResponse(z.object({ items: z.array(PeerSchema) }), 'Peers') },
});
const get = protectedRoute(['admin'], {
  method: 'get',
  path: '/peers/{regionId}',
  tags: ['Federation'],
  summary: 'One peer region',
  request: { params: RegionParam },
  responses: { 200: jsonResponse(PeerSchema, 'The peer'), 404: notFound },
});
const refresh = protectedRoute(['admin'], {
  method: 'post',
  path: '/peers/{regionId}/refresh',
  tags: ['Federation'],
  summary: 'Fetch the peer’s trust list now; a forged, rolled-back or expired list is refused and recorded in lastError',
  request: { params: RegionParam },
  responses: { 200: jsonResponse(PeerSchema, 'The peer after the attempt'), 404: notFound },
});
const remove = protectedRoute(['admin'], {
  method: 'delete',
  path: '/peers/{regionId}',
  tags: ['Federation'],
  summary: 'Stop recognising a region (and drop its sharing agreements)',
  request: { params: RegionParam },
  responses: { 204: { description: 'Removed' }, 404: notFound },
});

export function peerRoutes(ctx: AppContext) {
  return createApiRouter()
    .openapi(register, async (c) => c.json(peerJson(await ctx.peers.register(actorOf(c), c.req.valid('json'))), 201))
    .openapi(list, async (c) => c.json({ items: (await ctx.peers.list()).map(peerJson) }, 200))
    .openapi(get, async (c) => c.json(peerJson(await ctx.peers.get(c.req.valid('param').regionId)), 200))
    .openapi(refresh, async (c) => c.json(peerJson(await ctx.peers.refresh(actorOf(c), c.req.valid('param').regionId)), 200))
    .openapi(remove, async (c) => {
      await ctx.peers.remove(actorOf(c), c.req.valid('param').regionId);
      return c.body(null, 204);
    });
}
