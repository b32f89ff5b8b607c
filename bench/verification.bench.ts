import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { pino } from 'pino';
import { loadConfig } from '../src/config/config.js';
import { createContext } from '../src/context.js';
import { creditCodeCheckCharacter } from '../src/pki/credit-code.js';
import { residentIdCheckCharacter } from '../src/pki/resident-id.js';
import { type Figure, freePort, freshBenchDatabase, median, ROOT, startService } from './lib.js';

export const TOKEN = 'bench-admin-token-0123456789abcdefghijklmnopqrstuv';

/**
 * Verification speed, with the service in its own process and the load generator in this one:
 * full validations of a sealed licence (B-T) through POST /api/v1/verify (CMS, chain, timestamp,
 * revocation from the registry, changes after signing, registry check of the licence), and the
 * citizen QR page (token signature, registry lookup, masked HTML, scan record).
 */
export async function benchVerification(): Promise<Figure[]> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'elt-bench-verify-'));
  const database = await freshBenchDatabase();
  const engine = database ? 'postgres' : 'embedded';
  let service: Awaited<ReturnType<typeof startService>> | undefined;
  try {
    const env = { ADMIN_TOKEN: TOKEN, DATA_DIR: dataDir, KEYS_DIR: path.join(dataDir, 'keys'), LOG_LEVEL: 'warn', ...(database ? { DATABASE_URL: database.url } : {}) };
    const port = await freePort();
    service = await startService(port, { ...env, PUBLIC_BASE_URL: `http://127.0.0.1:${port}` }, process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : []);
    const { baseUrl } = service;
    const { pdf, verifyPath, acceptorToken } = await issueOneLicence(baseUrl);

    const figures: Figure[] = [];
    const measure = async (name: string, note: string, options: autocannon.Options) => {
      await autocannon({ ...options, duration: 2 }); // warm-up
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await autocannon({ ...options, duration: 5 }));
      const failures = runs.reduce((n, r) => n + r.non2xx + r.errors, 0);
      if (failures > 0) throw new Error(`${name}: ${failures} requests failed`);
      figures.push({ name, value: median(runs.map((r) => r.requests.average)), unit: 'req/s', note: `${note}, ${engine}, median of 3 x 5 s` });
      figures.push({ name: `${name}_p99`, value: median(runs.map((r) => r.latency.p99)), unit: 'ms', note: 'same runs' });
    };
    await measure('verify_full_validations', `POST /api/v1/verify, B-T licence ${pdf.byteLength} bytes, 16 connections`, {
      url: `${baseUrl}/api/v1/verify`,
      method: 'POST',
      headers: { Authorization: `Bearer ${acceptorToken}`, 'Content-Type': 'application/pdf' },
      body: Buffer.from(pdf),
      connections: 16,
    });
    await measure('citizen_page_requests', 'GET /v/<token> (HTML), 32 connections', { url: `${baseUrl}${verifyPath}`, connections: 32 });
    await service.stop();
    figures.push(...(await inProcessValidations()));
    return figures;
  } finally {
    await service?.stop();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * The same full validation without HTTP: ctx.verification.verify in this process on a context
 * of its own (fresh database), eight at a time: what the validator, the registry lookups and
 * the report cost, without request parsing and a 10 KB JSON answer.
 */
async function inProcessValidations(): Promise<Figure[]> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'elt-bench-verify-inproc-'));
  const database = await freshBenchDatabase();
  const { config, secrets } = loadConfig({
    DATA_DIR: path.join(root, 'data'),
    KEYS_DIR: path.join(root, 'keys'),
    KEYS_PASSPHRASE: 'bench-passphrase-0123456789',
    ...(database ? { DATABASE_URL: database.url } : {}),
  });
  const ctx = await createContext(config, secrets, pino({ level: 'silent' }));
  try {
    const actor = { departmentId: null, keyId: null, requestId: 'bench' };
    const body = '11140000000000777';
    const department = await ctx.departments.create(actor, { name: '基准测试局', creditCode: body + creditCodeCheckCharacter(body), roles: ['issuer'] });
    const type = ctx.licences.catalogue.list().find((t) => t.name.includes('残疾人证'))!;
    await ctx.seals.create(actor, { ownerDepartmentId: department.id, type: type.sealType });
    await ctx.licences.grantPermission(actor, department.id, type.code, 'issue');
    const idBody = '14010519800512001';
    const { licence } = await ctx.licences.issue(
      { departmentId: department.id, keyId: null, requestId: 'bench' },
      { typeCode: type.code, level: 'B-T', holders: [{ name: '赵志强', id: idBody + residentIdCheckCharacter(idBody) }], fields: { sex: '男', disabilityCategory: '肢体', disabilityGrade: '三级', address: '太原市' } },
    );
    const { pdf } = await ctx.licences.file({ departmentId: department.id, keyId: null, requestId: 'bench' }, licence.identifier);
    const check = await ctx.verification.verify(pdf);
    if (check.verdict !== 'valid') throw new Error(`the benchmark licence does not verify: ${check.reasons.join('; ')}`);
    const rates: number[] = [];
    for (let run = 0; run < 4; run++) {
      const count = 800;
      const started = performance.now();
      for (let i = 0; i < count; i += 8) await Promise.all(Array.from({ length: 8 }, () => ctx.verification.verify(pdf)));
      if (run > 0) rates.push(count / ((performance.now() - started) / 1000)); // the first run warms up
    }
    const figures: Figure[] = [
      {
        name: 'verify_full_validations_in_process',
        value: median(rates),
        unit: 'validations/s',
        note: `VerificationService.verify, same B-T licence, 8 at a time, one process, ${database ? 'postgres' : 'embedded'}, median of 3 x 800`,
      },
    ];
    // Both cores: two processes on the same PostgreSQL database (the embedded one admits one process).
    if (database) {
      const file = path.join(root, 'licence.pdf');
      writeFileSync(file, pdf);
      const env = { ...(process.env as Record<string, string>), DATABASE_URL: database.url, KEYS_DIR: config.keysDir, KEYS_PASSPHRASE: 'bench-passphrase-0123456789', BENCH_PDF: file, BENCH_SECONDS: '5', BENCH_START_AT: String(Date.now() + 15_000), LOG_LEVEL: 'silent' };
      const outputs = await Promise.all([0, 1].map(() => runChild(['--import', 'tsx', 'bench/verify-child.ts'], env)));
      const total = outputs.reduce((sum, out) => {
        const match = /validations (\d+) ([\d.]+)/.exec(out);
        if (!match) throw new Error(`verify-child printed: ${out}`);
        return sum + Number(match[1]) / Number(match[2]);
      }, 0);
      figures.push({ name: 'verify_full_validations_two_processes', value: total, unit: 'validations/s', note: 'two processes on the same database, 8 at a time each, 5 s, postgres' });
    }
    return figures;
  } finally {
    await ctx.close();
    await database?.drop();
    await rm(root, { recursive: true, force: true });
  }
}

