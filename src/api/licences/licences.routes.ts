import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppContext } from '../../context.js';
import { actorOf } from '../../http/actor.js';
import { createApiRouter, jsonResponse, problemResponseDoc, protectedRoute } from '../../http/api-route.js';
import type { AppEnv } from '../../http/app-env.js';
import type { IssuerActor } from '../../licences/licence.service.js';
import type { LicenceAction } from '../../licences/licence-status.js';
import {
  HolderSearchSchema,
  IdentifierParamSchema,
  IssueLicenceSchema,
  LicenceSchema,
  LicenceTypeSchema,
  licenceJson,
  licenceTypeJson,
  ReissueLicenceSchema,
  StatusChangeSchema,
} from './licences.schemas.js';

const notFound = problemResponseDoc('No such licence or licence type');
const conflict = problemResponseDoc('Not possible in the licence’s current status, or the Idempotency-Key was used for another request');
const forbidden = problemResponseDoc('The department lacks the role or the right to this licence type');
const body = <T extends z.ZodType>(schema: T) => ({ body: { required: true, content: { 'application/json': { schema } } } });
const IdempotencyHeaderSchema = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,200}$/, '1-200 visible ASCII characters')
    .optional()
    .openapi({ description: 'Makes a retry safe: the same key and body return the licence already issued' }),
});
const ANY = ['admin', 'issuer', 'acceptor'] as const;

const listTypes = protectedRoute(ANY, {
  method: 'get',
  path: '/licence-types',
  tags: ['Licence types'],
  summary: 'The licence-type catalogue (templates/): face fields, holder kind, validity rule, seal type',
  responses: { 200: jsonResponse(z.object({ items: z.array(LicenceTypeSchema) }), 'Licence types') },
});

const getType = protectedRoute(ANY, {
  method: 'get',
  path: '/licence-types/{code}',
  tags: ['Licence types'],
  summary: 'One licence type',
  request: { params: z.object({ code: z.string().length(21) }) },
  responses: { 200: jsonResponse(LicenceTypeSchema, 'The licence type'), 404: notFound },
});

const PermissionParamSchema = z.object({
  id: z.uuid(),
  typeCode: z.string().length(21),
  permission: z.enum(['issue', 'read']),
});

const listPermissions = protectedRoute(['admin'], {
  method: 'get',
  path: '/departments/{id}/licence-types',
  tags: ['Licence types'],
  summary: 'Which licence types a department may issue or read in full',
  request: { params: z.object({ id: z.uuid() }) },
  responses: {
    200: jsonResponse(z.object({ items: z.array(z.object({ typeCode: z.string(), permission: z.enum(['issue', 'read']), grantedAt: z.iso.datetime() })) }), 'Rights'),
    404: notFound,
  },
});

const grantPermission = protectedRoute(['admin'], {
  method: 'put',
  path: '/departments/{id}/licence-types/{typeCode}/{permission}',
  tags: ['Licence types'],
  summary: 'Let a department issue a licence type (issue) or see every licence of it in full (read)',
  request: { params: PermissionParamSchema },
  responses: { 204: { description: 'Granted' }, 404: notFound },
});

const withdrawPermission = protectedRoute(['admin'], {
  method: 'delete',
  path: '/departments/{id}/licence-types/{typeCode}/{permission}',
  tags: ['Licence types'],
  summary: 'Withdraw a right to a licence type',
  request: { params: PermissionParamSchema },
  responses: { 204: { description: 'Withdrawn' }, 404: notFound },
});

const issue = protectedRoute(['issuer'], {
  method: 'post',
  path: '/licences',
  tags: ['Licences'],
  summary: 'Issue an electronic licence: validated, numbered, rendered, sealed (PAdES, B-T by default) and stored',
  request: { headers: IdempotencyHeaderSchema, ...body(IssueLicenceSchema) },
  responses: {
    201: jsonResponse(LicenceSchema, 'The licence issued'),
    200: jsonResponse(LicenceSchema, 'Issued earlier with the same Idempotency-Key'),
    403: forbidden,
    404: notFound,
    409: conflict,
  },
});

const getLicence = protectedRoute(ANY, {
  method: 'get',
  path: '/licences/{identifier}',
  tags: ['Licences'],
  summary: 'A licence by its GB/T 36904 identifier (holder data masked without a right to the type)',
  request: { params: IdentifierParamSchema },
  responses: { 200: jsonResponse(LicenceSchema, 'The licence'), 404: notFound },
});

