import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

export const SEAL_TYPES = ['legal-name', 'licence', 'business', 'finance', 'contract', 'personal'] as const;
export type SealType = (typeof SEAL_TYPES)[number];
export type SealStatus = 'active' | 'suspended' | 'revoked';

export interface SealsTable {
  id: string;
  /** 14 digits: 6-digit administrative division code + 8-digit sequence (gb-standards.md §3.6). */
  seal_code: string;
  name: string;
  seal_type: SealType;
  organisation_name: string;
  organisation_credit_code: string;
  /** The department that owns the seal and may read its use log. */
  owner_department_id: string;
  person_name: string | null;
  valid_from: Date;
  valid_until: Date;
  status: SealStatus;
  /** The current seal certificate; earlier ones are in seal_certificates. */
  certificate_serial: string;
  key_backend: string;
  key_alias: string;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

export interface SealCertificatesTable {
  seal_id: string;
  certificate_serial: string;
  created_at: Date;
  superseded_at: Date | null;
}

export interface SealGrantsTable {
  seal_id: string;
  department_id: string;
  granted_at: Date;
}

export interface SealUsesTable {
  id: Generated<number>;
  seal_id: string;
  certificate_serial: string;
  department_id: string;
  /** SHA-256 of the document as received and as returned sealed. */
  document_sha256: string;
  sealed_sha256: string;
  level: string;
  signed_at: Date;
  request_id: string | null;
}

export type SealRow = Selectable<SealsTable>;
export type NewSealRow = Insertable<SealsTable>;
export type SealUseRow = Selectable<SealUsesTable>;
