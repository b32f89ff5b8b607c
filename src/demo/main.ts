import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../config/config.js';
import { createContext } from '../context.js';
import { runRegionDemo } from './region-demo.js';
import { twoRegionDemo } from './two-regions.js';

const USAGE = 'Usage: npm run demo -- --out DIR [--regions 1|2]\n';

/**
 * The guided demo. One region (the default): a fresh embedded instance in DIR/data with the keys
 * of KEYS_DIR, its sealed PDFs, licences and verification reports, and DIR/manifest.json;
 * `DATA_DIR=DIR/data npm start` serves it. `--regions 2`: two regions that recognise each other
 * and share a licence (see two-regions.ts).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' }, regions: { type: 'string', default: '1' } } });
  if (!values.out || (values.regions !== '1' && values.regions !== '2')) {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  const out = path.resolve(values.out);
  if (values.regions === '2') await twoRegionDemo(out);
  else await singleRegionDemo(out);
}

async function singleRegionDemo(out: string): Promise<void> {
  mkdirSync(out, { recursive: true });
  const { config, secrets } = loadConfig({ ...process.env, DATA_DIR: path.join(out, 'data') });
  const ctx = await createContext(config, secrets, pino({ level: 'warn' }));
  try {
    const demo = await runRegionDemo(ctx, out);
    process.stdout.write(`Demo written to ${out}: ${demo.summary}.\nServe it: DATA_DIR=${path.join(out, 'data')} npm start\n`);
  } finally {
    await ctx.close();
  }
}

await main();
