import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH } from '../../src/audit/audit-hash.js';
import { type Actor, AuditService } from '../../src/audit/audit.service.js';
import { ManualClock } from '../../src/clock.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';

const actor: Actor = { departmentId: null, keyId: null, requestId: 'req-1' };

describe('AuditService', () => {
  let database: TestDatabase;
  let audit: AuditService;
  const clock = new ManualClock(new Date('2026-11-23T08:00:00.123Z'));

  beforeAll(async () => {
    database = await openTestDatabase();
    audit = new AuditService(database.db, clock);
  });
  afterAll(() => database.close());

  beforeEach(async () => {
    await sql`alter table audit_log disable trigger audit_log_append_only`.execute(database.db);
    await sql`truncate audit_log`.execute(database.db);
    await sql`alter table audit_log enable trigger audit_log_append_only`.execute(database.db);
  });

  async function appendMany(n: number) {
    for (let i = 0; i < n; i++) {
      clock.advance(1000);
      await audit.record(actor, {
        action: 'department.created',
        target: { type: 'department', id: `d-${i}` },
        details: { name: `部门 ${i}`, roles: ['issuer'], nested: { b: 1, a: 2 } },
      });
    }
  }

  it('links each entry to the one before it, starting from the genesis hash', async () => {
    await appendMany(3);
    const entries = await audit.list({ afterSeq: 0, limit: 10 });
    expect(entries).toHaveLength(3);
    expect(entries[0]!.prevHash).toBe(GENESIS_HASH);
    expect(entries[1]!.prevHash).toBe(entries[0]!.hash);
    expect(entries[2]!.prevHash).toBe(entries[1]!.hash);
    expect(entries[0]!.details).toEqual({ name: '部门 0', roles: ['issuer'], nested: { a: 2, b: 1 } });
    expect(entries[0]!.requestId).toBe('req-1');
  });

  it('reports an intact chain', async () => {
    await appendMany(5);
    const report = await audit.verifyChain();
    expect(report).toMatchObject({ intact: true, entriesChecked: 5, firstBroken: null });
  });

  it('reports an empty log as intact', async () => {
    expect(await audit.verifyChain()).toMatchObject({ intact: true, entriesChecked: 0, headSeq: null, headHash: GENESIS_HASH });
  });

  it('refuses updates and deletes at the database', async () => {
    await appendMany(1);
    await expect(sql`update audit_log set action = 'x'`.execute(database.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log`.execute(database.db)).rejects.toThrow(/append-only/);
  });

  it('finds an entry edited directly in the database', async () => {
    await appendMany(5);
    const third = (await audit.list({ afterSeq: 0, limit: 10 }))[2]!;
    await sql`alter table audit_log disable trigger audit_log_append_only`.execute(database.db);
    await sql`update audit_log set details = ${JSON.stringify({ name: '伪造' })}::jsonb where seq = ${third.seq}`.execute(database.db);
    await sql`alter table audit_log enable trigger audit_log_append_only`.execute(database.db);

    const report = await audit.verifyChain();
    expect(report.intact).toBe(false);
    expect(report.firstBroken).toMatchObject({ seq: third.seq, problem: 'content-altered' });
    expect(report.entriesChecked).toBe(3);
  });

  it('finds an entry whose hash was recomputed to hide an edit', async () => {
    await appendMany(4);
    const second = (await audit.list({ afterSeq: 0, limit: 10 }))[1]!;
    await sql`alter table audit_log disable trigger audit_log_append_only`.execute(database.db);
    // An attacker who edits row 2 and fixes its own hash still breaks row 3's link.
    await sql`update audit_log set hash = ${'f'.repeat(64)} where seq = ${second.seq}`.execute(database.db);
    await sql`alter table audit_log enable trigger audit_log_append_only`.execute(database.db);
    const report = await audit.verifyChain();
    expect(report.firstBroken?.seq).toBe(second.seq);
  });

  it('finds an entry deleted from the middle', async () => {
    await appendMany(5);
    const entries = await audit.list({ afterSeq: 0, limit: 10 });
    await sql`alter table audit_log disable trigger audit_log_append_only`.execute(database.db);
    await sql`delete from audit_log where seq = ${entries[1]!.seq}`.execute(database.db);
    await sql`alter table audit_log enable trigger audit_log_append_only`.execute(database.db);
    const report = await audit.verifyChain();
    expect(report.firstBroken).toMatchObject({ seq: entries[2]!.seq, problem: 'link-broken' });
  });

  it('keeps one chain when many appends race', async () => {
    await Promise.all(
      Array.from({ length: 25 }, (_, i) => audit.record(actor, { action: 'test.race', details: { i } })),
    );
    const report = await audit.verifyChain();
    expect(report).toMatchObject({ intact: true, entriesChecked: 25 });
  });

  it('verifies across more than one batch', async () => {
    await database.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 1005; i++) await audit.append(trx, actor, { action: 'test.bulk', details: { i } });
    });
    expect(await audit.verifyChain()).toMatchObject({ intact: true, entriesChecked: 1005 });
  });

  it('writes nothing when the surrounding transaction fails', async () => {
    await expect(
      database.db.transaction().execute(async (trx) => {
        await audit.append(trx, actor, { action: 'department.created' });
        throw new Error('the change itself failed');
      }),
    ).rejects.toThrow('the change itself failed');
    expect(await audit.list({ afterSeq: 0, limit: 10 })).toEqual([]);
  });
});
