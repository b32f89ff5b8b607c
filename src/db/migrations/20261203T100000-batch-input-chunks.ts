import { type Kysely, sql } from 'kysely';

/**
 * A batch file is kept in numbered chunks (1 MiB each) rather than one value, so that running
 * a job reads it a chunk at a time: a 20 MB file read whole cost the runner several times its
 * size in memory (the bytea travels as hex text).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('licence_batch_inputs').addColumn('seq', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await sql`alter table licence_batch_inputs alter column seq drop default`.execute(db);
  await db.schema.alterTable('licence_batch_inputs').dropConstraint('licence_batch_inputs_pkey').execute();
  await db.schema.alterTable('licence_batch_inputs').addPrimaryKeyConstraint('licence_batch_inputs_pkey', ['job_id', 'seq']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Joins the chunks of each file back into one value.
  await sql`
    create table licence_batch_inputs_whole as
    select job_id, string_agg(content, ''::bytea order by seq) as content from licence_batch_inputs group by job_id
  `.execute(db);
  await db.schema.dropTable('licence_batch_inputs').execute();
  await db.schema.alterTable('licence_batch_inputs_whole').renameTo('licence_batch_inputs').execute();
  await sql`alter table licence_batch_inputs alter column content set not null`.execute(db);
  await db.schema.alterTable('licence_batch_inputs').addPrimaryKeyConstraint('licence_batch_inputs_pkey', ['job_id']).execute();
  await db.schema.alterTable('licence_batch_inputs').addForeignKeyConstraint('licence_batch_inputs_job_id_fkey', ['job_id'], 'licence_batch_jobs', ['id']).execute();
}
