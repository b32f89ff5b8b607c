/**
 * Validations per second, by hand (not part of the test suite, not in package.json):
 *
 *   npx tsx tests/validation/measure-speed.ts [seconds per measurement, default 5]
 *
 * Seals the one-page sample PDF at each level (a visible seal; B-LTA also with a second
 * seal), then validates each file repeatedly with one createValidator (warm caches, a
 * revocation source that answers at once) in this process, and in two child processes at
 * the same time (each its own validator) for the two-core figure. Reports wall-clock and
 * per-CPU-second rates.
 */
import { fork } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { signPdf, type PadesLevel } from '../../src/pades/sign-pdf.js';
import { createValidator } from '../../src/validation/validate-pdf.js';
import { makePadesFixtures } from '../pades/fixtures.js';

const CASES: { name: string; level: PadesLevel; seals: number }[] = [
  { name: 'B-B', level: 'B-B', seals: 1 },
  { name: 'B-T', level: 'B-T', seals: 1 },
  { name: 'B-LT', level: 'B-LT', seals: 1 },
  { name: 'B-LTA', level: 'B-LTA', seals: 1 },
  { name: 'B-LTA x2', level: 'B-LTA', seals: 2 },
];

interface Result {
  count: number;
  wallSeconds: number;
  cpuSeconds: number;
}

async function measure(pdf: Uint8Array, root: Uint8Array, now: Date, seconds: number): Promise<Result> {
  const validator = createValidator({
    trustAnchors: [{ certificateDer: root }],
    revocation: { status: async () => ({ status: 'good' }) },
  });
  const first = await validator.validate(pdf, { now });
  if (first.indication !== 'PASSED') throw new Error(`not PASSED: ${JSON.stringify(first.signatures.map((s) => s.errors))}`);
  for (let i = 0; i < 200; i++) await validator.validate(pdf, { now });
  const cpu = process.cpuUsage();
  const started = performance.now();
  let count = 0;
  while (performance.now() - started < seconds * 1000) {
    for (let i = 0; i < 50; i++) await validator.validate(pdf, { now });
    count += 50;
  }
  const used = process.cpuUsage(cpu);
  return { count, wallSeconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

async function worker(dir: string, name: string, seconds: number): Promise<void> {
  const pdf = await readFile(path.join(dir, `${name}.pdf`));
  const root = await readFile(path.join(dir, 'root.der'));
  const now = new Date(Number(await readFile(path.join(dir, 'now.txt'), 'utf8')));
  process.send!(await measure(pdf, root, now, seconds));
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const f = await makePadesFixtures({ withNss: false });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'elt-validation-speed-'));
  try {
    const now = new Date(f.now.getTime() + 60_000);
    await writeFile(path.join(dir, 'root.der'), f.root.der);
    await writeFile(path.join(dir, 'now.txt'), String(now.getTime()));
    console.log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model}); ${seconds} s per measurement\n`);
    console.log('case        size   1 process: /s wall  /CPU-s   2 processes: /s wall (sum)');
    for (const c of CASES) {
      let pdf: Uint8Array = f.pdfs.objectStreams;
      for (let s = 0; s < c.seals; s++) {
        pdf = await signPdf({
          pdf,
          signer: f.signer(s === 0 ? f.seal : f.seal2),
          level: c.level,
          services: f.services,
          signingTime: f.now,
          placement: { page: 1, x: 60 + 200 * s, y: 60, width: 120, height: 120 },
          appearance: f.pdfs.appearance,
        });
      }
      const file = c.name.replace(/\W+/g, '_');
      await writeFile(path.join(dir, `${file}.pdf`), pdf);
      const one = await measure(pdf, f.root.der, now, seconds);
      const children = await Promise.all(
        [0, 1].map(
          () =>
            new Promise<Result>((resolve, reject) => {
              const child = fork(fileURLToPath(import.meta.url), ['worker', dir, file, String(seconds)], { execArgv: ['--import', 'tsx'] });
              child.once('message', (result) => resolve(result as Result));
              child.once('error', reject);
            }),
        ),
      );
      const two = children.reduce((sum, r) => sum + r.count / r.wallSeconds, 0);
      console.log(
        `${c.name.padEnd(10)} ${String(pdf.length).padStart(6)}   ${(one.count / one.wallSeconds).toFixed(0).padStart(12)}  ${(one.count / one.cpuSeconds).toFixed(0).padStart(7)}   ${two.toFixed(0).padStart(14)}`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await f.cleanup();
  }
}

if (process.argv[2] === 'worker') {
  await worker(process.argv[3]!, process.argv[4]!, Number(process.argv[5]));
  process.exit(0);
} else {
  await main();
}
