import { z } from '@hono/zod-openapi';
import type { AppContext } from '../../context.js';
import { UnsupportedMediaTypeError } from '../../errors.js';
import { actorOf, principalOf } from '../../http/actor.js';
import { createApiRouter, jsonResponse, problemResponseDoc, protectedRoute } from '../../http/api-route.js';
import type { BatchJob } from '../../licences/batch.service.js';

const FORMATS: Record<string, 'csv' | 'ndjson'> = { 'text/csv': 'csv', 'application/x-ndjson': 'ndjson' };

const BatchJobSchema = z
  .object({
    id: z.uuid(),
    typeCode: z.string(),
    format: z.enum(['csv', 'ndjson']),
    level: z.string(),
    status: z.enum(['pending', 'running', 'completed', 'failed']),
    totalRows: z.number().int().nullable().openapi({ description: 'Known once the whole file has been read' }),
    processedRows: z.number().int(),
    succeededRows: z.number().int(),
    failedRows: z.number().int(),
    error: z.string().nullable(),
    createdAt: z.iso.datetime(),
    startedAt: z.iso.datetime().nullable(),
    finishedAt: z.iso.datetime().nullable(),
    links: z.object({ self: z.string(), failedRows: z.string() }),
  })
  .openapi('LicenceBatch');

function batchJson(job: BatchJob) {
  const self = `/api/v1/licence-batches/${job.id}`;
  return {
    id: job.id,
    typeCode: job.typeCode,
    format: job.format,
    level: job.level,
    status: job.status,
    totalRows: job.totalRows,
    processedRows: job.processedRows,
    succeededRows: job.succeededRows,
    failedRows: job.failedRows,
    error: job.error,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    links: { self, failedRows: `${self}/rows?status=failed` },
  };
}

const submit = protectedRoute(['issuer'], {
  method: 'post',
  path: '/licence-batches',
  tags: ['Licence batches'],
  summary: 'Digitise paper licences of one type from a CSV or NDJSON file; runs as a job',
  description:
    'CSV: a header row with licenceNumber, issueDate, <role>Name and <role>Id per holder role (e.g. holderName, holderId), ' +
    'optional validFrom and validUntil, and the type’s field keys. NDJSON: one object per line shaped like the issue request ' +
    'plus licenceNumber and issueDate. Bad rows are reported per row; the job resumes where it stopped.',
  request: {
    query: z.strictObject({ typeCode: z.string().length(21), level: z.enum(['B-B', 'B-T', 'B-LT', 'B-LTA']).default('B-T') }),
    headers: z.object({ 'idempotency-key': z.string().regex(/^[\x21-\x7e]{1,200}$/).optional() }),
    body: {
      required: true,
      content: {
        'text/csv': { schema: z.string().openapi({ format: 'binary' }) },
        'application/x-ndjson': { schema: z.string().openapi({ format: 'binary' }) },
      },
    },
  },
  responses: {
    202: jsonResponse(BatchJobSchema, 'The job, accepted'),
    200: jsonResponse(BatchJobSchema, 'Submitted earlier with the same Idempotency-Key'),
    403: problemResponseDoc('No right to issue this licence type'),
    404: problemResponseDoc('No such licence type'),
    409: problemResponseDoc('The Idempotency-Key was used for another file'),
  },
});

const getJob = protectedRoute(['admin', 'issuer'], {
  method: 'get',
  path: '/licence-batches/{id}',
  tags: ['Licence batches'],
  summary: 'Status and progress of a batch job',
  request: { params: z.object({ id: z.uuid() }) },
  responses: { 200: jsonResponse(BatchJobSchema, 'The job'), 404: problemResponseDoc('No such job') },
});

const rows = protectedRoute(['admin', 'issuer'], {
  method: 'get',
  path: '/licence-batches/{id}/rows',
  tags: ['Licence batches'],
  summary: 'Per-row results: the licence issued, or the error with its problems',
  request: {
    params: z.object({ id: z.uuid() }),
    query: z.strictObject({
      status: z.enum(['issued', 'failed']).optional(),
      afterRow: z.coerce.number().int().min(0).default(0),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
  },
  responses: {
    200: jsonResponse(
      z.object({
        items: z.array(
          z.object({
            row: z.number().int(),
            status: z.enum(['issued', 'failed']),
            identifier: z.string().nullable(),
            errorCode: z.string().nullable(),
            message: z.string().nullable(),
            problems: z.unknown().nullable(),
          }),
        ),
      }),
      'Rows in file order',
    ),
    404: problemResponseDoc('No such job'),
  },
});

export function batchRoutes(ctx: AppContext) {
  return createApiRouter()
    .openapi(submit, async (c) => {
      const contentType = (c.req.header('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase();
      const format = FORMATS[contentType];
      if (!format) throw new UnsupportedMediaTypeError('UnsupportedMediaType', 'Send the batch as text/csv or application/x-ndjson');
      const { typeCode, level } = c.req.valid('query');
      const idempotencyKey = c.req.valid('header')['idempotency-key'];
      const content = new Uint8Array(await c.req.arrayBuffer());
      const actor = actorOf(c);
      const { job, replayed } = await ctx.licenceBatches.submit(
        { ...actor, departmentId: actor.departmentId! },
        { typeCode, format, level, content, ...(idempotencyKey ? { idempotencyKey } : {}) },
      );
      if (!replayed) ctx.licenceBatches.kick(job.id);
      c.header('Location', `/api/v1/licence-batches/${job.id}`);
      return c.json(batchJson(job), replayed ? 200 : 202);
    })
    .openapi(getJob, async (c) => {
      const job = await ctx.licenceBatches.get(actorOf(c), c.req.valid('param').id, principalOf(c).roles.includes('admin'));
      return c.json(batchJson(job), 200);
    })
    .openapi(rows, async (c) => {
      const items = await ctx.licenceBatches.rows(actorOf(c), c.req.valid('param').id, principalOf(c).roles.includes('admin'), c.req.valid('query'));
      return c.json({ items }, 200);
    });
}
