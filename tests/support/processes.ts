import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openTestDatabase, type TestDatabase } from './test-database.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment a spawned service or CLI needs, with a database of its own. */
export interface ChildDatabase {
  env: Record<string, string>;
  /** Opens the same database in this process (only while no child has it open, for the embedded engine). */
  dataDir: string | null;
  close(): Promise<void>;
}

export async function childDatabase(): Promise<ChildDatabase> {
  // Each child gets its own key folder: processes generating one hierarchy at once would collide.
  const keysDir = await mkdtemp(path.join(os.tmpdir(), 'elt-child-keys-'));
  const removeKeys = () => rm(keysDir, { recursive: true, force: true });
  if (process.env.TEST_DATABASE_URL) {
    const database: TestDatabase = await openTestDatabase();
    return {
      env: { ...database.childEnv, KEYS_DIR: keysDir },
      dataDir: null,
      close: async () => {
        await database.close();
        await removeKeys();
      },
    };
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'elt-child-'));
  return {
    env: { DATA_DIR: dataDir, KEYS_DIR: keysDir },
    dataDir,
    close: async () => {
      await rm(dataDir, { recursive: true, force: true });
      await removeKeys();
    },
  };
}

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', ...extra };
  return env;
}

/** Runs `npm run cli -- <args>` the way an operator would (without npm's banner). */
export function runCli(args: string[], env: Record<string, string>): Promise<ProcessResult> {
  return run(spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env: childEnv(env) }));
}

export function runMain(env: Record<string, string>): Promise<ProcessResult> {
  return run(spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env: childEnv(env) }));
}

function run(child: ChildProcess): Promise<ProcessResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface RunningService {
  baseUrl: string;
  /** Everything printed so far. */
  output(): { stdout: string; stderr: string };
  /** Sends SIGTERM and waits for a clean exit. */
  stop(): Promise<ProcessResult>;
}

/** Starts the real service on a free port and waits until it listens. */
export async function startService(env: Record<string, string>): Promise<RunningService> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: childEnv({ PORT: '0', ...env }),
  });
  const exited = run(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${stdout}\n${stderr}`)), 60_000);
    child.stdout.on('data', () => {
      const match = /"port":(\d+).*"msg":"listening"/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    void exited.then((r) => reject(new Error(`service exited with ${r.code}:\n${r.stdout}\n${r.stderr}`)));
  });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    output: () => ({ stdout, stderr }),
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
