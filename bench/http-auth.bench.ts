import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { benchEngine, type Figure, freePort, median, startService } from './lib.js';

const TOKEN = 'bench-admin-token-0123456789abcdefghijklmnopqrstuv';

/**
 * Authenticated requests per second to a cheap endpoint (GET /api/v1/me): bearer parsing,
 * one indexed key lookup, role check, JSON, one info log line (to /dev/null). The service
 * runs in its own process, the load generator in this one, on loopback.
 */
export async function benchAuthenticatedRequests(): Promise<Figure[]> {
  const engine = benchEngine();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'elt-bench-'));
  let service: Awaited<ReturnType<typeof startService>> | undefined;
  try {
    // KEYS_DIR too: the service creates its CA hierarchy at start, and must not do so in ./keys-dev.
    const env = { ADMIN_TOKEN: TOKEN, DATA_DIR: dataDir, KEYS_DIR: path.join(dataDir, 'keys'), ...engine.env };
    service = await startService(await freePort(), env);
    const { baseUrl } = service;
    const load = (duration: number) =>
      autocannon({
        url: `${baseUrl}/api/v1/me`,
        headers: { Authorization: `Bearer ${TOKEN}` },
        connections: 32,
        duration,
      });
    await load(2); // warm-up: JIT, connection pool
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await load(5));
    const failures = runs.reduce((n, r) => n + r.non2xx + r.errors, 0);
    if (failures > 0) throw new Error(`${failures} requests failed during the benchmark`);
    return [
      {
        name: 'http_authenticated_requests',
        value: median(runs.map((r) => r.requests.average)),
        unit: 'req/s',
        note: `GET /api/v1/me, 32 connections, ${engine.label}, median of 3 x 5 s`,
      },
      {
        name: 'http_authenticated_latency_p99',
        value: median(runs.map((r) => r.latency.p99)),
        unit: 'ms',
        note: 'same runs',
      },
    ];
  } finally {
    await service?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
