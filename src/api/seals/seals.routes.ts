import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppContext } from '../../context.js';
import { PermissionDeniedError } from '../../errors.js';
import { actorOf, principalOf } from '../../http/actor.js';
import { createApiRouter, jsonResponse, problemResponseDoc, protectedRoute } from '../../http/api-route.js';
import type { AppEnv } from '../../http/app-env.js';
import {
  CreateSealSchema,
  SealGrantParamSchema,
  SealIdParamSchema,
  SealRevocationSchema,
  SealSchema,
  SealSuspensionSchema,
  SealUseSchema,
  sealJson,
} from './seals.schemas.js';

const notFound = problemResponseDoc('No such seal or department');
const conflict = problemResponseDoc('Not possible in the seal’s current status');
const body = <T extends z.ZodType>(schema: T) => ({ body: { required: true, content: { 'application/json': { schema } } } });

const createSeal = protectedRoute(['admin'], {
  method: 'post',
  path: '/seals',
  tags: ['Seals'],
  summary: 'Register a seal: allocates its seal code, generates its key in the backend and issues its certificate',
  request: body(CreateSealSchema),
  responses: { 201: jsonResponse(SealSchema, 'The seal'), 404: notFound },
});

const listSeals = protectedRoute(['admin', 'issuer'], {
  method: 'get',
  path: '/seals',
  tags: ['Seals'],
  summary: 'Seals: all of them for an administrator, the ones it owns or was granted for an issuer',
  request: { query: z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100), offset: z.coerce.number().int().min(0).default(0) }) },
  responses: { 200: jsonResponse(z.object({ items: z.array(SealSchema) }), 'Seals by seal code') },
});

const getSeal = protectedRoute(['admin', 'issuer'], {
  method: 'get',
  path: '/seals/{id}',
  tags: ['Seals'],
  summary: 'One seal',
  request: { params: SealIdParamSchema },
  responses: { 200: jsonResponse(SealSchema, 'The seal'), 404: notFound },
});

const lifecycle = <B extends z.ZodType>(path: string, summary: string, schema: B) =>
  protectedRoute(['admin'], {
    method: 'post',
    path,
    tags: ['Seals'],
    summary,
    request: { params: SealIdParamSchema, ...body(schema) },
    responses: { 200: jsonResponse(SealSchema, 'The seal'), 404: notFound, 409: conflict },
  });

const suspend = lifecycle('/seals/{id}/suspension', 'Suspend a seal (its certificate goes on hold)', SealSuspensionSchema);
const resume = lifecycle('/seals/{id}/resumption', 'Resume a suspended seal', z.strictObject({}));
const revoke = lifecycle('/seals/{id}/revocation', 'Revoke a seal for good (its certificate is revoked at once)', SealRevocationSchema);
const renew = lifecycle(
  '/seals/{id}/renewal',
  'New key and certificate under the same seal code; the old certificate is revoked as superseded',
  z.strictObject({ validityDays: z.number().int().min(1).max(1825).optional() }),
);

const history = protectedRoute(['admin'], {
  method: 'get',
  path: '/seals/{id}/certificates',
  tags: ['Seals'],
  summary: "The seal's certificates, oldest first",
  request: { params: SealIdParamSchema },
  responses: {
    200: jsonResponse(
      z.object({ items: z.array(z.object({ certificateSerial: z.string(), createdAt: z.iso.datetime(), supersededAt: z.iso.datetime().nullable() })) }),
      'History',
    ),
    404: notFound,
  },
});

const grant = protectedRoute(['admin'], {
  method: 'put',
  path: '/seals/{id}/grants/{departmentId}',
  tags: ['Seals'],
  summary: 'Allow a department to use this seal',
  request: { params: SealGrantParamSchema },
  responses: { 204: { description: 'Granted' }, 404: notFound },
});

const withdraw = protectedRoute(['admin'], {
  method: 'delete',
  path: '/seals/{id}/grants/{departmentId}',
  tags: ['Seals'],
  summary: "Withdraw a department's use of this seal",
  request: { params: SealGrantParamSchema },
  responses: { 204: { description: 'Withdrawn' }, 404: notFound, 409: conflict },
});

const grants = protectedRoute(['admin'], {
  method: 'get',
  path: '/seals/{id}/grants',
  tags: ['Seals'],
  summary: 'Departments that may use this seal',
  request: { params: SealIdParamSchema },
  responses: { 200: jsonResponse(z.object({ items: z.array(z.object({ departmentId: z.uuid(), grantedAt: z.iso.datetime() })) }), 'Grants'), 404: notFound },
});

