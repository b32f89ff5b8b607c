import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config/config.js';
import { createContext } from '../src/context.js';
const root = await mkdtemp(path.join(os.tmpdir(), 'zz-tsa-'));
const { config, secrets } = loadConfig({ DATA_DIR: path.join(root, 'data'), KEYS_DIR: path.join(root, 'keys'), KEYS_PASSPHRASE: 'bench-passphrase-0123456789' });
const ctx = await createContext(config, secrets, pino({ level: 'silent' }));
const digest = new Uint8Array(32).fill(7);
for (let i = 0; i < 200; i++) await ctx.timestamps.stamp(digest);
for (let r = 0; r < 3; r++) {
  const n = 500; const c = process.cpuUsage(); const t = performance.now();
  for (let i = 0; i < n; i++) await ctx.timestamps.stamp(digest);
  const u = process.cpuUsage(c);
  console.log(`stamp: ${((performance.now() - t) / n).toFixed(3)} ms wall, ${((u.user + u.system) / 1000 / n).toFixed(3)} ms CPU`);
}
await ctx.close();
