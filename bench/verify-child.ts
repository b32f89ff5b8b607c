/**
 * One of the processes of the two-process validation benchmark (verification.bench.ts): opens
 * the same database and keys as the parent, validates BENCH_PDF 8 at a time for BENCH_SECONDS
 * after a warm-up, and prints `validations <count> <seconds>`.
 */
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { loadConfig } from '../src/config/config.js';
import { createContext } from '../src/context.js';

const { config, secrets } = loadConfig(process.env);
const ctx = await createContext(config, secrets, pino({ level: 'silent' }));
try {
  const pdf = readFileSync(process.env.BENCH_PDF!);
  const seconds = Number(process.env.BENCH_SECONDS ?? 5);
  for (let i = 0; i < 200; i += 8) await Promise.all(Array.from({ length: 8 }, () => ctx.verification.verify(pdf)));
  // Both processes start measuring at the same wall-clock moment, so their rates add up.
  const startAt = Number(process.env.BENCH_START_AT);
  await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    const results = await Promise.all(Array.from({ length: 8 }, () => ctx.verification.verify(pdf)));
    if (results.some((r) => r.verdict !== 'valid')) throw new Error('a validation did not come out valid');
    count += results.length;
  }
  process.stdout.write(`validations ${count} ${(performance.now() - started) / 1000}\n`);
} finally {
  await ctx.close();
}
