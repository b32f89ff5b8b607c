import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

export const LICENCE_STATUSES = ['valid', 'suspended', 'revoked', 'cancelled'] as const;
/** Stored status; 'expired' (by date) and 'superseded' (re-issued) are derived when read. */
export type StoredLicenceStatus = (typeof LICENCE_STATUSES)[number];
export type LicenceChannel = 'electronic' | 'electronic-with-paper' | 'digitised';

export interface LicenceHolderRecord {
  role: string;
  name: string;
  id: string;
  idTypeCode: '111' | '001';
}

export interface LicencesTable {
  id: string;
  /** GB/T 36904 identifier 1.2.156.3005.2.<type>.<issuer>.<serial>.<version>.<check>. */
  identifier: string;
  type_code: string;
  /** The number printed on the licence (证照编号); kept across re-issues. */
  licence_number: string;
  serial: string;
  version: number;
  issuer_department_id: string;
  issuer_name: string;
  issuer_credit_code: string;
  /** The first holder's name, for listings. */
  holder_name: string;
  holders: ColumnType<LicenceHolderRecord[], string, string>;
  fields: ColumnType<Record<string, string>, string, string>;
  issue_date: string;
  valid_from: string;
  valid_until: string | null;
  issued_at: Date;
  channel: LicenceChannel;
  paper_number: string | null;
  status: StoredLicenceStatus;
  status_reason: string | null;
  status_changed_at: Date;
  supersedes: string | null;
  superseded_by: string | null;
  seal_id: string;
  seal_level: string;
  /** SHA-256 of the canonical licence content: what the QR token vouches for. */
  content_sha256: string;
  /** SHA-256 of the sealed PDF as issued. */
  file_sha256: string;
  file_size: number;
  token_kid: string;
  /** The signed token in the QR code (JWS compact); the verification address is PUBLIC_BASE_URL/v/<token>. */
  verify_token: string;
  idempotency_key: string | null;
  request_sha256: string | null;
  batch_job_id: string | null;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

export interface LicenceFilesTable {
  licence_id: string;
  pdf: Uint8Array;
}

export interface LicenceHoldersTable {
  licence_id: string;
  role: string;
  id_type_code: string;
  holder_id: string;
}

export interface LicenceEventsTable {
  id: Generated<number>;
  licence_id: string;
  action: string;
  from_status: string | null;
  to_status: string;
  reason: string | null;
  department_id: string | null;
  at: Date;
}

export interface LicenceCountersTable {
  type_code: string;
  region_id: string;
  year: number;
  last_value: number;
}

/** 'issue': may issue the type (and read its own licences in full); 'read': may see every licence of the type in full. */
export type LicenceTypePermission = 'issue' | 'read';

export interface DepartmentLicenceTypesTable {
  department_id: string;
  type_code: string;
  permission: LicenceTypePermission;
  granted_at: Date;
}

export interface LicenceTokenKeysTable {
  /** Key id: base64url of the first 8 bytes of the JWK thumbprint (RFC 7638). */
  kid: string;
  key_backend: string;
  key_alias: string;
  public_jwk: ColumnType<JsonWebKey, string, string>;
  created_at: Date;
  /** Set when a newer key took over signing; retired keys still verify older tokens. */
  retired_at: Date | null;
}

export type BatchJobStatus = 'pending' | 'running' | 'completed' | 'failed';

export interface LicenceBatchJobsTable {
  id: string;
  department_id: string;
  type_code: string;
  format: 'csv' | 'ndjson';
  level: string;
  status: BatchJobStatus;
  input_sha256: string;
  total_rows: number | null;
  processed_rows: Generated<number>;
  succeeded_rows: Generated<number>;
  failed_rows: Generated<number>;
  error: string | null;
  idempotency_key: string | null;
  lease_until: Date | null;
  created_at: ColumnType<Date, Date, never>;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
}

/** A batch file in numbered chunks, read back in order one at a time. */
export interface LicenceBatchInputsTable {
  job_id: string;
  seq: number;
  content: Uint8Array;
}

export interface LicenceBatchRowsTable {
  job_id: string;
  row_number: number;
  status: 'issued' | 'failed';
  licence_id: string | null;
  error_code: string | null;
  error_message: string | null;
  problems: ColumnType<unknown, string | null, string | null> | null;
}

export type LicenceRow = Selectable<LicencesTable>;
export type NewLicenceRow = Insertable<LicencesTable>;
export type BatchJobRow = Selectable<LicenceBatchJobsTable>;

export interface LicenceScansTable {
  id: Generated<number>;
  /** Null when the token could not be read. */
  identifier: string | null;
  outcome: string;
  at: Date;
}
