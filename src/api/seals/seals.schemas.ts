import { z } from '@hono/zod-openapi';
import { SEAL_TYPES } from '../../db/schema/seals.table.js';
import type { Seal } from '../../seals/seal.service.js';
import { KEY_ALGORITHMS } from '../../signing/key-backend.js';

export const SealIdParamSchema = z.object({
  id: z.uuid({ error: 'must be a seal id (UUID)' }).openapi({ param: { name: 'id', in: 'path' } }),
});

export const SealGrantParamSchema = SealIdParamSchema.extend({
  departmentId: z.uuid({ error: 'must be a department id (UUID)' }).openapi({ param: { name: 'departmentId', in: 'path' } }),
});

export const CreateSealSchema = z
  .strictObject({
    ownerDepartmentId: z.uuid(),
    type: z.enum(SEAL_TYPES).openapi({ description: 'legal-name 法定名称章, licence 证照专用章, business 业务专用章, finance 财务专用章, contract 合同专用章, personal 个人名章' }),
    organisationName: z.string().trim().min(2).max(60).optional(),
    organisationCreditCode: z.string().trim().toUpperCase().optional(),
    personName: z.string().trim().min(1).max(20).optional(),
    name: z.string().trim().min(2).max(64).optional(),
    validityDays: z.number().int().min(1).max(1825).optional(),
    keyAlgorithm: z.enum(KEY_ALGORITHMS).optional(),
  })
  .openapi('CreateSeal');

export const SealSchema = z
  .object({
    id: z.uuid(),
    sealCode: z.string().openapi({ example: '14000000000001' }),
    name: z.string().openapi({ example: '山西省市场监督管理局证照专用章' }),
    type: z.enum(SEAL_TYPES),
    organisationName: z.string(),
    organisationCreditCode: z.string(),
    ownerDepartmentId: z.uuid(),
    personName: z.string().nullable(),
    validFrom: z.iso.datetime(),
    validUntil: z.iso.datetime(),
    status: z.enum(['active', 'suspended', 'revoked', 'expired']),
    certificateSerial: z.string(),
  })
  .openapi('Seal');

export const SealRevocationSchema = z
  .strictObject({ reason: z.enum(['keyCompromise', 'cessationOfOperation', 'affiliationChanged', 'unspecified']).default('unspecified') })
  .openapi('SealRevocation');

export const SealSuspensionSchema = z.strictObject({ reason: z.string().max(200).optional() }).openapi('SealSuspension');

export const SealUseSchema = z
  .object({
    id: z.number().int(),
    certificateSerial: z.string(),
    departmentId: z.uuid(),
    documentSha256: z.string(),
    sealedSha256: z.string(),
    level: z.string(),
    signedAt: z.iso.datetime(),
    requestId: z.string().nullable(),
  })
  .openapi('SealUse');

export function sealJson(seal: Seal): z.infer<typeof SealSchema> {
  return { ...seal, validFrom: seal.validFrom.toISOString(), validUntil: seal.validUntil.toISOString() };
}
