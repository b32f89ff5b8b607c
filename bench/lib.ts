import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

/** The repository root: the service is started from here. */
export const ROOT = path.resolve(import.meta.dirname, '..');

/** One benchmark figure, printed on a line of its own: name, value, unit. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  note?: string;
  /** The measurement was stopped at a deadline: the true value is above `value` (printed ">value"). */
  atLeast?: boolean;
}

export function printFigure(figure: Figure): void {
  const value = figure.value >= 100 ? Math.round(figure.value).toString() : figure.value.toFixed(2);
  process.stdout.write(`${figure.name}\t${figure.atLeast ? '>' : ''}${value}\t${figure.unit}${figure.note ? `\t(${figure.note})` : ''}\n`);
}

/** Median of repeated measurements; single runs on a shared 2-core machine are noisy. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The database a benchmark runs on: PostgreSQL when BENCH_DATABASE_URL is set, else embedded. */
export function benchEngine(): { label: string; env: Record<string, string> } {
  const url = process.env.BENCH_DATABASE_URL;
  return url ? { label: 'postgres', env: { DATABASE_URL: url } } : { label: 'embedded', env: {} };
}

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RunningService {
  baseUrl: string;
  /** SIGTERM, then waits for the exit (SIGKILL after 15 s). Safe to call when it already exited. */
  stop(): Promise<void>;
}

/**
 * Starts the real service (`node --import tsx src/main.ts`) in a process of its own on
 * `port`, with only PATH and `env` in its environment, and waits until /healthz answers.
 * Its stdout (JSON logs) goes to /dev/null; its stderr is shown. `nodeArgs` go before the
 * script, e.g. `['--cpu-prof', '--cpu-prof-dir=/tmp/prof']` to profile it (written at stop).
 */
export async function startService(port: number, env: Record<string, string>, nodeArgs: string[] = []): Promise<RunningService> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { PATH: process.env.PATH, PORT: String(port), ...env },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (!running(child)) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitUntilHealthy(baseUrl, child, Date.now() + 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl, stop };
}

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

async function waitUntilHealthy(baseUrl: string, child: ChildProcess, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (!running(child)) throw new Error(`the service exited during start-up (code ${child.exitCode ?? child.signalCode})`);
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
 * A fresh PostgreSQL database for one benchmark (dropped by the returned function), so runs
 * do not meet each other's rows or keys. Undefined when BENCH_DATABASE_URL is not set.
 */
export async function freshBenchDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const base = process.env.BENCH_DATABASE_URL;
  if (!base) return undefined;
  const { default: pg } = await import('pg');
  const name = `bench_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