const byNumber = protectedRoute(ANY, {
  method: 'get',
  path: '/licences',
  tags: ['Licences'],
  summary: 'Licences by licence number (证照编号), every version',
  request: { query: z.strictObject({ licenceNumber: z.string().min(1).max(60), typeCode: z.string().length(21).optional() }) },
  responses: { 200: jsonResponse(z.object({ items: z.array(LicenceSchema) }), 'Matching licences') },
});

const byHolder = protectedRoute(ANY, {
  method: 'post',
  path: '/licences/search',
  tags: ['Licences'],
  summary: 'The "one number" lookup: licences of a holder (resident ID or credit code), for types the department has a right to',
  request: body(HolderSearchSchema),
  responses: { 200: jsonResponse(z.object({ items: z.array(LicenceSchema) }), 'Matching licences, newest first') },
});

const file = protectedRoute(ANY, {
  method: 'get',
  path: '/licences/{identifier}/file',
  tags: ['Licences'],
  summary: 'The sealed PDF as issued',
  request: { params: IdentifierParamSchema },
  responses: {
    200: { description: 'The sealed licence', content: { 'application/pdf': { schema: z.string().openapi({ format: 'binary' }) } } },
    403: forbidden,
    404: notFound,
  },
});

const history = protectedRoute(ANY, {
  method: 'get',
  path: '/licences/{identifier}/history',
  tags: ['Licences'],
  summary: 'Status history of a licence',
  request: { params: IdentifierParamSchema },
  responses: {
    200: jsonResponse(
      z.object({
        items: z.array(z.object({ action: z.string(), from: z.string().nullable(), to: z.string(), reason: z.string().nullable(), departmentId: z.string().nullable(), at: z.iso.datetime() })),
      }),
      'Events, oldest first',
    ),
    403: forbidden,
    404: notFound,
  },
});

const transition = (action: LicenceAction, path: string, summary: string) =>
  protectedRoute(['issuer'], {
    method: 'post',
    path: `/licences/{identifier}/${path}`,
    tags: ['Licences'],
    summary,
    request: { params: IdentifierParamSchema, ...body(StatusChangeSchema) },
    responses: { 200: jsonResponse(LicenceSchema, 'The licence'), 403: forbidden, 404: notFound, 409: conflict },
  });

const suspend = transition('suspend', 'suspension', 'Suspend (暂扣) a valid licence');
const resume = transition('resume', 'resumption', 'Resume a suspended licence');
const revoke = transition('revoke', 'revocation', 'Revoke (撤销) a licence');
const cancel = transition('cancel', 'cancellation', 'Cancel (注销) a licence');

const reissue = protectedRoute(['issuer'], {
  method: 'post',
  path: '/licences/{identifier}/reissue',
  tags: ['Licences'],
  summary: 'Re-issue (换发): a new version with a new identifier; the old one becomes superseded',
  request: { params: IdentifierParamSchema, headers: IdempotencyHeaderSchema, ...body(ReissueLicenceSchema) },
  responses: { 201: jsonResponse(LicenceSchema, 'The new licence'), 200: jsonResponse(LicenceSchema, 'Re-issued earlier with the same Idempotency-Key'), 403: forbidden, 404: notFound, 409: conflict },
});

const dataCheck = protectedRoute(ANY, {
  method: 'post',
  path: '/licence-checks',
  tags: ['Licences'],
  summary: 'Check licence data an accepting department already holds (result codes 0-7 as on the provincial sharing platforms)',
  description:
    '0 correct and valid, 1 correct but not yet in force, 2 correct but suspended, 3 correct but no longer valid (revoked, cancelled, expired, superseded), ' +
    '4 not enough data to check (give the identifier, or the type code and licence number), 5 no such licence, 6 no licence data given, 7 some data wrong. ' +
    'Holder data is compared, never returned.',
  request: body(
    z
      .strictObject({
        identifier: z.string().max(120).optional(),
        typeCode: z.string().length(21).optional(),
        licenceNumber: z.string().max(60).optional(),
        holderId: z.string().max(40).optional(),
        holderName: z.string().max(50).optional(),
      })
      .openapi('LicenceDataCheckRequest'),
  ),
  responses: {
    200: jsonResponse(
      z.object({
        result: z.number().int().min(0).max(7),
        message: z.string(),
        identifier: z.string().nullable(),
        status: z.string().nullable(),
        validUntil: z.string().nullable(),
      }),
      'The result',
    ),
  },
});

const statistics = protectedRoute(['admin'], {
  method: 'get',
  path: '/licence-statistics',
  tags: ['Licences'],
  summary: 'Licences by type, department, channel (electronic / with paper / digitised) and status',
  responses: { 200: jsonResponse(z.record(z.string(), z.unknown()), 'Statistics') },
});

