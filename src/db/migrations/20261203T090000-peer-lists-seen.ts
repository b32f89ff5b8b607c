import { type Kysely, sql } from 'kysely';

/**
 * The newest trust list accepted from each signer of each peer region, kept when the peer is
 * removed: registering the region again cannot take it back to an older list.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('peer_lists_seen')
    .addColumn('region_id', 'text', (c) => c.notNull())
    .addColumn('pinned_fingerprint', 'text', (c) => c.notNull())
    .addColumn('sequence', 'integer', (c) => c.notNull())
    .addColumn('payload_sha256', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('peer_lists_seen_pkey', ['region_id', 'pinned_fingerprint'])
    .execute();
  await sql`
    insert into peer_lists_seen (region_id, pinned_fingerprint, sequence, payload_sha256, updated_at)
    select region_id, pinned_fingerprint, sequence, encode(sha256(convert_to(split_part(jws, '.', 2), 'UTF8')), 'hex'), updated_at from peers
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('peer_lists_seen').execute();
}
