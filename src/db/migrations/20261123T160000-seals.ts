import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('seals')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('seal_code', 'text', (c) => c.notNull().unique().check(sql`seal_code ~ '^[0-9]{14}$'`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('seal_type', 'text', (c) =>
      c.notNull().check(sql`seal_type in ('legal-name','licence','business','finance','contract','personal')`),
    )
    .addColumn('organisation_name', 'text', (c) => c.notNull())
    .addColumn('organisation_credit_code', 'text', (c) => c.notNull())
    .addColumn('owner_department_id', 'uuid', (c) => c.notNull().references('departments.id'))
    .addColumn('person_name', 'text')
    .addColumn('valid_from', 'timestamptz', (c) => c.notNull())
    .addColumn('valid_until', 'timestamptz', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active','suspended','revoked')`))
    .addColumn('certificate_serial', 'text', (c) => c.notNull().references('certificates.serial_hex'))
    .addColumn('key_backend', 'text', (c) => c.notNull())
    .addColumn('key_alias', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addCheckConstraint('seals_personal_has_person', sql`(seal_type = 'personal') = (person_name is not null)`)
    .execute();
  await db.schema.createIndex('seals_owner_idx').on('seals').column('owner_department_id').execute();

  await db.schema
    .createTable('seal_certificates')
    .addColumn('seal_id', 'uuid', (c) => c.notNull().references('seals.id'))
    .addColumn('certificate_serial', 'text', (c) => c.notNull().references('certificates.serial_hex'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('superseded_at', 'timestamptz')
    .addPrimaryKeyConstraint('seal_certificates_pk', ['seal_id', 'certificate_serial'])
    .execute();

  await db.schema
    .createTable('seal_grants')
    .addColumn('seal_id', 'uuid', (c) => c.notNull().references('seals.id'))
    .addColumn('department_id', 'uuid', (c) => c.notNull().references('departments.id'))
    .addColumn('granted_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('seal_grants_pk', ['seal_id', 'department_id'])
    .execute();

  await db.schema
    .createTable('seal_uses')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('seal_id', 'uuid', (c) => c.notNull().references('seals.id'))
    .addColumn('certificate_serial', 'text', (c) => c.notNull())
    .addColumn('department_id', 'uuid', (c) => c.notNull().references('departments.id'))
    .addColumn('document_sha256', 'text', (c) => c.notNull())
    .addColumn('sealed_sha256', 'text', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('signed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .execute();
  await db.schema.createIndex('seal_uses_seal_idx').on('seal_uses').columns(['seal_id', 'id']).execute();

  // One counter per region: the 8-digit sequence of seal codes (gaps after a failed creation are fine).
  await db.schema
    .createTable('seal_code_counters')
    .addColumn('region_id', 'text', (c) => c.primaryKey())
    .addColumn('last_value', 'integer', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['seal_code_counters', 'seal_uses', 'seal_grants', 'seal_certificates', 'seals']) {
    await db.schema.dropTable(table).execute();
  }
}
