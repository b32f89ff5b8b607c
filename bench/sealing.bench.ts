import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config/config.js';
import { createContext } from '../src/context.js';
import { samplePdf } from '../src/demo/sample-pdf.js';
import { creditCodeCheckCharacter } from '../src/pki/credit-code.js';
import { type Figure, median } from './lib.js';

const SEALS_PER_RUN = 200;

/**
 * Seals applied per second through the sealing service, the way licence issuance uses it:
 * registry and grant checks, certificate status, PAdES signing with a visible seal, and the
 * use log plus audit entry in one transaction. One-page PDF, sequential.
 */
export async function benchSealing(): Promise<Figure[]> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'elt-bench-sealing-'));
  const url = process.env.BENCH_DATABASE_URL;
  const { config, secrets } = loadConfig({
    DATA_DIR: path.join(root, 'data'),
    KEYS_DIR: path.join(root, 'keys'),
    KEYS_PASSPHRASE: 'bench-passphrase-0123456789',
    ...(url ? { DATABASE_URL: url } : {}),
  });
  const ctx = await createContext(config, secrets, pino({ level: 'silent' }));
  try {
    const actor = { departmentId: null, keyId: null, requestId: 'bench' };
    const body = `111400000${String(Date.now() % 1e8).padStart(8, '0')}`;
    const department = await ctx.departments.create(actor, { name: '基准测试局', creditCode: body + creditCodeCheckCharacter(body), roles: ['issuer'] });
    const seal = await ctx.seals.create(actor, { ownerDepartmentId: department.id, type: 'licence' });
    const pdf = await samplePdf();
    const caller = { departmentId: department.id, keyId: null, requestId: 'bench' };
    const figures: Figure[] = [];
    for (const level of ['B-B', 'B-T'] as const) {
      const once = () => ctx.sealing.seal(caller, { sealId: seal.id, pdf, level, placement: { page: 1, x: 370, y: 205 } });
      for (let i = 0; i < 20; i++) await once(); // warm-up
      const rates: number[] = [];
      for (let run = 0; run < 3; run++) {
        const started = performance.now();
        for (let i = 0; i < SEALS_PER_RUN; i++) await once();
        rates.push(SEALS_PER_RUN / ((performance.now() - started) / 1000));
      }
      figures.push({
        name: `seals_applied_${level.replace('-', '').toLowerCase()}`,
        value: median(rates),
        unit: 'seals/s',
        note: `one-page PDF, visible seal, use log + audit, ${url ? 'postgres' : 'embedded'}, sequential, median of 3 x ${SEALS_PER_RUN}`,
      });
    }
    return figures;
  } finally {
    await ctx.close();
    await rm(root, { recursive: true, force: true });
  }
}
