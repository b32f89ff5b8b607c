import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { benchEngine, type Figure, median } from './lib.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const TOKEN = 'bench-admin-token-0123456789abcdefghijklmnopqrstuv';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitUntilHealthy(baseUrl: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the service did not start');
}

/**
 * Authenticated requests per second to a cheap endpoint (GET /api/v1/me): bearer parsing,
 * one indexed key lookup, role check, JSON, one info log line (to /dev/null). The service
 * runs in its own process, the load generator in this one, on loopback.
 */
export async function benchAuthenticatedRequests(): Promise<Figure[]> {
  const engine = benchEngine();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'elt-bench-'));
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { PATH: process.env.PATH, PORT: String(port), ADMIN_TOKEN: TOKEN, DATA_DIR: dataDir, ...engine.env },
  });
  try {
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitUntilHealthy(baseUrl, Date.now() + 60_000);
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
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await rm(dataDir, { recursive: true, force: true });
  }
}
