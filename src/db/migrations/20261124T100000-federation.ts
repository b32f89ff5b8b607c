import { type Kysely, sql } from 'kysely';

/**
 * Mutual recognition between regions: this region's published trust lists, the peer regions
 * it recognises, sharing agreements, holder consents, one-time download links and the usage
 * records both sides keep.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('trust_list_publications')
    .addColumn('sequence', 'integer', (c) => c.primaryKey())
    .addColumn('issued_at', 'timestamptz', (c) => c.notNull())
    .addColumn('next_update', 'timestamptz', (c) => c.notNull())
    .addColumn('content_sha256', 'text', (c) => c.notNull())
    .addColumn('jws', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('peers')
    .addColumn('region_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('pinned_fingerprint', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active','stale')`))
    .addColumn('sequence', 'integer', (c) => c.notNull())
    .addColumn('jws', 'text', (c) => c.notNull())
    .addColumn('next_update', 'timestamptz', (c) => c.notNull())
    .addColumn('fetched_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_attempt_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();

  // What a peer region's departments may ask for: a type, for one department (credit code) or all ('*').
  await db.schema
    .createTable('sharing_agreements')
    .addColumn('peer_region_id', 'text', (c) => c.notNull().references('peers.region_id'))
    .addColumn('department_credit_code', 'text', (c) => c.notNull())
    .addColumn('type_code', 'text', (c) => c.notNull())
    .addColumn('legal_basis', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('sharing_agreements_pk', ['peer_region_id', 'department_credit_code', 'type_code'])
    .execute();

  // A holder's authorisation code for one licence: stored as a hash, single use, short-lived.
  await db.schema
    .createTable('holder_consents')
    .addColumn('code_sha256', 'text', (c) => c.primaryKey())
    .addColumn('licence_id', 'uuid', (c) => c.notNull().references('licences.id'))
    .addColumn('purpose', 'text')
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('share_links')
    .addColumn('token_sha256', 'text', (c) => c.primaryKey())
    .addColumn('licence_id', 'uuid', (c) => c.notNull().references('licences.id'))
    .addColumn('usage_id', 'bigint', (c) => c.notNull())
    .addColumn('pdf', 'bytea', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();

  // Both sides keep one: 'provided' in the holder's region, 'received' in the requesting one.
  await db.schema
    .createTable('sharing_usage')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('direction', 'text', (c) => c.notNull().check(sql`direction in ('provided','received')`))
    .addColumn('peer_region_id', 'text', (c) => c.notNull())
    .addColumn('department_credit_code', 'text', (c) => c.notNull())
    .addColumn('department_name', 'text', (c) => c.notNull())
    .addColumn('licence_identifier', 'text')
    .addColumn('type_code', 'text')
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('consent', 'text')
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sharing_usage_licence_idx').on('sharing_usage').columns(['licence_identifier', 'at']).execute();
  await db.schema.createIndex('sharing_usage_request_idx').on('sharing_usage').columns(['peer_region_id', 'request_id']).unique().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['sharing_usage', 'share_links', 'holder_consents', 'sharing_agreements', 'peers', 'trust_list_publications']) {
    await db.schema.dropTable(table).execute();
  }
}
