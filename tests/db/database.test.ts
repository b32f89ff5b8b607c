import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase } from '../../src/db/database.js';
import { migrationProvider } from '../../src/db/migrations/index.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';

describe('embedded database folder', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'elt-embedded-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('persists across reopening and refuses a second opener while in use', async () => {
    const first = await openDatabase({ engine: 'embedded', dataDir: dir });
    await first.db
      .insertInto('departments')
      .values({
        id: '00000000-0000-4000-8000-000000000001',
        name: '测试',
        credit_code: null,
        region_id: '140000',
        roles: ['admin'],
        created_at: new Date(),
        updated_at: new Date(),
      })
      .execute();

    await expect(openDatabase({ engine: 'embedded', dataDir: dir })).rejects.toMatchObject({ code: 'DatabaseLocked' });
    await first.close();

    const second = await openDatabase({ engine: 'embedded', dataDir: dir });
    const rows = await second.db.selectFrom('departments').select(['name', 'roles']).execute();
    expect(rows).toEqual([{ name: '测试', roles: ['admin'] }]);
    await second.close();
  });
});

describe('migrations', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(() => database.close());

  it('are recorded and idempotent', async () => {
    await migrateToLatest(database.db);
    const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(database.db);
    expect(rows.map((r) => r.name)).toEqual([
      '20261123T142000-foundation',
      '20261123T150000-certificate-authority',
      '20261123T160000-seals',
      '20261123T170000-department-client-certificates',
      '20261124T090000-licences',
      '20261124T100000-federation',
      '20261203T090000-peer-lists-seen',
      '20261203T100000-batch-input-chunks',
    ]);
  });

  it('carry the list of each peer already registered into peer_lists_seen', async () => {
    const migrator = new Migrator({ db: database.db, provider: migrationProvider });
    expect((await migrator.migrateTo('20261124T100000-federation')).error).toBeUndefined();
    const at = new Date('2026-11-30T08:00:00Z');
    await sql`insert into peers (region_id, name, url, pinned_fingerprint, status, sequence, jws, next_update, fetched_at, last_attempt_at, created_at, updated_at)
      values ('410000', '河南省', 'https://henan.example/trust-list', ${'ab'.repeat(32)}, 'active', 7, 'aGVhZGVy.cGF5bG9hZA.c2ln', ${at}, ${at}, ${at}, ${at}, ${at})`.execute(database.db);
    await migrateToLatest(database.db);
    const seen = await database.db.selectFrom('peer_lists_seen').selectAll().execute();
    expect(seen).toEqual([
      { region_id: '410000', pinned_fingerprint: 'ab'.repeat(32), sequence: 7, payload_sha256: createHash('sha256').update('cGF5bG9hZA').digest('hex'), updated_at: at },
    ]);
    await database.db.deleteFrom('peer_lists_seen').execute();
    await database.db.deleteFrom('peers').execute();
  });

  it('enforce the department rules in the schema too', async () => {
    const insert = (values: Record<string, unknown>) =>
      sql`insert into departments (id, name, region_id, roles, created_at, updated_at)
          values (gen_random_uuid(), 'x', ${values.region ?? '140000'}, ${values.roles ?? ['admin']}::text[], now(), now())`.execute(database.db);
    await expect(insert({ roles: ['root'] })).rejects.toThrow();
    await expect(insert({ roles: [] })).rejects.toThrow();
    await expect(insert({ region: '14' })).rejects.toThrow();
  });

  it('return int8 values as numbers on both engines', async () => {
    const { rows } = await sql<{ n: unknown }>`select 9007199254740991::int8 as n`.execute(database.db);
    expect(rows[0]!.n).toBe(9007199254740991);
  });
});
