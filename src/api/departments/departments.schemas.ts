import { z } from '@hono/zod-openapi';
import { DEPARTMENT_ROLES } from '../../db/schema/departments.table.js';
import type { ApiKey } from '../../departments/api-key.service.js';
import type { Department } from '../../departments/department.service.js';

export const RoleSchema = z.enum(DEPARTMENT_ROLES).openapi({
  description: 'admin: operates the service; issuer: issues licences; acceptor: verifies and receives shared licences',
});

export const DepartmentIdParamSchema = z.object({
  id: z.uuid({ error: 'must be a department id (UUID)' }).openapi({ param: { name: 'id', in: 'path' } }),
});

export const ApiKeyParamSchema = DepartmentIdParamSchema.extend({
  keyId: z.uuid({ error: 'must be an API key id (UUID)' }).openapi({ param: { name: 'keyId', in: 'path' } }),
});

export const CreateDepartmentSchema = z
  .strictObject({
    name: z.string().trim().min(2, 'must have at least 2 characters').max(200, 'must have at most 200 characters'),
    creditCode: z
      .string()
      .trim()
      .toUpperCase()
      .openapi({ description: 'Unified social credit code (GB 32100), check character verified', example: '11140000012345678X' }),
    regionId: z
      .string()
      .regex(/^\d{6}$/, 'must be a 6-digit administrative division code (GB/T 2260)')
      .optional()
      .openapi({ description: "Defaults to this deployment's REGION_ID", example: '140100' }),
    roles: z.array(RoleSchema).min(1, 'must name at least one role').max(3),
  })
  .openapi('CreateDepartment');

export const UpdateDepartmentSchema = z
  .strictObject({ status: z.enum(['active', 'disabled']) })
  .openapi('UpdateDepartment');

export const DepartmentListQuerySchema = z.strictObject({
  role: RoleSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

export const DepartmentSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    creditCode: z.string().nullable(),
    regionId: z.string(),
    roles: z.array(RoleSchema),
    status: z.enum(['active', 'disabled']),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Department');

export const CreateApiKeySchema = z
  .strictObject({
    label: z.string().trim().min(1, 'must not be empty').max(200, 'must have at most 200 characters'),
    expiresAt: z.iso
      .datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2027-01-01T00:00:00+08:00' })
      .optional(),
  })
  .openapi('CreateApiKey');

export const ApiKeySchema = z
  .object({
    id: z.uuid(),
    departmentId: z.uuid(),
    label: z.string(),
    prefix: z.string().openapi({ description: 'First characters of the token, to tell keys apart' }),
    status: z.enum(['active', 'revoked', 'expired']),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().nullable(),
    revokedAt: z.iso.datetime().nullable(),
    lastUsedAt: z.iso.datetime().nullable().openapi({ description: 'Updated at most once a minute' }),
  })
  .openapi('ApiKey');

export const IssuedApiKeySchema = z
  .object({
    key: ApiKeySchema,
    token: z.string().openapi({ description: 'The bearer token. Shown only in this response; store it now.' }),
  })
  .openapi('IssuedApiKey');

export const PrincipalSchema = z
  .object({
    departmentId: z.uuid(),
    departmentName: z.string(),
    regionId: z.string(),
    roles: z.array(RoleSchema),
    keyId: z.uuid().nullable().openapi({ description: 'The API key used; null over mutual TLS' }),
    certificateSerial: z.string().nullable().openapi({ description: 'The TLS client certificate used; null with an API key' }),
  })
  .openapi('Principal');

export const ClientCertificateRequestSchema = z
  .strictObject({
    csr: z.string().max(16_384).openapi({ description: "PKCS#10 request (PEM or base64 DER) made with the department's own key" }),
    validityDays: z.number().int().min(1).max(825).optional(),
  })
  .openapi('ClientCertificateRequest');

export function departmentJson(d: Department): z.infer<typeof DepartmentSchema> {
  return { ...d, createdAt: d.createdAt.toISOString(), updatedAt: d.updatedAt.toISOString() };
}

export function apiKeyJson(k: ApiKey): z.infer<typeof ApiKeySchema> {
  return {
    ...k,
    createdAt: k.createdAt.toISOString(),
    expiresAt: k.expiresAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  };
}
