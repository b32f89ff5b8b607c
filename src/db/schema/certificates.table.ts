import type { ColumnType, Insertable, Selectable } from 'kysely';

export type CertificateStatus = 'valid' | 'revoked' | 'on-hold';

export interface CertificatesTable {
  /** Lower-case hex of the DER INTEGER contents; unique across all of this region's CAs. */
  serial_hex: string;
  ca_id: string;
  /** 'ca' for CA certificates, otherwise the ca-config profile name. */
  profile: string;
  subject: string;
  not_before: Date;
  not_after: Date;
  status: CertificateStatus;
  revoked_at: Date | null;
  revocation_reason: string | null;
  /** When status last changed; OCSP caches on other instances watch it. */
  status_changed_at: Date;
  fingerprint_sha256: string;
  der: ColumnType<Uint8Array, Uint8Array, never>;
  /** Set when the key was generated in a key backend rather than sent as a CSR. */
  key_backend: string | null;
  key_alias: string | null;
  requested_by: string | null;
  /** For department-client certificates: the department the certificate authenticates. */
  subject_department_id: ColumnType<string | null, string | null | undefined, never>;
  created_at: ColumnType<Date, Date, never>;
}

export type CertificateRow = Selectable<CertificatesTable>;
export type NewCertificateRow = Insertable<CertificatesTable>;
