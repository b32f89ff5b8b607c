import { type Kysely, sql } from 'kysely';

/**
 * Electronic licences: which department may issue which type, the licence registry with its
 * sealed files, the status history, lookups by holder, the keys that sign QR tokens, and
 * batch digitisation jobs.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('department_licence_types')
    .addColumn('department_id', 'uuid', (c) => c.notNull().references('departments.id'))
    .addColumn('type_code', 'text', (c) => c.notNull())
    .addColumn('permission', 'text', (c) => c.notNull().check(sql`permission in ('issue','read')`))
    .addColumn('granted_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('department_licence_types_pk', ['department_id', 'type_code', 'permission'])
    .execute();

  await db.schema
    .createTable('licence_token_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('key_backend', 'text', (c) => c.notNull())
    .addColumn('key_alias', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('retired_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('licence_batch_jobs')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('department_id', 'uuid', (c) => c.notNull().references('departments.id'))
    .addColumn('type_code', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull().check(sql`format in ('csv','ndjson')`))
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending','running','completed','failed')`))
    .addColumn('input_sha256', 'text', (c) => c.notNull())
    .addColumn('total_rows', 'integer')
    .addColumn('processed_rows', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('succeeded_rows', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failed_rows', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .addColumn('idempotency_key', 'text')
    .addColumn('lease_until', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('licence_batch_jobs_idempotency', ['department_id', 'idempotency_key'])
    .execute();
  await db.schema
    .createTable('licence_batch_inputs')
    .addColumn('job_id', 'uuid', (c) => c.primaryKey().references('licence_batch_jobs.id'))
    .addColumn('content', 'bytea', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('licences')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('identifier', 'text', (c) => c.notNull().unique())
    .addColumn('type_code', 'text', (c) => c.notNull())
    .addColumn('licence_number', 'text', (c) => c.notNull())
    .addColumn('serial', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version between 1 and 999`))
    .addColumn('issuer_department_id', 'uuid', (c) => c.notNull().references('departments.id'))
    .addColumn('issuer_name', 'text', (c) => c.notNull())
    .addColumn('issuer_credit_code', 'text', (c) => c.notNull())
    .addColumn('holder_name', 'text', (c) => c.notNull())
    .addColumn('holders', 'jsonb', (c) => c.notNull())
    .addColumn('fields', 'jsonb', (c) => c.notNull())
    .addColumn('issue_date', 'text', (c) => c.notNull().check(sql`issue_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'`))
    .addColumn('valid_from', 'text', (c) => c.notNull().check(sql`valid_from ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'`))
    .addColumn('valid_until', 'text', (c) => c.check(sql`valid_until ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'`))
    .addColumn('issued_at', 'timestamptz', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('electronic','electronic-with-paper','digitised')`))
    .addColumn('paper_number', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('valid','suspended','revoked','cancelled')`))
    .addColumn('status_reason', 'text')
    .addColumn('status_changed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('supersedes', 'text', (c) => c.references('licences.identifier'))
    .addColumn('superseded_by', 'text', (c) => c.references('licences.identifier'))
    .addColumn('seal_id', 'uuid', (c) => c.notNull().references('seals.id'))
    .addColumn('seal_level', 'text', (c) => c.notNull())
    .addColumn('content_sha256', 'text', (c) => c.notNull())
    .addColumn('file_sha256', 'text', (c) => c.notNull())
    .addColumn('file_size', 'integer', (c) => c.notNull())
    .addColumn('token_kid', 'text', (c) => c.notNull().references('licence_token_keys.kid'))
    .addColumn('verify_token', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text')
    .addColumn('request_sha256', 'text')
    .addColumn('batch_job_id', 'uuid', (c) => c.references('licence_batch_jobs.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('licences_number_version', ['type_code', 'licence_number', 'version'])
    .addUniqueConstraint('licences_idempotency', ['issuer_department_id', 'idempotency_key'])
    .execute();
  await db.schema.createIndex('licences_issuer_idx').on('licences').columns(['issuer_department_id', 'created_at']).execute();
  await db.schema.createIndex('licences_number_idx').on('licences').column('licence_number').execute();

  await db.schema
    .createTable('licence_files')
    .addColumn('licence_id', 'uuid', (c) => c.primaryKey().references('licences.id'))
    .addColumn('pdf', 'bytea', (c) => c.notNull())
    .execute();

  // Holder ids live here (and in licences.holders) for the "one number" lookup; they never go to URLs or logs.
  await db.schema
    .createTable('licence_holders')
    .addColumn('licence_id', 'uuid', (c) => c.notNull().references('licences.id'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('id_type_code', 'text', (c) => c.notNull())
    .addColumn('holder_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('licence_holders_pk', ['licence_id', 'role'])
    .execute();
  await db.schema.createIndex('licence_holders_lookup_idx').on('licence_holders').columns(['holder_id', 'id_type_code']).execute();

  await db.schema
    .createTable('licence_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('licence_id', 'uuid', (c) => c.notNull().references('licences.id'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('department_id', 'uuid', (c) => c.references('departments.id'))
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('licence_events_licence_idx').on('licence_events').columns(['licence_id', 'id']).execute();

  // One counter per licence type, region and year: the sequence in licence numbers and identifier serials.
  await db.schema
    .createTable('licence_counters')
    .addColumn('type_code', 'text', (c) => c.notNull())
    .addColumn('region_id', 'text', (c) => c.notNull())
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('last_value', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('licence_counters_pk', ['type_code', 'region_id', 'year'])
    .execute();

  // A QR scan of the public check page: which licence and what the page said, nothing about who scanned.
  await db.schema
    .createTable('licence_scans')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('identifier', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('licence_scans_identifier_idx').on('licence_scans').columns(['identifier', 'at']).execute();

  await db.schema
    .createTable('licence_batch_rows')
    .addColumn('job_id', 'uuid', (c) => c.notNull().references('licence_batch_jobs.id'))
    .addColumn('row_number', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('issued','failed')`))
    .addColumn('licence_id', 'uuid', (c) => c.references('licences.id'))
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('problems', 'jsonb')
    .addPrimaryKeyConstraint('licence_batch_rows_pk', ['job_id', 'row_number'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'licence_batch_rows',
    'licence_scans',
    'licence_counters',
    'licence_events',
    'licence_holders',
    'licence_files',
    'licences',
    'licence_batch_inputs',
    'licence_batch_jobs',
    'licence_token_keys',
    'department_licence_types',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
