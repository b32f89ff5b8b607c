import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { testCreditCode } from '../support/credit-codes.js';
import { childDatabase, type ChildDatabase, runCli } from '../support/processes.js';

describe('npm run cli', () => {
  let database: ChildDatabase;

  beforeAll(async () => {
    database = await childDatabase();
  });
  afterAll(() => database.close());

  it('creates a department and a key, and verifies the audit chain; then finds a tampered entry', async () => {
    const created = await runCli(
      ['departments', 'create', '--name', '山西省残疾人联合会', '--credit-code', testCreditCode(30), '--roles', 'issuer,acceptor', '--json'],
      database.env,
    );
    expect(created.code, created.stderr).toBe(0);
    const department = JSON.parse(created.stdout) as { id: string; roles: string[] };
    expect(department.roles).toEqual(['acceptor', 'issuer']);

    const issued = await runCli(['keys', 'issue', '--department', department.id, '--label', '业务系统'], database.env);
    expect(issued.code, issued.stderr).toBe(0);
    expect(issued.stdout).toMatch(/elt_[A-Za-z0-9_-]{43}/);

    const verified = await runCli(['audit', 'verify'], database.env);
    expect(verified.code).toBe(0);
    // The hierarchy's own certificates (7) are audited at first start, then our two changes.
    expect(verified.stdout).toMatch(/Audit chain intact: 9 entries/);

    await tamperFirstAuditEntry(database);
    const broken = await runCli(['audit', 'verify', '--json'], database.env);
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout)).toMatchObject({ intact: false, firstBroken: { problem: 'content-altered' } });
  });

  it('refuses bad input with exit code 2 and the error code', async () => {
    const result = await runCli(
      ['departments', 'create', '--name', 'x部门', '--credit-code', '11100000000013338X', '--roles', 'issuer'],
      database.env,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('InvalidCreditCode');
  });

  it('prints usage for an unknown command', async () => {
    const result = await runCli(['departments', 'explode'], database.env);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('Usage: npm run cli');
  });
});

async function tamperFirstAuditEntry(database: ChildDatabase): Promise<void> {
  const opened = await openDatabase(
    database.dataDir
      ? { engine: 'embedded', dataDir: database.dataDir }
      : { engine: 'postgres', url: database.env.DATABASE_URL! },
  );
  try {
    await sql`alter table audit_log disable trigger audit_log_append_only`.execute(opened.db);
    await sql`update audit_log set action = 'department.deleted' where seq = (select min(seq) from audit_log)`.execute(opened.db);
    await sql`alter table audit_log enable trigger audit_log_append_only`.execute(opened.db);
  } finally {
    await opened.close();
  }
}
