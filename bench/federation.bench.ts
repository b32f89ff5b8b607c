import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { creditCodeCheckCharacter } from '../src/pki/credit-code.js';
import { type Figure, freePort, freshBenchDatabase, median, ROOT, startService } from './lib.js';
import { issueOneLicence, TOKEN } from './verification.bench.js';

/** The documented defaults: how often B re-reads A's list, and how long it reuses A's answers. */
const PEER_STATUS_CACHE_SECONDS = 30;

/**
 * Cross-region verification with two whole services in processes of their own (山西 issues,
 * 河南 verifies): validations per second in B of A's sealed licence with a warm peer cache,
 * and the time from a revocation in A until B reports it (bounded by PEER_STATUS_CACHE_SECONDS).
 */
export async function benchFederation(): Promise<Figure[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'elt-bench-federation-'));
  const databases = [await freshBenchDatabase(), await freshBenchDatabase()];
  const engine = databases[0] ? 'postgres' : 'embedded';
  const services: Awaited<ReturnType<typeof startService>>[] = [];
  try {
    const regions = [
      { id: '140000', name: '山西省' },
      { id: '410000', name: '河南省' },
    ];
    const shipped = await readFile(path.join(ROOT, 'ca-config/hierarchy.json'), 'utf8');
    for (const [i, region] of regions.entries()) {
      const caConfig = path.join(dir, `${region.id}.json`);
      await writeFile(caConfig, shipped.replaceAll('山西省', region.name).replaceAll('140000', region.id));
      const port = await freePort();
      services.push(
        await startService(port, {
          ADMIN_TOKEN: TOKEN,
          REGION_ID: region.id,
          REGION_NAME: region.name,
          CA_CONFIG: caConfig,
          DATA_DIR: path.join(dir, `data-${region.id}`),
          KEYS_DIR: path.join(dir, `keys-${region.id}`),
          PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
          PEER_STATUS_CACHE_SECONDS: String(PEER_STATUS_CACHE_SECONDS),
          LOG_LEVEL: 'warn',
          ...(databases[i] ? { DATABASE_URL: databases[i]!.url } : {}),
        }),
      );
    }
    const [a, b] = services as [(typeof services)[0], (typeof services)[0]];
    const licence = await issueOneLicence(a.baseUrl);
    const admin = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };
    const listA = await fetch(`${a.baseUrl}/trust-list`);
    const registered = await fetch(`${b.baseUrl}/api/v1/peers`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ url: `${a.baseUrl}/trust-list`, pinnedFingerprint: listA.headers.get('X-Trust-List-Signer-SHA256') }),
    });
    if (registered.status !== 201) throw new Error(`registering A in B: ${registered.status} ${await registered.text()}`);
    const body = `11410000${'0'.repeat(8)}7`;
    const acceptor = (await (await fetch(`${b.baseUrl}/api/v1/departments`, { method: 'POST', headers: admin, body: JSON.stringify({ name: '河南省验证部门', creditCode: body + creditCodeCheckCharacter(body), roles: ['acceptor'] }) })).json()) as { id: string };
    const key = (await (await fetch(`${b.baseUrl}/api/v1/departments/${acceptor.id}/api-keys`, { method: 'POST', headers: admin, body: JSON.stringify({ label: 'bench' }) })).json()) as { token: string };
    const verifyInB = async () => {
      const res = await fetch(`${b.baseUrl}/api/v1/verify`, { method: 'POST', headers: { Authorization: `Bearer ${key.token}`, 'Content-Type': 'application/pdf' }, body: Buffer.from(licence.pdf) });
      return (await res.json()) as { verdict: string; licence: { status: string | null } | null };
    };
    const first = await verifyInB();
    if (first.verdict !== 'valid') throw new Error(`B does not accept A's licence: ${JSON.stringify(first)}`);

    const options: autocannon.Options = {
      url: `${b.baseUrl}/api/v1/verify`,
      method: 'POST',
      headers: { Authorization: `Bearer ${key.token}`, 'Content-Type': 'application/pdf' },
      body: Buffer.from(licence.pdf),
      connections: 16,
    };
    await autocannon({ ...options, duration: 2 });
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await autocannon({ ...options, duration: 5 }));
    if (runs.some((r) => r.non2xx + r.errors > 0)) throw new Error('cross-region validations failed during the benchmark');

    // Revocation in A, then B asked every 200 ms until it says so.
    const revokedAt = performance.now();
    const revoke = await fetch(`${a.baseUrl}/api/v1/licences/${licence.identifier}/revocation`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${licence.issuerToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ reason: '基准测试' }),
    });
    if (!revoke.ok) throw new Error(`revoking in A: ${revoke.status}`);
    let seenAfter = Number.NaN;
    while (performance.now() - revokedAt < (PEER_STATUS_CACHE_SECONDS + 10) * 1000) {
      if ((await verifyInB()).licence?.status === 'revoked') {
        seenAfter = (performance.now() - revokedAt) / 1000;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    return [
      {
        name: 'cross_region_validations',
        value: median(runs.map((r) => r.requests.average)),
        unit: 'req/s',
        note: `POST /api/v1/verify in 河南 of a 山西 B-T licence, warm peer cache, 16 connections, ${engine}, median of 3 x 5 s`,
      },
      {
        name: 'cross_region_revocation_seen_after',
        value: seenAfter,
        unit: 's',
        note: `revoked in 山西 until 河南 reports it; PEER_STATUS_CACHE_SECONDS=${PEER_STATUS_CACHE_SECONDS} bounds it`,
      },
    ];
  } finally {
    await Promise.all(services.map((s) => s.stop()));
    await Promise.all(databases.map((d) => d?.drop()));
    await rm(dir, { recursive: true, force: true });
  }
}
