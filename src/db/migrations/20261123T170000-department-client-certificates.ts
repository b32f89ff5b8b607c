import type { Kysely } from 'kysely';

/** A department-client certificate names the department it authenticates (mutual TLS). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('certificates')
    .addColumn('subject_department_id', 'uuid', (c) => c.references('departments.id'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('certificates').dropColumn('subject_department_id').execute();
}