function issuerActor(c: Context<AppEnv>): IssuerActor {
  const actor = actorOf(c);
  return { ...actor, departmentId: actor.departmentId! };
}

export function licenceRoutes(ctx: AppContext) {
  const { licences } = ctx;
  const one = (view: { licence: Parameters<typeof licenceJson>[0]; full: boolean }) => licenceJson(view.licence, !view.full);
  const changeStatus = async (c: Context<AppEnv>, action: LicenceAction, identifier: string, reason: string) =>
    licenceJson(await licences.changeStatus(issuerActor(c), identifier, action, reason), false);

  return createApiRouter()
    .openapi(listTypes, (c) => c.json({ items: licences.catalogue.list().map(licenceTypeJson) }, 200))
    .openapi(getType, (c) => c.json(licenceTypeJson(licences.catalogue.require(c.req.valid('param').code)), 200))
    .openapi(listPermissions, async (c) => {
      const items = await licences.permissions(c.req.valid('param').id);
      return c.json({ items: items.map((i) => ({ ...i, grantedAt: i.grantedAt.toISOString() })) }, 200);
    })
    .openapi(grantPermission, async (c) => {
      const { id, typeCode, permission } = c.req.valid('param');
      await licences.grantPermission(actorOf(c), id, typeCode, permission);
      return c.body(null, 204);
    })
    .openapi(withdrawPermission, async (c) => {
      const { id, typeCode, permission } = c.req.valid('param');
      await licences.withdrawPermission(actorOf(c), id, typeCode, permission);
      return c.body(null, 204);
    })
    .openapi(issue, async (c) => {
      const idempotencyKey = c.req.valid('header')['idempotency-key'];
      const { licence, replayed } = await licences.issue(issuerActor(c), { ...c.req.valid('json'), ...(idempotencyKey ? { idempotencyKey } : {}) });
      c.header('Location', `/api/v1/licences/${encodeURIComponent(licence.identifier)}`);
      return c.json(licenceJson(licence, false), replayed ? 200 : 201);
    })
    .openapi(byNumber, async (c) => {
      const { licenceNumber, typeCode } = c.req.valid('query');
      return c.json({ items: (await licences.findByNumber(issuerActor(c), licenceNumber, typeCode)).map(one) }, 200);
    })
    .openapi(byHolder, async (c) => {
      const { holderId, holderIdTypeCode, typeCode } = c.req.valid('json');
      return c.json({ items: (await licences.findByHolder(issuerActor(c), holderId, holderIdTypeCode, typeCode)).map(one) }, 200);
    })
    .openapi(getLicence, async (c) => c.json(one(await licences.get(issuerActor(c), c.req.valid('param').identifier)), 200))
    .openapi(file, async (c) => {
      const { licence, pdf } = await licences.file(issuerActor(c), c.req.valid('param').identifier);
      return c.body(new Uint8Array(pdf), 200, {
        'Content-Type': 'application/pdf',
        'Content-Disposition': `attachment; filename="${licence.identifier}.pdf"`,
        'X-Document-Sha256': licence.fileSha256,
        'Cache-Control': 'private, no-store',
      }) as never;
    })
    .openapi(history, async (c) => {
      const items = await licences.history(issuerActor(c), c.req.valid('param').identifier);
      return c.json({ items: items.map((e) => ({ ...e, at: e.at.toISOString() })) }, 200);
    })
    .openapi(suspend, async (c) => c.json(await changeStatus(c, 'suspend', c.req.valid('param').identifier, c.req.valid('json').reason), 200))
    .openapi(resume, async (c) => c.json(await changeStatus(c, 'resume', c.req.valid('param').identifier, c.req.valid('json').reason), 200))
    .openapi(revoke, async (c) => c.json(await changeStatus(c, 'revoke', c.req.valid('param').identifier, c.req.valid('json').reason), 200))
    .openapi(cancel, async (c) => c.json(await changeStatus(c, 'cancel', c.req.valid('param').identifier, c.req.valid('json').reason), 200))
    .openapi(reissue, async (c) => {
      const idempotencyKey = c.req.valid('header')['idempotency-key'];
      const { identifier } = c.req.valid('param');
      const { licence, replayed } = await licences.reissue(issuerActor(c), identifier, { ...c.req.valid('json'), ...(idempotencyKey ? { idempotencyKey } : {}) });
      c.header('Location', `/api/v1/licences/${encodeURIComponent(licence.identifier)}`);
      return c.json(licenceJson(licence, false), replayed ? 200 : 201);
    })
    .openapi(dataCheck, async (c) => c.json(await licences.checkData(c.req.valid('json')), 200))
    .openapi(statistics, async (c) => c.json(await licences.statistics(), 200));
}

