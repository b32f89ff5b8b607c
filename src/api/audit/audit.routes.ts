import { z } from '@hono/zod-openapi';
import type { AuditEntry } from '../../audit/audit.service.js';
import type { AppContext } from '../../context.js';
import { createApiRouter, protectedRoute } from '../../http/api-route.js';

const AuditEntrySchema = z
  .object({
    seq: z.number().int(),
    recordedAt: z.iso.datetime(),
    actorDepartmentId: z.uuid().nullable().openapi({ description: 'Null for actions taken at the console' }),
    actorKeyId: z.uuid().nullable(),
    action: z.string().openapi({ example: 'department.created' }),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    requestId: z.string().nullable(),
    outcome: z.enum(['success', 'rejected']),
    details: z.record(z.string(), z.unknown()),
    prevHash: z.string(),
    hash: z.string(),
  })
  .openapi('AuditEntry');

const AuditQuerySchema = z.strictObject({
  afterSeq: z.coerce.number().int().min(0).default(0).openapi({ description: 'Return entries after this sequence number' }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  targetType: z.string().max(100).optional(),
  targetId: z.string().max(200).optional(),
  action: z.string().max(100).optional(),
});

const AuditChainReportSchema = z
  .object({
    intact: z.boolean(),
    entriesChecked: z.number().int(),
    headSeq: z.number().int().nullable(),
    headHash: z.string(),
    firstBroken: z
      .object({
        seq: z.number().int(),
        problem: z.enum(['content-altered', 'link-broken']),
        message: z.string(),
      })
      .nullable(),
  })
  .openapi('AuditChainReport');

const listEntries = protectedRoute(['admin'], {
  method: 'get',
  path: '/audit-log',
  tags: ['Audit'],
  summary: 'Read the audit log in chain order',
  request: { query: AuditQuerySchema },
  responses: {
    200: {
      description: 'Entries after `afterSeq`',
      content: { 'application/json': { schema: z.object({ items: z.array(AuditEntrySchema) }) } },
    },
  },
});

const verifyChain = protectedRoute(['admin'], {
  method: 'get',
  path: '/audit-log/verification',
  tags: ['Audit'],
  summary: 'Recompute the hash chain and report the first broken entry',
  responses: {
    200: { description: 'The check result', content: { 'application/json': { schema: AuditChainReportSchema } } },
  },
});

export function auditRoutes(ctx: AppContext) {
  return createApiRouter()
    .openapi(listEntries, async (c) => {
      const entries = await ctx.audit.list(c.req.valid('query'));
      return c.json({ items: entries.map(auditEntryJson) }, 200);
    })
    .openapi(verifyChain, async (c) => c.json(await ctx.audit.verifyChain(), 200));
}

function auditEntryJson(entry: AuditEntry): z.infer<typeof AuditEntrySchema> {
  return { ...entry, recordedAt: entry.recordedAt.toISOString() };
}
