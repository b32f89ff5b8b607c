import { z } from '@hono/zod-openapi';
import { REVOCATION_REASON_NAMES, type CertificateRecord } from '../../authority/certificate.service.js';
import { toPem } from '../../pki/pem.js';
import { KEY_ALGORITHMS } from '../../signing/key-backend.js';

export const SerialParamSchema = z.object({
  serial: z
    .string()
    .regex(/^[0-9a-fA-F:]{1,59}$/, 'must be a hexadecimal serial number')
    .openapi({ param: { name: 'serial', in: 'path' }, example: '5f3a09c1d2e4b6a8c0e2f4a6b8d0e2f4' }),
});

export const CaIdParamSchema = z.object({
  caId: z.string().regex(/^[a-z][a-z0-9-]{1,40}$/, 'must be a CA id such as seal-ca').openapi({ param: { name: 'caId', in: 'path' } }),
});

export const IssueCertificateSchema = z
  .strictObject({
    caId: z.string().openapi({ example: 'seal-ca' }),
    profile: z.string().openapi({ example: 'seal' }),
    csr: z.string().max(16_384).optional().openapi({ description: 'PKCS#10 request, PEM or base64 DER' }),
    generateKey: z
      .strictObject({ algorithm: z.enum(KEY_ALGORITHMS) })
      .optional()
      .openapi({ description: "Generate the key inside the CA's key backend instead of sending a CSR" }),
    subject: z
      .record(z.string(), z.string().max(200))
      .optional()
      .openapi({ description: 'Subject attributes (C, ST, L, O, OU, CN, serialNumber); defaults to the CSR subject', example: { CN: '山西省市场监督管理局证照专用章', O: '山西省市场监督管理局', serialNumber: '14000000000001' } }),
    validityDays: z.number().int().min(1).max(36500).optional(),
  })
  .openapi('IssueCertificate');

export const RevokeSchema = z
  .strictObject({ reason: z.enum(REVOCATION_REASON_NAMES).default('unspecified') })
  .openapi('Revocation');

export const CertificateSchema = z
  .object({
    serialNumber: z.string(),
    caId: z.string(),
    profile: z.string(),
    subject: z.string(),
    notBefore: z.iso.datetime(),
    notAfter: z.iso.datetime(),
    status: z.enum(['valid', 'revoked', 'on-hold']),
    revokedAt: z.iso.datetime().nullable(),
    revocationReason: z.string().nullable(),
    fingerprintSha256: z.string(),
    keyInBackend: z.object({ backend: z.string(), alias: z.string() }).nullable(),
    pem: z.string(),
  })
  .openapi('Certificate');

export const CertificateListQuerySchema = z.strictObject({
  caId: z.string().optional(),
  status: z.enum(['valid', 'revoked', 'on-hold']).optional(),
  profile: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

export const AuthoritySchema = z
  .object({
    id: z.string(),
    issuer: z.string().nullable(),
    subject: z.string(),
    keyAlgorithm: z.string(),
    keyBackend: z.string(),
    notBefore: z.iso.datetime(),
    notAfter: z.iso.datetime(),
    pathLength: z.number().int(),
    profiles: z.array(z.string()),
    certificateUrl: z.string(),
    crlUrl: z.string(),
    createdNow: z.boolean(),
  })
  .openapi('CertificateAuthority');

export const CrlInfoSchema = z
  .object({ caId: z.string(), crlNumber: z.number().int(), thisUpdate: z.iso.datetime(), nextUpdate: z.iso.datetime(), entries: z.number().int() })
  .openapi('CrlInfo');

export function certificateJson(record: CertificateRecord): z.infer<typeof CertificateSchema> {
  const { der, ...rest } = record;
  return {
    ...rest,
    notBefore: record.notBefore.toISOString(),
    notAfter: record.notAfter.toISOString(),
    revokedAt: record.revokedAt?.toISOString() ?? null,
    pem: toPem(der, 'CERTIFICATE'),
  };
}
