import { z } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppContext } from '../../context.js';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from '../../errors.js';
import { actorOf, principalOf } from '../../http/actor.js';
import { createApiRouter, jsonResponse, problemResponseDoc, protectedRoute } from '../../http/api-route.js';
import type { AppEnv } from '../../http/app-env.js';

/** Region-to-region endpoints: authenticated by the request's signature, not by an API key. */
export function sharingPeerRoutes(ctx: AppContext) {
  const app = new Hono<AppEnv>();
  app.post(
    '/federation/v1/share-requests',
    bodyLimit({
      maxSize: 16 * 1024,
      onError: () => {
        throw new PayloadTooLargeError('PayloadTooLarge', 'A sharing request is at most 16 KiB');
      },
    }),
    async (c) => {
      const type = (c.req.header('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/jose') throw new UnsupportedMediaTypeError('UnsupportedMediaType', 'Send the signed request as application/jose');
      return c.json(await ctx.sharing.answer(await c.req.text()), 200, { 'Cache-Control': 'no-store' });
    },
  );
  app.get('/federation/v1/downloads/:token', async (c) => {
    const { pdf, identifier } = await ctx.sharing.download(c.req.param('token'));
    return c.body(new Uint8Array(pdf), 200, {
      'Content-Type': 'application/pdf',
      'Content-Disposition': `attachment; filename="${identifier}-annotated.pdf"`,
      'Cache-Control': 'no-store',
    });
  });
  return app;
}

const RegionParam = z.object({ regionId: z.string().regex(/^\d{6}$/) });
const AgreementSchema = z.object({ typeCode: z.string(), departmentCreditCode: z.string(), legalBasis: z.string().nullable(), createdAt: z.iso.datetime() });
const body = <T extends z.ZodType>(schema: T) => ({ body: { required: true, content: { 'application/json': { schema } } } });

const setAgreement = protectedRoute(['admin'], {
  method: 'put',
  path: '/peers/{regionId}/agreements',
  tags: ['Federation'],
  summary: 'Let a department of a peer region (credit code, or * for all) have a licence type; legalBasis lets it do so without the holder’s code',
  request: {
    params: RegionParam,
    ...body(z.strictObject({ typeCode: z.string().length(21), departmentCreditCode: z.string().regex(/^([0-9A-Z]{18}|\*)$/), legalBasis: z.string().min(1).max(200).optional() })),
  },
  responses: { 204: { description: 'Set' }, 404: problemResponseDoc('No such peer or licence type') },
});
const listAgreements = protectedRoute(['admin'], {
  method: 'get',
  path: '/peers/{regionId}/agreements',
  tags: ['Federation'],
  summary: 'The sharing agreement with a peer region',
  request: { params: RegionParam },
  responses: { 200: jsonResponse(z.object({ items: z.array(AgreementSchema) }), 'Agreement entries') },
});
const removeAgreement = protectedRoute(['admin'], {
  method: 'delete',
  path: '/peers/{regionId}/agreements/{typeCode}/{departmentCreditCode}',
  tags: ['Federation'],
  summary: 'Remove an agreement entry',
  request: { params: RegionParam.extend({ typeCode: z.string().length(21), departmentCreditCode: z.string().regex(/^([0-9A-Z]{18}|\*)$/) }) },
  responses: { 204: { description: 'Removed' }, 404: problemResponseDoc('No such entry') },
});
const consent = protectedRoute(['issuer'], {
  method: 'post',
  path: '/licences/{identifier}/consents',
  tags: ['Federation'],
  summary: 'Record the holder’s consent: a one-time authorisation code (shown once) the holder gives to a department of another region',
  request: {
    params: z.object({ identifier: z.string().min(20).max(120) }),
    ...body(z.strictObject({ purpose: z.string().max(200).optional(), validMinutes: z.number().int().min(1).max(7 * 24 * 60).optional() })),
  },
  responses: { 201: jsonResponse(z.object({ code: z.string(), expiresAt: z.iso.datetime() }), 'The code'), 403: problemResponseDoc('Not the issuing department'), 404: problemResponseDoc('No such licence') },
});
const requestShare = protectedRoute(['acceptor', 'issuer'], {
  method: 'post',
  path: '/shared-licences',
  tags: ['Federation'],
  summary: 'Ask another region for one of its licences, stating the purpose of use (用证事由) and, unless the law allows otherwise, the holder’s authorisation code',
  request: {
    ...body(
      z
        .strictObject({
          regionId: z.string().regex(/^\d{6}$/),
          purpose: z.string().min(1).max(200),
          identifier: z.string().min(20).max(120).optional(),
          holder: z.strictObject({ id: z.string().min(1).max(40), idTypeCode: z.enum(['111', '001']), typeCode: z.string().length(21) }).optional(),
          consentCode: z.string().min(4).max(20).optional(),
        })
        .refine((b) => Boolean(b.identifier) !== Boolean(b.holder), { message: 'give either identifier or holder', path: ['identifier'] }),
    ),
  },
  responses: {
    200: jsonResponse(
      z.object({
        licence: z.object({ identifier: z.string(), typeCode: z.string(), typeName: z.string(), status: z.string(), issuer: z.string(), validUntil: z.string().nullable() }),
        download: z.object({ url: z.string(), expiresAt: z.iso.datetime() }),
        consent: z.string(),
      }),
      'A one-time link (10 minutes) to an annotated copy (加注件)',
    ),
    403: problemResponseDoc('The peer region refused (code in details.peerCode)'),
    404: problemResponseDoc('The region is not recognised'),
    503: problemResponseDoc('The peer region did not answer'),
  },
});
const usage = protectedRoute(['admin', 'issuer'], {
  method: 'get',
  path: '/sharing-usage',
  tags: ['Federation'],
  summary: 'Usage records (用证记录): what this region gave to other regions (provided) and got from them (received)',
  request: { query: z.strictObject({ identifier: z.string().max(120).optional(), direction: z.enum(['provided', 'received']).optional() }) },
  responses: { 200: jsonResponse(z.object({ items: z.array(z.record(z.string(), z.unknown())) }), 'Records, newest first') },
});

export function sharingApiRoutes(ctx: AppContext) {
  return createApiRouter()
    .openapi(setAgreement, async (c) => {
      await ctx.sharing.setAgreement(actorOf(c), c.req.valid('param').regionId, c.req.valid('json'));
      return c.body(null, 204);
    })
    .openapi(listAgreements, async (c) => {
      const items = await ctx.sharing.agreements(c.req.valid('param').regionId);
      return c.json({ items: items.map((i) => ({ ...i, createdAt: i.createdAt.toISOString() })) }, 200);
    })
    .openapi(removeAgreement, async (c) => {
      const { regionId, typeCode, departmentCreditCode } = c.req.valid('param');
      await ctx.sharing.removeAgreement(actorOf(c), regionId, typeCode, departmentCreditCode);
      return c.body(null, 204);
    })
    .openapi(consent, async (c) => {
      const actor = actorOf(c);
      const result = await ctx.sharing.issueConsent({ ...actor, departmentId: actor.departmentId! }, c.req.valid('param').identifier, c.req.valid('json'));
      return c.json({ code: result.code, expiresAt: result.expiresAt.toISOString() }, 201, { 'Cache-Control': 'no-store' });
    })
    .openapi(requestShare, async (c) => {
      const actor = actorOf(c);
      return c.json(await ctx.sharing.request({ ...actor, departmentId: actor.departmentId! }, c.req.valid('json')), 200);
    })
    .openapi(usage, async (c) => {
      // Departments see the records of licences by identifier; the full ledger is for administrators.
      const query = c.req.valid('query');
      const admin = principalOf(c).roles.includes('admin');
      const items = await ctx.sharing.usage(admin ? query : { ...query, identifier: query.identifier ?? '-' });
      return c.json({ items: items.map((i) => ({ ...i, at: i.at.toISOString() })) }, 200);
    });
}
