import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LicenceBatchService } from '../../src/licences/batch.service.js';
import { residentIdCheckCharacter } from '../../src/pki/resident-id.js';
import { testCreditCode } from '../support/credit-codes.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const DISABILITY = 'disability-certificate';
const rid = (n: number) => {
  const body = `1401051985${String(1 + (n % 12)).padStart(2, '0')}15${String(n % 1000).padStart(3, '0')}`;
  return body + residentIdCheckCharacter(body);
};

/** Batch digitisation of paper licences: per-row errors, resumption, idempotent submission. */
describe('licence batches', () => {
  let t: TestApp;
  let issuer: { departmentId: string; token: string };
  let typeCode: string;
  let header: string;
  let row: (n: number, overrides?: Record<string, string>) => string;

  beforeAll(async () => {
    t = await createTestApp();
    issuer = await t.departmentWithKey(['issuer'], testCreditCode(70));
    const type = t.ctx.licences.catalogue.list().find((x) => x.slug === DISABILITY)!;
    typeCode = type.code;
    await t.request('/api/v1/seals', { method: 'POST', token: t.adminToken, json: { ownerDepartmentId: issuer.departmentId, type: type.sealType } });
    await t.request(`/api/v1/departments/${issuer.departmentId}/licence-types/${typeCode}/issue`, { method: 'PUT', token: t.adminToken });
    const sample: Record<string, string> = {};
    for (const field of type.fields) {
      if (!field.required) continue;
      sample[field.key] = field.type === 'enum' ? field.options![0]! : field.type === 'date' ? '2015-03-01' : '太原市小店区长风街1号';
    }
    const columns = ['licenceNumber', 'issueDate', 'validFrom', 'holderName', 'holderId', ...Object.keys(sample)];
    header = columns.join(',');
    row = (n, overrides = {}) => {
      const values: Record<string, string> = {
        licenceNumber: `1401051985${String(n).padStart(6, '0')}`,
        issueDate: '2019-06-01',
        validFrom: '2019-06-01',
        holderName: `王${'一二三四五六七八九十'[n % 10]}`,
        holderId: rid(n),
        ...sample,
        ...overrides,
      };
      return columns.map((c) => `"${values[c]!.replaceAll('"', '""')}"`).join(',');
    };
  });

  afterAll(() => t.close());

  const submit = (body: string, type = 'text/csv', key?: string) =>
    t.request(`/api/v1/licence-batches?typeCode=${typeCode}&level=B-B`, {
      method: 'POST',
      token: issuer.token,
      headers: { 'Content-Type': type, ...(key ? { 'Idempotency-Key': key } : {}) },
      body,
    });

  async function finished(id: string) {
    for (let i = 0; i < 600; i++) {
      const job = (await (await t.request(`/api/v1/licence-batches/${id}`, { token: issuer.token })).json()) as { status: string };
      if (job.status === 'completed' || job.status === 'failed') return job as Record<string, unknown>;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('batch did not finish');
  }

  it('issues good rows and reports bad ones with their problems', async () => {
    const csv = [header, row(1), row(2, { holderId: '14010519850115001X' }), row(3), row(4, { issueDate: '2999-01-01' }), row(5)].join('\r\n');
    const res = await submit(csv);
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const job = await finished(id);
    expect(job).toMatchObject({ status: 'completed', totalRows: 5, processedRows: 5, succeededRows: 3, failedRows: 2 });
    const failed = (await (await t.request(`/api/v1/licence-batches/${id}/rows?status=failed`, { token: issuer.token })).json()) as {
      items: { row: number; errorCode: string; problems: { code: string; path: string }[] | null }[];
    };
    expect(failed.items.map((r) => [r.row, r.errorCode])).toEqual([
      [2, 'InvalidLicenceData'],
      [4, 'InvalidIssueDate'],
    ]);
    expect(failed.items[0]!.problems).toContainEqual(expect.objectContaining({ path: 'holders[0].id', code: 'resident-id-check-character' }));
    const issued = (await (await t.request(`/api/v1/licence-batches/${id}/rows?status=issued`, { token: issuer.token })).json()) as {
      items: { row: number; identifier: string }[];
    };
    expect(issued.items.map((r) => r.row)).toEqual([1, 3, 5]);
    const licence = (await (await t.request(`/api/v1/licences/${issued.items[0]!.identifier}`, { token: issuer.token })).json()) as Record<string, unknown>;
    expect(licence).toMatchObject({ channel: 'digitised', licenceNumber: '1401051985000001', issueDate: '2019-06-01', paperNumber: '1401051985000001' });
  });

  it('refuses a file whose header does not fit the type, creating no job', async () => {
    const before = await t.ctx.db.selectFrom('licence_batch_jobs').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const res = await submit(`${header},shoeSize\r\n${row(9)},42`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'MalformedBatchFile', details: { unknown: ['shoeSize'] } });
    expect((await submit('')).status).toBe(400);
    expect((await submit('{"not json', 'application/x-ndjson')).status).toBe(400);
    expect((await submit(header, 'text/plain')).status).toBe(415);
    const after = await t.ctx.db.selectFrom('licence_batch_jobs').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('takes NDJSON, with a broken line reported as a bad row', async () => {
    const line = (n: number) => {
      const [licenceNumber, issueDate, validFrom, holderName, holderId, ...rest] = row(n).split(',').map((v) => v.slice(1, -1));
      const keys = header.split(',').slice(5);
      return JSON.stringify({ licenceNumber, issueDate, validFrom, holders: [{ name: holderName, id: holderId }], fields: Object.fromEntries(keys.map((k, i) => [k, rest[i]])) });
    };
    const res = await submit([line(21), '{broken', line(22)].join('\n'), 'application/x-ndjson');
    const job = await finished(((await res.json()) as { id: string }).id);
    expect(job).toMatchObject({ status: 'completed', succeededRows: 2, failedRows: 1 });
  });

  it('resumes after a stop without issuing any row twice, and a repeated submission is the same job', async () => {
    const csv = [header, ...Array.from({ length: 8 }, (_, i) => row(40 + i))].join('\n');
    // Groups of two, so that the stop lands between groups well before the end; the file
    // stored in 100-byte chunks, so rows are read across chunk boundaries, before and after the stop.
    const runner = new LicenceBatchService(t.ctx.db, t.ctx.audit, t.ctx.clock, t.ctx.licences, t.ctx.logger, { groupSize: 2, inputChunkBytes: 100 });
    const { job } = await runner.submit({ departmentId: issuer.departmentId, keyId: null, requestId: 'test' }, { typeCode, format: 'csv', level: 'B-B', content: Buffer.from(csv), idempotencyKey: 'paper-archive-2019' });
    let seen = 0;
    const stopped = await runner.run(job.id, () => {
      if (++seen === 3) void runner.stop();
    });
    expect(stopped.status).toBe('running');
    expect(stopped.processedRows).toBeGreaterThanOrEqual(3);
    expect(stopped.processedRows).toBeLessThan(8);

    const again = await submit(csv, 'text/csv', 'paper-archive-2019');
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: string }).id).toBe(job.id);
    expect((await submit(`${csv}\n${row(99)}`, 'text/csv', 'paper-archive-2019')).status).toBe(409);

    const resumed = new LicenceBatchService(t.ctx.db, t.ctx.audit, t.ctx.clock, t.ctx.licences, t.ctx.logger, { groupSize: 2 });
    const done = await resumed.run(job.id);
    expect(done).toMatchObject({ status: 'completed', totalRows: 8, processedRows: 8, succeededRows: 8, failedRows: 0 });
    const chunks = await t.ctx.db.selectFrom('licence_batch_inputs').select('seq').where('job_id', '=', job.id).execute();
    expect(chunks.length).toBe(Math.ceil(Buffer.byteLength(csv) / 100));
    const licences = await t.ctx.db.selectFrom('licences').select('licence_number').where('batch_job_id', '=', job.id).execute();
    expect(new Set(licences.map((l) => l.licence_number)).size).toBe(8);
    expect(licences).toHaveLength(8);
  });

  it('a group with a number that is taken is issued row by row: only the repeat fails', async () => {
    const taken = await submit([header, row(300)].join('\n'));
    expect(await finished(((await taken.json()) as { id: string }).id)).toMatchObject({ status: 'completed', succeededRows: 1 });
    // Row 2 repeats row 1's paper number; row 4 is the paper licence digitised by the batch above.
    const csv = [header, row(301), row(301, { holderName: '王重复' }), row(302), row(300), row(303)].join('\n');
    const res = await submit(csv);
    const job = await finished(((await res.json()) as { id: string }).id);
    expect(job).toMatchObject({ status: 'completed', processedRows: 5, succeededRows: 3, failedRows: 2 });
    const failed = (await (await t.request(`/api/v1/licence-batches/${job.id}/rows?status=failed`, { token: issuer.token })).json()) as {
      items: { row: number; errorCode: string }[];
    };
    expect(failed.items.map((r) => [r.row, r.errorCode])).toEqual([
      [2, 'LicenceNumberTaken'],
      [4, 'LicenceNumberTaken'],
    ]);
    const licences = await t.ctx.db.selectFrom('licences').select(['licence_number', 'serial']).where('batch_job_id', '=', job.id as string).execute();
    expect(licences.map((l) => l.licence_number).sort()).toEqual([row(301), row(302), row(303)].map((r) => r.split(',')[0]!.slice(1, -1)).sort());
    expect(new Set(licences.map((l) => l.serial)).size).toBe(3);
  });

  it('stores a group in one transaction per group: every licence complete, numbered per issue year, audit chain intact', async () => {
    const before = Number((await t.ctx.db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const years = ['2017-03-01', '2019-06-01', '2017-05-02', '2018-01-09', '2019-07-01'];
    const csv = [header, ...years.map((d, i) => row(320 + i, { issueDate: d, validFrom: d })), row(330, { holderId: '14010519850115001X' })].join('\n');
    const runner = new LicenceBatchService(t.ctx.db, t.ctx.audit, t.ctx.clock, t.ctx.licences, t.ctx.logger, { groupSize: 4 });
    const { job } = await runner.submit({ departmentId: issuer.departmentId, keyId: null, requestId: 'test' }, { typeCode, format: 'csv', level: 'B-B', content: Buffer.from(csv) });
    expect(await runner.run(job.id)).toMatchObject({ status: 'completed', succeededRows: 5, failedRows: 1 });
    const licences = await t.ctx.db
      .selectFrom('licences')
      .innerJoin('licence_files', 'licence_files.licence_id', 'licences.id')
      .select(['licences.id', 'licences.serial', 'licences.issue_date', 'licences.file_sha256', 'licence_files.pdf'])
      .where('batch_job_id', '=', job.id)
      .execute();
    expect(licences).toHaveLength(5);
    for (const l of licences) {
      expect(createHash('sha256').update(l.pdf).digest('hex')).toBe(l.file_sha256);
      // The serial carries the year of the paper licence's issue date.
      expect(l.serial.slice(6, 10)).toBe(l.issue_date.slice(0, 4));
    }
    expect(new Set(licences.map((l) => l.serial)).size).toBe(5);
    const ids = licences.map((l) => l.id);
    const holders = await t.ctx.db.selectFrom('licence_holders').select('licence_id').where('licence_id', 'in', ids).execute();
    const events = await t.ctx.db.selectFrom('licence_events').select('licence_id').where('licence_id', 'in', ids).execute();
    expect(new Set(holders.map((h) => h.licence_id)).size).toBe(5);
    expect(events).toHaveLength(5);
    const uses = await t.ctx.db.selectFrom('seal_uses').select('sealed_sha256').where('sealed_sha256', 'in', licences.map((l) => l.file_sha256)).execute();
    expect(uses).toHaveLength(5);
    const after = Number((await t.ctx.db.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    // Submission, a seal use and an issuance per licence, completion.
    expect(after - before).toBe(1 + 5 * 2 + 1);
    expect(await t.ctx.audit.verifyChain()).toMatchObject({ intact: true });
  });

  it('a group whose issuing right or seal is withdrawn while it is built stores nothing', async () => {
    const actor = { departmentId: issuer.departmentId, keyId: null, requestId: 'test' };
    const csv = [header, row(340), row(341)].join('\n');
    const { job } = await t.ctx.licenceBatches.submit(actor, { typeCode, format: 'csv', level: 'B-B', content: Buffer.from(csv) });
    const keys = header.split(',').slice(5);
    const records = [340, 341].map((n) => {
      const [licenceNumber, issueDate, validFrom, holderName, holderId, ...rest] = row(n).split(',').map((v) => v.slice(1, -1));
      return { typeCode, licenceNumber: licenceNumber!, issueDate: issueDate!, validFrom: validFrom!, holders: [{ name: holderName!, id: holderId! }], fields: Object.fromEntries(keys.map((k, i) => [k, rest[i]!])) };
    });
    const built = await t.ctx.licences.buildDigitisedGroup(actor, job.id, records);
    expect(built.every((b) => 'signed' in b)).toBe(true);
    const group = built as Extract<(typeof built)[number], { signed: unknown }>[];
    const stored = async () => {
      const licences = await t.ctx.db.selectFrom('licences').select('id').where('batch_job_id', '=', job.id).execute();
      const uses = await t.ctx.db.selectFrom('seal_uses').select('id').where('sealed_sha256', 'in', group.map((b) => b.signed.sha256)).execute();
      return [licences.length, uses.length];
    };
    const permission = `/api/v1/departments/${issuer.departmentId}/licence-types/${typeCode}/issue`;
    const sealId = group[0]!.signed.sealId;

    expect((await t.request(permission, { method: 'DELETE', token: t.adminToken })).status).toBe(204);
    expect(await t.ctx.licences.storeGroup(actor, group, async () => {})).toBe('conflict');
    expect(await stored()).toEqual([0, 0]);

    await t.request(permission, { method: 'PUT', token: t.adminToken });
    expect((await t.request(`/api/v1/seals/${sealId}/suspension`, { method: 'POST', token: t.adminToken, json: {} })).status).toBe(200);
    expect(await t.ctx.licences.storeGroup(actor, group, async () => {})).toBe('conflict');
    expect(await stored()).toEqual([0, 0]);

    // Once the seal is usable again the same group is stored.
    expect((await t.request(`/api/v1/seals/${sealId}/resumption`, { method: 'POST', token: t.adminToken, json: {} })).status).toBe(200);
    expect(await t.ctx.licences.storeGroup(actor, group, async () => {})).toBe('stored');
    expect(await stored()).toEqual([2, 2]);
  });

  it('a job whose runner died is taken over once its lease lapses', async () => {
    const csv = [header, row(60), row(61)].join('\n');
    const runner = new LicenceBatchService(t.ctx.db, t.ctx.audit, t.ctx.clock, t.ctx.licences, t.ctx.logger);
    const { job } = await runner.submit({ departmentId: issuer.departmentId, keyId: null, requestId: 'test' }, { typeCode, format: 'csv', level: 'B-B', content: Buffer.from(csv) });
    // A runner that crashed holds the lease for another minute.
    await t.ctx.db.updateTable('licence_batch_jobs').set({ status: 'running', lease_until: new Date(Date.now() + 60_000) }).where('id', '=', job.id).execute();
    expect((await runner.run(job.id)).processedRows).toBe(0);
    await t.ctx.db.updateTable('licence_batch_jobs').set({ lease_until: new Date(Date.now() - 1) }).where('id', '=', job.id).execute();
    expect(await runner.run(job.id)).toMatchObject({ status: 'completed', succeededRows: 2 });
  });

  it('another department cannot read the job', async () => {
    const other = await t.departmentWithKey(['issuer'], testCreditCode(71));
    const { job } = await t.ctx.licenceBatches.submit({ departmentId: issuer.departmentId, keyId: null, requestId: 'test' }, { typeCode, format: 'csv', level: 'B-B', content: Buffer.from([header, row(80)].join('\n')) });
    expect((await t.request(`/api/v1/licence-batches/${job.id}`, { token: other.token })).status).toBe(403);
    expect((await t.request(`/api/v1/licence-batches/00000000-0000-4000-8000-000000000000`, { token: issuer.token })).status).toBe(404);
  });
});