const uses = protectedRoute(['admin', 'issuer'], {
  method: 'get',
  path: '/seals/{id}/uses',
  tags: ['Seals'],
  summary: 'The seal-use log: every document sealed, by whom and when (administrators and the owning department)',
  request: {
    params: SealIdParamSchema,
    query: z.strictObject({ afterId: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
  },
  responses: { 200: jsonResponse(z.object({ items: z.array(SealUseSchema) }), 'Uses, oldest first'), 404: notFound },
});

const appearance = protectedRoute(['admin', 'issuer', 'acceptor'], {
  method: 'get',
  path: '/seals/{id}/appearance.svg',
  tags: ['Seals'],
  summary: 'The seal drawn as SVG',
  request: { params: SealIdParamSchema },
  responses: { 200: { description: 'SVG', content: { 'image/svg+xml': { schema: z.string() } } }, 404: notFound },
});

export function sealRoutes(ctx: AppContext) {
  /** Issuers see the seals they own or were granted, nothing else (not even their existence). */
  const assertVisible = async (c: Context<AppEnv>, sealId: string) => {
    const principal = principalOf(c);
    if (principal.roles.includes('admin')) return;
    if (!(await ctx.seals.canUse(sealId, principal.departmentId))) {
      await ctx.seals.get(sealId); // 404 for a seal that does not exist
      throw new PermissionDeniedError('SealNotGranted', 'Your department may not use this seal');
    }
  };

  return createApiRouter()
    .openapi(createSeal, async (c) => c.json(sealJson(await ctx.seals.create(actorOf(c), c.req.valid('json'))), 201))
    .openapi(listSeals, async (c) => {
      const principal = principalOf(c);
      const { limit, offset } = c.req.valid('query');
      const visibleTo = principal.roles.includes('admin') ? undefined : principal.departmentId;
      return c.json({ items: (await ctx.seals.list({ visibleTo, limit, offset })).map(sealJson) }, 200);
    })
    .openapi(getSeal, async (c) => {
      const { id } = c.req.valid('param');
      await assertVisible(c, id);
      return c.json(sealJson(await ctx.seals.get(id)), 200);
    })
    .openapi(suspend, async (c) => c.json(sealJson(await ctx.seals.suspend(actorOf(c), c.req.valid('param').id, c.req.valid('json').reason)), 200))
    .openapi(resume, async (c) => c.json(sealJson(await ctx.seals.resume(actorOf(c), c.req.valid('param').id)), 200))
    .openapi(revoke, async (c) => c.json(sealJson(await ctx.seals.revoke(actorOf(c), c.req.valid('param').id, c.req.valid('json').reason)), 200))
    .openapi(renew, async (c) => c.json(sealJson(await ctx.seals.renew(actorOf(c), c.req.valid('param').id, c.req.valid('json').validityDays)), 200))
    .openapi(history, async (c) => {
      const rows = await ctx.seals.history(c.req.valid('param').id);
      const items = rows.map((r) => ({
        certificateSerial: r.certificate_serial,
        createdAt: r.created_at.toISOString(),
        supersededAt: r.superseded_at?.toISOString() ?? null,
      }));
      return c.json({ items }, 200);
    })
    .openapi(grant, async (c) => {
      const { id, departmentId } = c.req.valid('param');
      await ctx.seals.grant(actorOf(c), id, departmentId);
      return c.body(null, 204);
    })
    .openapi(withdraw, async (c) => {
      const { id, departmentId } = c.req.valid('param');
      await ctx.seals.withdrawGrant(actorOf(c), id, departmentId);
      return c.body(null, 204);
    })
    .openapi(grants, async (c) => {
      const rows = await ctx.seals.grants(c.req.valid('param').id);
      return c.json({ items: rows.map((g) => ({ departmentId: g.department_id, grantedAt: g.granted_at.toISOString() })) }, 200);
    })
    .openapi(uses, async (c) => {
      const { id } = c.req.valid('param');
      const principal = principalOf(c);
      if (!principal.roles.includes('admin')) {
        const seal = await ctx.seals.get(id);
        if (seal.ownerDepartmentId !== principal.departmentId) {
          throw new PermissionDeniedError('SealOwnerOnly', 'Only the owning department and administrators read a seal-use log');
        }
      }
      const { afterId, limit } = c.req.valid('query');
      const rows = await ctx.seals.uses(id, afterId, limit);
      const items = rows.map((u) => ({
        id: u.id,
        certificateSerial: u.certificate_serial,
        departmentId: u.department_id,
        documentSha256: u.document_sha256,
        sealedSha256: u.sealed_sha256,
        level: u.level,
        signedAt: u.signed_at.toISOString(),
        requestId: u.request_id,
      }));
      return c.json({ items }, 200);
    })
    .openapi(appearance, async (c) => {
      const { id } = c.req.valid('param');
      await assertVisible(c, id);
      const svg = await ctx.sealing.appearanceSvg(id);
      return c.body(svg, 200, { 'Content-Type': 'image/svg+xml; charset=utf-8', 'Cache-Control': 'private, max-age=3600' });
    });
}
