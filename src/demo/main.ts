import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../config/config.js';
import { createContext } from '../context.js';
import { creditCodeCheckCharacter } from '../pki/credit-code.js';
import { toPem } from '../pki/pem.js';
import type { PadesLevel } from '../pades/sign-pdf.js';
import { samplePdf } from './sample-pdf.js';

const LEVELS: PadesLevel[] = ['B-B', 'B-T', 'B-LT', 'B-LTA'];
/** The first seal over the date, as on paper; the others beside it. */
const PLACEMENTS = [
  { page: 1, x: 370, y: 205 },
  { page: 1, x: 220, y: 120 },
  { page: 1, x: 70, y: 120 },
];

/**
 * The guided demo: a fresh embedded instance in DIR/data, a department with two seals,
 * a sample PDF sealed once, twice and three times at every PAdES level, one seal revoked
 * afterwards, and a manifest describing it all. `DATA_DIR=DIR/data npm start` serves it.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  if (!values.out) {
    process.stderr.write('Usage: npm run demo -- --out DIR\n');
    process.exit(2);
  }
  const out = path.resolve(values.out);
  mkdirSync(out, { recursive: true });
  const { config, secrets } = loadConfig({ ...process.env, DATA_DIR: path.join(out, 'data') });
  const ctx = await createContext(config, secrets, pino({ level: 'warn' }));
  try {
    const console = { departmentId: null, keyId: null, requestId: 'demo' };
    const body = `11${config.regionId}MB${String(Date.now() % 1e7).padStart(7, '0')}`;
    const department = await ctx.departments.create(console, {
      name: `${config.regionName}市场监督管理局（演示）`,
      creditCode: body + creditCodeCheckCharacter(body),
      roles: ['issuer'],
    });
    const licenceSeal = await ctx.seals.create(console, { ownerDepartmentId: department.id, type: 'licence' });
    const businessSeal = await ctx.seals.create(console, { ownerDepartmentId: department.id, type: 'business' });
    const actor = { departmentId: department.id, keyId: null, requestId: 'demo' };

    const original = await samplePdf();
    writeFileSync(path.join(out, 'sample.pdf'), original);
    const order = [licenceSeal, businessSeal, licenceSeal];
    const sealed: { file: string; signatures: number; level: PadesLevel; sealCodes: string[] }[] = [];
    for (const level of LEVELS) {
      let pdf = original;
      for (let n = 1; n <= 3; n++) {
        const seal = order[n - 1]!;
        const result = await ctx.sealing.seal(actor, {
          sealId: seal.id,
          pdf,
          level,
          placement: PLACEMENTS[n - 1]!,
          reason: '核准登记',
          location: config.regionName,
          certify: n === 1,
        });
        pdf = result.pdf;
        const file = `sealed-${level}-${n}.pdf`;
        writeFileSync(path.join(out, file), pdf);
        sealed.push({ file, signatures: n, level, sealCodes: order.slice(0, n).map((s) => s.sealCode) });
      }
    }
    const revoked = await ctx.seals.revoke(console, businessSeal.id, 'cessationOfOperation');

    const root = ctx.hierarchy.root;
    writeFileSync(path.join(out, 'root.pem'), toPem(root.der, 'CERTIFICATE'));
    const sealCa = ctx.hierarchy.authorities.get('seal-ca')!;
    writeFileSync(path.join(out, 'chain.pem'), sealCa.chain.map((c) => toPem(new Uint8Array(c.rawData), 'CERTIFICATE')).join(''));
    const seals = [];
    for (const seal of [await ctx.seals.get(licenceSeal.id), revoked]) {
      const certificate = await ctx.certificates.get(seal.certificateSerial);
      const file = `seal-${seal.sealCode}.pem`;
      writeFileSync(path.join(out, file), toPem(certificate.der, 'CERTIFICATE'));
      seals.push({ code: seal.sealCode, name: seal.name, status: seal.status, certificate: file });
    }
    const manifest = { root: 'root.pem', chain: 'chain.pem', seals, sealed, sample: 'sample.pdf' };
    writeFileSync(path.join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    process.stdout.write(
      `Demo written to ${out}: ${sealed.length} sealed PDFs, seals ${seals.map((s) => `${s.code} (${s.status})`).join(', ')}.\n` +
        `Serve it: DATA_DIR=${path.join(out, 'data')} npm start\n`,
    );
  } finally {
    await ctx.close();
  }
}

await main();