function runChild(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`verify-child exited with ${code}: ${out}`))));
  });
}

export async function issueOneLicence(baseUrl: string, adminToken = TOKEN): Promise<{ pdf: Uint8Array; verifyPath: string; acceptorToken: string; identifier: string; issuerToken: string; verifyUrl: string }> {
  const call = async (method: string, url: string, token: string, body?: unknown) => {
    const res = await fetch(`${baseUrl}${url}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
    return res;
  };
  const department = async (n: number, roles: string[]) => {
    const body = `11140000${String(n).padStart(9, '0')}`;
    const created = (await (await call('POST', '/api/v1/departments', adminToken, { name: `基准测试部门${n}`, creditCode: body + creditCodeCheckCharacter(body), roles })).json()) as { id: string };
    const key = (await (await call('POST', `/api/v1/departments/${created.id}/api-keys`, adminToken, { label: 'bench' })).json()) as { token: string };
    return { id: created.id, token: key.token };
  };
  const issuer = await department(1, ['issuer']);
  const acceptor = await department(2, ['acceptor']);
  const types = (await (await call('GET', '/api/v1/licence-types', adminToken)).json()) as { items: { code: string; sealType: string; name: string }[] };
  const type = types.items.find((t) => t.name.includes('残疾人证'))!;
  await call('POST', '/api/v1/seals', adminToken, { ownerDepartmentId: issuer.id, type: type.sealType });
  await call('PUT', `/api/v1/departments/${issuer.id}/licence-types/${type.code}/issue`, adminToken);
  const idBody = '14010519800512001';
  const licence = (await (
    await call('POST', '/api/v1/licences', issuer.token, {
      typeCode: type.code,
      level: 'B-T',
      holders: [{ name: '赵志强', id: idBody + residentIdCheckCharacter(idBody) }],
      fields: { sex: '男', disabilityCategory: '肢体', disabilityGrade: '三级', address: '山西省太原市杏花岭区府西街69号' },
    })
  ).json()) as { identifier: string; links: { file: string; verify: string } };
  const pdf = new Uint8Array(await (await call('GET', licence.links.file, issuer.token)).arrayBuffer());
  return { pdf, verifyPath: new URL(licence.links.verify).pathname, acceptorToken: acceptor.token, identifier: licence.identifier, issuerToken: issuer.token, verifyUrl: licence.links.verify };
}
