import type { AppContext } from '../../context.js';
import { actorOf, principalOf } from '../../http/actor.js';
import { createApiRouter, jsonResponse, problemResponseDoc, protectedRoute } from '../../http/api-route.js';
import {
  ApiKeyParamSchema,
  ApiKeySchema,
  apiKeyJson,
  CreateApiKeySchema,
  CreateDepartmentSchema,
  DepartmentIdParamSchema,
  DepartmentListQuerySchema,
  DepartmentSchema,
  departmentJson,
  IssuedApiKeySchema,
  ClientCertificateRequestSchema,
  PrincipalSchema,
  UpdateDepartmentSchema,
} from './departments.schemas.js';
import { CertificateSchema, certificateJson } from '../ca/ca.schemas.js';
import { z } from '@hono/zod-openapi';

const notFound = problemResponseDoc('No such department or key');

const createDepartment = protectedRoute(['admin'], {
  method: 'post',
  path: '/departments',
  tags: ['Departments'],
  summary: 'Register a department',
  request: { body: { required: true, content: { 'application/json': { schema: CreateDepartmentSchema } } } },
  responses: {
    201: jsonResponse(DepartmentSchema, 'The department'),
    409: problemResponseDoc('A department with this credit code exists'),
  },
});

const listDepartments = protectedRoute(['admin'], {
  method: 'get',
  path: '/departments',
  tags: ['Departments'],
  summary: 'List departments',
  request: { query: DepartmentListQuerySchema },
  responses: { 200: jsonResponse(z.object({ items: z.array(DepartmentSchema) }), 'Departments, oldest first') },
});

const getDepartment = protectedRoute(['admin'], {
  method: 'get',
  path: '/departments/{id}',
  tags: ['Departments'],
  summary: 'Get a department',
  request: { params: DepartmentIdParamSchema },
  responses: { 200: jsonResponse(DepartmentSchema, 'The department'), 404: notFound },
});

const updateDepartment = protectedRoute(['admin'], {
  method: 'patch',
  path: '/departments/{id}',
  tags: ['Departments'],
  summary: 'Disable or re-enable a department (a disabled department cannot authenticate)',
  request: {
    params: DepartmentIdParamSchema,
    body: { required: true, content: { 'application/json': { schema: UpdateDepartmentSchema } } },
  },
  responses: { 200: jsonResponse(DepartmentSchema, 'The department'), 404: notFound, 409: problemResponseDoc('Not allowed now') },
});

const issueKey = protectedRoute(['admin'], {
  method: 'post',
  path: '/departments/{id}/api-keys',
  tags: ['API keys'],
  summary: "Issue an API key for a department (the token is shown once)",
  request: {
    params: DepartmentIdParamSchema,
    body: { required: true, content: { 'application/json': { schema: CreateApiKeySchema } } },
  },
  responses: {
    201: jsonResponse(IssuedApiKeySchema, 'The key and its token'),
    404: notFound,
    409: problemResponseDoc('The department is disabled'),
  },
});

const listKeys = protectedRoute(['admin'], {
  method: 'get',
  path: '/departments/{id}/api-keys',
  tags: ['API keys'],
  summary: "List a department's API keys (never their tokens)",
  request: { params: DepartmentIdParamSchema },
  responses: { 200: jsonResponse(z.object({ items: z.array(ApiKeySchema) }), 'Keys, oldest first'), 404: notFound },
});

const revokeKey = protectedRoute(['admin'], {
  method: 'delete',
  path: '/departments/{id}/api-keys/{keyId}',
  tags: ['API keys'],
  summary: 'Revoke an API key; it stops working at once',
  request: { params: ApiKeyParamSchema },
  responses: {
    200: jsonResponse(ApiKeySchema, 'The revoked key'),
    404: notFound,
    409: problemResponseDoc('The key was already revoked'),
  },
});

const issueClientCertificate = protectedRoute(['admin'], {
  method: 'post',
  path: '/departments/{id}/client-certificates',
  tags: ['Departments'],
  summary: 'Issue a TLS client certificate (services CA) with which the department can authenticate over mutual TLS',
  request: {
    params: DepartmentIdParamSchema,
    body: { required: true, content: { 'application/json': { schema: ClientCertificateRequestSchema } } },
  },
  responses: { 201: jsonResponse(CertificateSchema, 'The certificate; revoke it like any other'), 404: notFound },
});

const whoAmI = protectedRoute(['admin', 'issuer', 'acceptor'], {
  method: 'get',
  path: '/me',
  tags: ['Departments'],
  summary: 'The department and key this request authenticates as',
  responses: { 200: jsonResponse(PrincipalSchema, 'The caller') },
});

export function departmentRoutes(ctx: AppContext) {
  return createApiRouter()
    .openapi(createDepartment, async (c) => {
      const department = await ctx.departments.create(actorOf(c), c.req.valid('json'));
      return c.json(departmentJson(department), 201);
    })
    .openapi(listDepartments, async (c) => {
      const items = await ctx.departments.list(c.req.valid('query'));
      return c.json({ items: items.map(departmentJson) }, 200);
    })
    .openapi(getDepartment, async (c) => {
      return c.json(departmentJson(await ctx.departments.get(c.req.valid('param').id)), 200);
    })
    .openapi(updateDepartment, async (c) => {
      const { id } = c.req.valid('param');
      const department = await ctx.departments.setStatus(actorOf(c), id, c.req.valid('json').status);
      return c.json(departmentJson(department), 200);
    })
    .openapi(issueKey, async (c) => {
      const { label, expiresAt } = c.req.valid('json');
      const issued = await ctx.apiKeys.issue(actorOf(c), c.req.valid('param').id, {
        label,
        expiresAt: expiresAt ? new Date(expiresAt) : null,
      });
      c.header('Cache-Control', 'no-store');
      return c.json({ key: apiKeyJson(issued.key), token: issued.token }, 201);
    })
    .openapi(listKeys, async (c) => {
      const items = await ctx.apiKeys.list(c.req.valid('param').id);
      return c.json({ items: items.map(apiKeyJson) }, 200);
    })
    .openapi(revokeKey, async (c) => {
      const { id, keyId } = c.req.valid('param');
      return c.json(apiKeyJson(await ctx.apiKeys.revoke(actorOf(c), id, keyId)), 200);
    })
    .openapi(issueClientCertificate, async (c) => {
      const { csr, validityDays } = c.req.valid('json');
      const record = await ctx.clientCertificates.issue(actorOf(c), c.req.valid('param').id, csr, validityDays);
      return c.json(certificateJson(record), 201);
    })
    .openapi(whoAmI, (c) => {
      const principal = principalOf(c);
      return c.json({ ...principal, roles: [...principal.roles] }, 200);
    });
}
