import type { Migration, MigrationProvider } from 'kysely';
import * as foundation from './20261123T142000-foundation.js';
import * as certificateAuthority from './20261123T150000-certificate-authority.js';
import * as seals from './20261123T160000-seals.js';
import * as departmentClientCertificates from './20261123T170000-department-client-certificates.js';
import * as licences from './20261124T090000-licences.js';
import * as federation from './20261124T100000-federation.js';
import * as peerListsSeen from './20261203T090000-peer-lists-seen.js';
import * as batchInputChunks from './20261203T100000-batch-input-chunks.js';

/**
 * Every migration, by timestamped name. Listed statically (not read from disk) so that the
 * same set runs under tsx, a bundler or a compiled build, on PostgreSQL and on PGlite alike.
 */
const migrations: Record<string, Migration> = {
  '20261123T142000-foundation': foundation,
  '20261123T150000-certificate-authority': certificateAuthority,
  '20261123T160000-seals': seals,
  '20261123T170000-department-client-certificates': departmentClientCertificates,
  '20261124T090000-licences': licences,
  '20261124T100000-federation': federation,
  '20261203T090000-peer-lists-seen': peerListsSeen,
  '20261203T100000-batch-input-chunks': batchInputChunks,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
