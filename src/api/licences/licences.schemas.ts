import { z } from '@hono/zod-openapi';
import type { Licence } from '../../licences/licence.service.js';
import { LICENCE_FIELD_TYPES, type LicenceType } from '../../licences/licence-type.js';

const DATE = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');
const LEVEL = z.enum(['B-B', 'B-T', 'B-LT', 'B-LTA']);

export const HolderInputSchema = z.strictObject({
  name: z.string().min(1).max(50),
  id: z.string().min(1).max(40).openapi({ description: 'Resident ID (公民身份号码) or unified social credit code, by the type’s holder kind' }),
});

export const IssueLicenceSchema = z
  .strictObject({
    typeCode: z.string().length(21),
    holders: z.array(HolderInputSchema).min(1).max(4),
    fields: z.record(z.string(), z.union([z.string().max(2000), z.number()])),
    validFrom: DATE.optional(),
    validUntil: DATE.optional(),
    paperNumber: z.string().max(40).optional().openapi({ description: 'Number of the paper licence issued alongside' }),
    level: LEVEL.default('B-T'),
    sealId: z.uuid().optional(),
  })
  .openapi('IssueLicence');

export const ReissueLicenceSchema = z
  .strictObject({
    reason: z.string().min(1).max(500),
    holders: z.array(HolderInputSchema).min(1).max(4).optional(),
    fields: z
      .record(z.string(), z.union([z.string().max(2000), z.number()]))
      .optional()
      .openapi({ description: 'Fields to change; the others keep the old licence’s values' }),
    validFrom: DATE.optional(),
    validUntil: DATE.optional(),
    level: LEVEL.default('B-T'),
    sealId: z.uuid().optional(),
  })
  .openapi('ReissueLicence');

export const StatusChangeSchema = z.strictObject({ reason: z.string().min(1).max(500) });

export const HolderSearchSchema = z
  .strictObject({
    holderId: z.string().min(1).max(40),
    holderIdTypeCode: z.enum(['111', '001']).optional(),
    typeCode: z.string().length(21).optional(),
  })
  .openapi('HolderSearch', { description: 'Holder ids are personal data: they travel in the body, never in the URL' });

export const IdentifierParamSchema = z.object({
  identifier: z.string().min(20).max(120).openapi({ param: { name: 'identifier', in: 'path' }, example: '1.2.156.3005.2.11100000000013338W001.11140000MB0000000A.14000020260000001.001.X' }),
});

export const LicenceSchema = z
  .object({
    identifier: z.string(),
    typeCode: z.string(),
    typeName: z.string(),
    licenceNumber: z.string(),
    version: z.number().int(),
    status: z.enum(['valid', 'suspended', 'revoked', 'cancelled', 'expired', 'superseded']),
    statusReason: z.string().nullable(),
    issuer: z.object({ departmentId: z.uuid(), name: z.string(), creditCode: z.string() }),
    holders: z.array(z.object({ role: z.string(), name: z.string(), idTypeCode: z.string(), id: z.string() })),
    fields: z.record(z.string(), z.string()),
    issueDate: z.string(),
    validFrom: z.string(),
    validUntil: z.string().nullable(),
    issuedAt: z.iso.datetime(),
    channel: z.enum(['electronic', 'electronic-with-paper', 'digitised']),
    paperNumber: z.string().nullable(),
    supersedes: z.string().nullable().openapi({ description: 'Identifier of the licence this one re-issued' }),
    supersededBy: z.string().nullable(),
    fileSha256: z.string(),
    sealLevel: z.string(),
    masked: z.boolean().openapi({ description: 'True when the caller has no right to the holder data: names and ids are masked, face fields withheld' }),
    links: z.object({ file: z.string(), verify: z.string().nullable() }),
  })
  .openapi('Licence');

export function licenceJson(licence: Licence, masked: boolean) {
  const base = `/api/v1/licences/${encodeURIComponent(licence.identifier)}`;
  return {
    identifier: licence.identifier,
    typeCode: licence.typeCode,
    typeName: licence.typeName,
    licenceNumber: licence.licenceNumber,
    version: licence.version,
    status: licence.status,
    statusReason: licence.statusReason,
    issuer: licence.issuer,
    holders: licence.holders,
    fields: licence.fields,
    issueDate: licence.issueDate,
    validFrom: licence.validFrom,
    validUntil: licence.validUntil,
    issuedAt: licence.issuedAt.toISOString(),
    channel: licence.channel,
    paperNumber: masked ? null : licence.paperNumber,
    supersedes: licence.supersedes,
    supersededBy: licence.supersededBy,
    fileSha256: licence.fileSha256,
    sealLevel: licence.sealLevel,
    masked,
    links: { file: `${base}/file`, verify: licence.verifyUrl || null },
  };
}

const FieldSpecSchema = z.object({
  key: z.string(),
  label: z.string(),
  labelEn: z.string(),
  type: z.enum(LICENCE_FIELD_TYPES),
  required: z.boolean(),
  maxLength: z.number().optional(),
  options: z.array(z.string()).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  printed: z.boolean().optional(),
});

export const LicenceTypeSchema = z
  .object({
    code: z.string(),
    name: z.string(),
    nameEn: z.string(),
    definingAuthority: z.object({ name: z.string(), nameEn: z.string(), creditCode: z.string() }),
    holderKind: z.enum(['person', 'organisation']),
    holderIdTypeCode: z.enum(['111', '001']),
    holderRoles: z.array(z.object({ key: z.string(), nameLabel: z.string(), nameLabelEn: z.string(), idLabel: z.string(), idLabelEn: z.string() })),
    fields: z.array(FieldSpecSchema),
    validity: z.object({ kind: z.enum(['permanent', 'fixed-term', 'given']), years: z.number().optional(), required: z.boolean().optional() }),
    sealType: z.string(),
    page: z.string(),
    note: z.string().optional(),
  })
  .openapi('LicenceType');

export function licenceTypeJson(type: LicenceType) {
  return {
    code: type.code,
    name: type.name,
    nameEn: type.nameEn,
    definingAuthority: type.definingAuthority,
    holderKind: type.holderKind,
    holderIdTypeCode: type.holderKind === 'person' ? ('111' as const) : ('001' as const),
    holderRoles: type.holderRoles,
    fields: type.fields,
    validity: type.validity,
    sealType: type.sealType,
    page: type.layout.page,
    ...(type.note ? { note: type.note } : {}),
  };
}
