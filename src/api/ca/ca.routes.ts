import { z } from '@hono/zod-openapi';
import { authoritySummaries } from '../../authority/authority-summary.js';
import type { AppContext } from '../../context.js';
import { actorOf } from '../../http/actor.js';
import { createApiRouter, jsonResponse, problemResponseDoc, protectedRoute } from '../../http/api-route.js';
import {
  AuthoritySchema,
  CaIdParamSchema,
  CertificateListQuerySchema,
  CertificateSchema,
  certificateJson,
  CrlInfoSchema,
  IssueCertificateSchema,
  RevokeSchema,
  SerialParamSchema,
} from './ca.schemas.js';

const notFound = problemResponseDoc('No such certificate or CA');

const listAuthorities = protectedRoute(['admin'], {
  method: 'get',
  path: '/ca/authorities',
  tags: ['Certificate authority'],
  summary: "The region's CAs as declared in ca-config",
  responses: { 200: jsonResponse(z.object({ items: z.array(AuthoritySchema) }), 'CAs, root first') },
});

const publishCrl = protectedRoute(['admin'], {
  method: 'post',
  path: '/ca/authorities/{caId}/crl',
  tags: ['Certificate authority'],
  summary: 'Publish a new CRL for a CA now',
  request: { params: CaIdParamSchema },
  responses: { 201: jsonResponse(CrlInfoSchema, 'The published CRL'), 404: notFound },
});

const issueCertificate = protectedRoute(['admin'], {
  method: 'post',
  path: '/certificates',
  tags: ['Certificate authority'],
  summary: 'Issue a certificate under a profile, from a CSR or for a key generated in the backend',
  request: { body: { required: true, content: { 'application/json': { schema: IssueCertificateSchema } } } },
  responses: { 201: jsonResponse(CertificateSchema, 'The issued certificate'), 404: notFound },
});

const listCertificates = protectedRoute(['admin'], {
  method: 'get',
  path: '/certificates',
  tags: ['Certificate authority'],
  summary: 'List issued certificates, newest first',
  request: { query: CertificateListQuerySchema },
  responses: { 200: jsonResponse(z.object({ items: z.array(CertificateSchema) }), 'Certificates') },
});

const getCertificate = protectedRoute(['admin'], {
  method: 'get',
  path: '/certificates/{serial}',
  tags: ['Certificate authority'],
  summary: 'One certificate and its status',
  request: { params: SerialParamSchema },
  responses: { 200: jsonResponse(CertificateSchema, 'The certificate'), 404: notFound },
});

const statusResponses = {
  200: jsonResponse(CertificateSchema, 'The certificate'),
  404: notFound,
  409: problemResponseDoc('Not possible in its current status'),
};

const statusChange = (path: string, summary: string) =>
  protectedRoute(['admin'], {
    method: 'post',
    path,
    tags: ['Certificate authority'],
    summary,
    request: { params: SerialParamSchema },
    responses: statusResponses,
  });

const revoke = protectedRoute(['admin'], {
  method: 'post',
  path: '/certificates/{serial}/revocation',
  tags: ['Certificate authority'],
  summary: 'Revoke a certificate (RFC 5280 reason); effective in OCSP and the CRL at once',
  request: {
    params: SerialParamSchema,
    body: { required: true, content: { 'application/json': { schema: RevokeSchema } } },
  },
  responses: statusResponses,
});
const hold = statusChange('/certificates/{serial}/hold', 'Suspend a certificate (certificateHold)');
const release = statusChange('/certificates/{serial}/release', 'Lift a hold');

export function caRoutes(ctx: AppContext) {
  return createApiRouter()
    .openapi(listAuthorities, (c) => c.json({ items: authoritySummaries(ctx.hierarchy, ctx.config.publicBaseUrl) }, 200))
    .openapi(publishCrl, async (c) => {
      const crl = await ctx.crls.publish(c.req.valid('param').caId, actorOf(c));
      return c.json(
        { caId: crl.caId, crlNumber: crl.crlNumber, thisUpdate: crl.thisUpdate.toISOString(), nextUpdate: crl.nextUpdate.toISOString(), entries: crl.entries },
        201,
      );
    })
    .openapi(issueCertificate, async (c) => c.json(certificateJson(await ctx.certificates.issue(actorOf(c), c.req.valid('json'))), 201))
    .openapi(listCertificates, async (c) => {
      const items = await ctx.certificates.list(c.req.valid('query'));
      return c.json({ items: items.map(certificateJson) }, 200);
    })
    .openapi(getCertificate, async (c) => c.json(certificateJson(await ctx.certificates.get(c.req.valid('param').serial)), 200))
    .openapi(revoke, async (c) => {
      const record = await ctx.certificates.revoke(actorOf(c), c.req.valid('param').serial, c.req.valid('json').reason);
      return c.json(certificateJson(record), 200);
    })
    .openapi(hold, async (c) => c.json(certificateJson(await ctx.certificates.hold(actorOf(c), c.req.valid('param').serial)), 200))
    .openapi(release, async (c) => c.json(certificateJson(await ctx.certificates.release(actorOf(c), c.req.valid('param').serial)), 200));
}
