import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('certificates')
    .addColumn('serial_hex', 'text', (c) => c.primaryKey().check(sql`serial_hex ~ '^[0-9a-f]+$'`))
    .addColumn('ca_id', 'text', (c) => c.notNull())
    .addColumn('profile', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('not_before', 'timestamptz', (c) => c.notNull())
    .addColumn('not_after', 'timestamptz', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('valid','revoked','on-hold')`))
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('revocation_reason', 'text')
    .addColumn('status_changed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('fingerprint_sha256', 'text', (c) => c.notNull().unique())
    .addColumn('der', 'bytea', (c) => c.notNull())
    .addColumn('key_backend', 'text')
    .addColumn('key_alias', 'text')
    .addColumn('requested_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addCheckConstraint('certificates_revocation_consistent', sql`(status = 'valid') = (revoked_at is null)`)
    .execute();
  await db.schema.createIndex('certificates_ca_status_idx').on('certificates').columns(['ca_id', 'status']).execute();
  await db.schema.createIndex('certificates_status_changed_idx').on('certificates').column('status_changed_at').execute();

  await db.schema
    .createTable('crls')
    .addColumn('ca_id', 'text', (c) => c.notNull())
    .addColumn('crl_number', 'bigint', (c) => c.notNull())
    .addColumn('this_update', 'timestamptz', (c) => c.notNull())
    .addColumn('next_update', 'timestamptz', (c) => c.notNull())
    .addColumn('entries', 'integer', (c) => c.notNull())
    .addColumn('der', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('crls_pk', ['ca_id', 'crl_number'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('crls').execute();
  await db.schema.dropTable('certificates').execute();
}
