import type { Kysely, Transaction } from 'kysely';
import type { ApiKeysTable } from './api-keys.table.js';
import type { AuditLogTable } from './audit-log.table.js';
import type { CertificatesTable } from './certificates.table.js';
import type { CrlsTable } from './crls.table.js';
import type { SealCertificatesTable, SealGrantsTable, SealsTable, SealUsesTable } from './seals.table.js';
import type { DepartmentsTable } from './departments.table.js';
import type {
  HolderConsentsTable,
  PeerListsSeenTable,
  PeersTable,
  ShareLinksTable,
  SharingAgreementsTable,
  SharingUsageTable,
  TrustListPublicationsTable,
} from './federation.table.js';
import type {
  DepartmentLicenceTypesTable,
  LicenceBatchInputsTable,
  LicenceBatchJobsTable,
  LicenceBatchRowsTable,
  LicenceCountersTable,
  LicenceEventsTable,
  LicenceFilesTable,
  LicenceHoldersTable,
  LicencesTable,
  LicenceScansTable,
  LicenceTokenKeysTable,
} from './licences.table.js';

export interface DatabaseSchema {
  departments: DepartmentsTable;
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  certificates: CertificatesTable;
  crls: CrlsTable;
  seals: SealsTable;
  seal_certificates: SealCertificatesTable;
  seal_grants: SealGrantsTable;
  seal_uses: SealUsesTable;
  seal_code_counters: { region_id: string; last_value: number };
  department_licence_types: DepartmentLicenceTypesTable;
  licence_token_keys: LicenceTokenKeysTable;
  licences: LicencesTable;
  licence_files: LicenceFilesTable;
  licence_holders: LicenceHoldersTable;
  licence_events: LicenceEventsTable;
  licence_counters: LicenceCountersTable;
  licence_batch_jobs: LicenceBatchJobsTable;
  licence_batch_inputs: LicenceBatchInputsTable;
  licence_batch_rows: LicenceBatchRowsTable;
  licence_scans: LicenceScansTable;
  trust_list_publications: TrustListPublicationsTable;
  peers: PeersTable;
  peer_lists_seen: PeerListsSeenTable;
  sharing_agreements: SharingAgreementsTable;
  holder_consents: HolderConsentsTable;
  share_links: ShareLinksTable;
  sharing_usage: SharingUsageTable;
}

export type Database = Kysely<DatabaseSchema>;
/** Anything repositories can run SQL on: the database or an open transaction. */
export type Executor = Kysely<DatabaseSchema> | Transaction<DatabaseSchema>;
