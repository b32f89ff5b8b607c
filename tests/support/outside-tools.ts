import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';

const execFileAsync = promisify(execFile);

/**
 * Outside checkers (Chromium, openssl, pdfsig, ...) come from Debian packages that .ci/run
 * installs. On a developer machine without them the test is skipped; in CI a missing tool
 * is a failure, never a silent skip.
 */
export function missingTool(binary: string): boolean {
  const found = (process.env.PATH ?? '').split(':').some((dir) => existsSync(path.join(dir, binary)));
  if (!found && process.env.CI) throw new Error(`${binary} is required in CI: .ci/run must install it`);
  return !found;
}

/** Serves a fetch handler on a free loopback port for tools that need a real URL. */
export async function serveOnLoopback(fetch: (req: Request) => Response | Promise<Response>, requestedPort = 0) {
  const server = serve({ fetch, port: requestedPort, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Headless Chromium as a real client: returns the DOM after scripts ran. */
export async function chromiumDumpDom(url: string): Promise<string> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'elt-chromium-'));
  try {
    const { stdout } = await execFileAsync(
      'chromium',
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
        '--virtual-time-budget=10000',
        '--dump-dom',
        url,
      ],
      { timeout: 60_000, maxBuffer: 32 * 1024 * 1024 },
    );
    return stdout;
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}
