import { z } from '@hono/zod-openapi';
import type { AppContext } from '../../context.js';
import { createApiRouter, jsonResponse, problemResponseDoc, protectedRoute } from '../../http/api-route.js';
import { uploadedPdf } from '../../http/uploaded-pdf.js';

const VerificationSchema = z
  .object({
    verdict: z.enum(['valid', 'not-valid', 'indeterminate']),
    reasons: z.array(z.string()),
    report: z.record(z.string(), z.unknown()).openapi({
      description:
        'ETSI EN 319 102-1 style report: indication PASSED/FAILED/INDETERMINATE with sub-indication, and per signature the signer and seal, chain and trust anchor, timestamps, revocation at signing and now, level reached, coverage and changes after signing',
    }),
    licence: z
      .object({
        identifier: z.string(),
        known: z.boolean(),
        status: z.string().nullable(),
        typeName: z.string().nullable(),
        issuer: z.string().nullable(),
        supersededBy: z.string().nullable(),
        file: z.enum(['identical', 'extended', 'different']).nullable(),
      })
      .nullable(),
  })
  .openapi('Verification');

const verify = protectedRoute(['admin', 'issuer', 'acceptor'], {
  method: 'post',
  path: '/verify',
  tags: ['Verification'],
  summary: 'Validate a signed PDF (ours or anyone’s); for our licences also the registry status and whether it is the file issued',
  description:
    'Send the PDF as the raw body (application/pdf) or as the `file` part of multipart/form-data. A bad signature is a 200 with a FAILED or ' +
    'INDETERMINATE report; only input that is not a usable PDF (not a PDF, truncated, encrypted, too large) is a 4xx.',
  request: { body: { required: true, content: { 'application/pdf': { schema: z.string().openapi({ format: 'binary' }) } } } },
  responses: { 200: jsonResponse(VerificationSchema, 'The verification'), 413: problemResponseDoc('Larger than MAX_DOCUMENT_BYTES') },
});

export function verifyRoutes(ctx: AppContext) {
  return createApiRouter().openapi(verify, async (c) => {
    const result = await ctx.verification.verify(await uploadedPdf(c.req.raw));
    return c.json(result as never, 200, { 'Cache-Control': 'no-store' });
  });
}
