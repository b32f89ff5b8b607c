import { z } from '@hono/zod-openapi';
import type { AppContext } from '../../context.js';
import { actorOf } from '../../http/actor.js';
import { createApiRouter, problemResponseDoc, protectedRoute } from '../../http/api-route.js';
import { uploadedPdf } from '../../http/uploaded-pdf.js';
import { SealIdParamSchema } from './seals.schemas.js';

const SealingQuerySchema = z
  .strictObject({
    level: z.enum(['B-B', 'B-T', 'B-LT', 'B-LTA']).default('B-T'),
    page: z.coerce.number().int().min(1).optional().openapi({ description: '1-based page for a visible seal; omit for an invisible signature' }),
    x: z.coerce.number().min(0).optional().openapi({ description: 'Points from the left edge to the seal' }),
    y: z.coerce.number().min(0).optional().openapi({ description: 'Points from the bottom edge to the seal' }),
    size: z.coerce.number().min(20).max(400).optional().openapi({ description: 'Seal diameter in points (default 119 = 42 mm)' }),
    reason: z.string().max(200).optional(),
    location: z.string().max(200).optional(),
    certify: z.enum(['true', 'false']).default('false').openapi({ description: 'Certification signature (DocMDP P=2); first signature only' }),
  })
  .refine((q) => q.page === undefined || (q.x !== undefined && q.y !== undefined), {
    message: 'a visible seal needs page, x and y',
    path: ['page'],
  });

const sealDocument = protectedRoute(['issuer'], {
  method: 'post',
  path: '/seals/{id}/sealing',
  tags: ['Seals'],
  summary: 'Seal a PDF (PAdES baseline, B-B to B-LTA); further seals are added by incremental update',
  description:
    'Send the PDF as the raw body (Content-Type: application/pdf) or as the `file` part of multipart/form-data. ' +
    'The response is the sealed PDF. The calling department must have been granted the seal.',
  request: {
    params: SealIdParamSchema,
    query: SealingQuerySchema,
    // Only the raw form is declared: a declared multipart body would make the framework parse
    // and validate it before us; multipart/form-data (part "file") is accepted all the same.
    body: { required: true, content: { 'application/pdf': { schema: z.string().openapi({ format: 'binary' }) } } },
  },
  responses: {
    200: { description: 'The sealed PDF', content: { 'application/pdf': { schema: z.string().openapi({ format: 'binary' }) } } },
    404: problemResponseDoc('No such seal'),
    409: problemResponseDoc('The seal is suspended, revoked or expired'),
  },
});

export function sealingRoutes(ctx: AppContext) {
  return createApiRouter().openapi(sealDocument, async (c) => {
    const { id } = c.req.valid('param');
    const query = c.req.valid('query');
    const pdf = await uploadedPdf(c.req.raw);
    const sealed = await ctx.sealing.seal(
      { ...actorOf(c), departmentId: actorOf(c).departmentId! },
      {
        sealId: id,
        pdf,
        level: query.level,
        ...(query.page !== undefined ? { placement: { page: query.page, x: query.x!, y: query.y!, size: query.size } } : {}),
        reason: query.reason,
        location: query.location,
        certify: query.certify === 'true',
      },
    );
    return c.body(new Uint8Array(sealed.pdf), 200, {
      'Content-Type': 'application/pdf',
      'Content-Disposition': `attachment; filename="sealed-${sealed.sealCode}.pdf"`,
      'X-Seal-Code': sealed.sealCode,
      'X-Document-Sha256': sealed.sha256,
      'Cache-Control': 'no-store',
    }) as never;
  });
}
