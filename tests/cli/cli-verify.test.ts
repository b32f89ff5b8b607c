import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleLicence, shippedCatalogue } from '../licences/licence-fixtures.js';
import { testCreditCode } from '../support/credit-codes.js';
import { type ChildDatabase, childDatabase, type RunningService, runCli, startService } from '../support/processes.js';

const ADMIN_TOKEN = 'cli-verify-admin-token-0123456789abcdefghijklmnop';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * `npm run cli -- verify` beside a running service: on PostgreSQL it opens the database like
 * the service; on the embedded database (held by the service) it checks against the region's
 * certificates in KEYS_DIR and the service's OCSP responder. Exit codes 0 / 1 / 2.
 */
describe('cli verify with the service running', () => {
  let database: ChildDatabase;
  let service: RunningService;
  let env: Record<string, string>;
  let dir: string;
  let good: string;
  let tampered: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'elt-cli-verify-'));
    database = await childDatabase();
    const port = await freePort();
    env = { ...database.env, PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, ADMIN_TOKEN, KEYS_PASSPHRASE: 'cli-verify-passphrase-0123' };
    service = await startService(env);
    const call = async (method: string, url: string, token: string, body?: unknown) => {
      const res = await fetch(`${service.baseUrl}${url}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
      return res;
    };
    const department = (await (await call('POST', '/api/v1/departments', ADMIN_TOKEN, { name: '命令行核验测试局', creditCode: testCreditCode(160), roles: ['issuer'] })).json()) as { id: string };
    const key = (await (await call('POST', `/api/v1/departments/${department.id}/api-keys`, ADMIN_TOKEN, { label: 'cli' })).json()) as { token: string };
    const type = shippedCatalogue.list().find((t) => t.slug === 'disability-certificate')!;
    await call('POST', '/api/v1/seals', ADMIN_TOKEN, { ownerDepartmentId: department.id, type: type.sealType });
    await call('PUT', `/api/v1/departments/${department.id}/licence-types/${type.code}/issue`, ADMIN_TOKEN);
    const licence = (await (await call('POST', '/api/v1/licences', key.token, { ...sampleLicence(type, 7), level: 'B-T' })).json()) as { links: { file: string } };
    const pdf = Buffer.from(await (await call('GET', licence.links.file, key.token)).arrayBuffer());
    good = path.join(dir, 'good.pdf');
    await writeFile(good, pdf);
    const bad = Buffer.from(pdf);
    const at = bad.indexOf('/MediaBox');
    bad[at + 1] = 'm'.charCodeAt(0);
    tampered = path.join(dir, 'tampered.pdf');
    await writeFile(tampered, bad);
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await database?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('says valid with exit code 0 for the issued licence', async () => {
    const result = await runCli(['verify', good], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/VALID \(PASSED\)/);
    if (database.dataDir) expect(result.stderr).toContain('The service holds the embedded database');
    else expect(result.stdout).toMatch(/licence 1\.2\.156\.3005\.2\..*valid/);
  }, 60_000);

  it('says not valid with exit code 1 for a tampered copy, and prints JSON on request', async () => {
    const result = await runCli(['verify', tampered, '--json'], env);
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout) as { verdict: string; report: { signatures: { subIndication: string }[] } };
    expect(json.verdict).toBe('not-valid');
    expect(json.report.signatures[0]!.subIndication).toBe('HASH_FAILURE');
  }, 60_000);

  it('exits with 2 for input that is not a PDF', async () => {
    const result = await runCli(['verify', path.join(dir, '..', path.basename(dir), 'missing.pdf')], env);
    expect(result.code).toBe(2);
    const notPdf = path.join(dir, 'note.txt');
    await writeFile(notPdf, 'not a pdf');
    const second = await runCli(['verify', notPdf], env);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain('UnusablePdf');
  }, 60_000);
});
