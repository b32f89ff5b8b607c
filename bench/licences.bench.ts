import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config/config.js';
import { createContext } from '../src/context.js';
import { LicenceBatchService } from '../src/licences/batch.service.js';
import { creditCodeCheckCharacter } from '../src/pki/credit-code.js';
import { residentIdCheckCharacter } from '../src/pki/resident-id.js';
import { validateLicenceData } from '../src/licences/licence-data.js';
import { type LicenceMetadata, renderLicencePdf } from '../src/licences/licence-pdf.js';
import type { LicenceType } from '../src/licences/licence-type.js';
import { type Figure, freshBenchDatabase, median } from './lib.js';

/** Rows per measured batch; BENCH_BATCH_ROWS=100000 for the full memory check (about 15 minutes). */
const ROWS = Number(process.env.BENCH_BATCH_ROWS ?? 1500);
const TYPE_SLUG = 'disability-certificate';

/**
 * Licences digitised per second end to end through the batch path (row parsed, validated,
 * numbered, rendered with QR and XMP, sealed, stored with its file, holders, events, use log
 * and audit entry in one transaction), at B-B and B-T, with the process's peak RSS.
 */
export async function benchLicences(): Promise<Figure[]> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'elt-bench-licences-'));
  const database = await freshBenchDatabase();
  const url = database?.url;
  const { config, secrets } = loadConfig({
    DATA_DIR: path.join(root, 'data'),
    KEYS_DIR: path.join(root, 'keys'),
    KEYS_PASSPHRASE: 'bench-passphrase-0123456789',
    ...(url ? { DATABASE_URL: url } : {}),
  });
  const ctx = await createContext(config, secrets, pino({ level: 'silent' }));
  const engine = url ? 'postgres' : 'embedded';
  try {
    const actor = { departmentId: null, keyId: null, requestId: 'bench' };
    const body = `111400000${String(Date.now() % 1e8).padStart(8, '0')}`;
    const department = await ctx.departments.create(actor, { name: '太原市残疾人联合会', creditCode: body + creditCodeCheckCharacter(body), roles: ['issuer'] });
    const type = ctx.licences.catalogue.list().find((t) => t.slug === TYPE_SLUG)!;
    await ctx.seals.create(actor, { ownerDepartmentId: department.id, type: type.sealType });
    await ctx.licences.grantPermission(actor, department.id, type.code, 'issue');
    const caller = { departmentId: department.id, keyId: null, requestId: 'bench' };
    const runner = new LicenceBatchService(ctx.db, ctx.audit, ctx.clock, ctx.licences, ctx.logger);

    const figures: Figure[] = [await renderFigure(type, department.name)];
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
    try {
      let offset = 0;
      for (const level of ['B-B', 'B-T'] as const) {
        const rows = level === 'B-B' ? ROWS : Math.min(ROWS, 500);
        // The file is handed over and not kept here: the peak is the service's, not this script's copy.
        const { job } = await runner.submit(caller, { typeCode: type.code, format: 'csv', level, content: Buffer.from(batchCsv(type.fields, offset, rows)) });
        offset += rows;
        const started = performance.now();
        const done = await runner.run(job.id);
        const seconds = (performance.now() - started) / 1000;
        if (done.succeededRows !== rows) throw new Error(`batch ${level}: ${done.succeededRows} of ${rows} rows issued (${done.failedRows} failed)`);
        figures.push({
          name: `licences_batch_${level.replace('-', '').toLowerCase()}`,
          value: rows / seconds,
          unit: 'licences/s',
          note: `${TYPE_SLUG}, ${rows} rows, ${engine}, one process`,
        });
      }
    } finally {
      clearInterval(sampler);
    }
    figures.push({ name: 'licences_batch_peak_rss', value: peakRss / 1024 / 1024, unit: 'MB', note: `whole process, ${ROWS}-row batch` });
    return figures;
  } finally {
    await ctx.close();
    await database?.drop();
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * The face alone (layout, CJK subset, QR path, XMP, compression), without sealing or storing:
 * CPU milliseconds per licence, median of five rounds. The verify address has the length of a
 * real one (a JWS of about 360 characters), which sets the QR code's size.
 */
const XMP_ITEMS = ['ZZMC', 'ZZLXDM', 'ZZBH', 'ZZBS', 'ZZBFJG', 'ZZBFJGDM', 'ZZBFRQ', 'CZZT', 'CZZTDM', 'CZZTDMLX', 'CZZTDMLXDM', 'ZZYXQQSRQ', 'ZZYXQJZRQ', 'ZZDYJGMC', 'ZZDYJGDM', 'ZZBBH', 'ZZSSSDDM'];

async function renderFigure(type: LicenceType, issuerName: string): Promise<Figure> {
  const [first] = batchCsv(type.fields, 900_000, 1).split('\n').slice(1).map((line) => line.split(','));
  const [licenceNumber, issueDate, validFrom, holderName, holderId, ...values] = first!;
  const required = type.fields.filter((f) => f.required);
  const data = validateLicenceData(type, { holders: [{ name: holderName!, id: holderId! }], fields: Object.fromEntries(required.map((f, i) => [f.key, values[i]!])), validFrom: validFrom! }, new Date());
  const params = {
    type,
    data,
    identifier: `1.2.156.3005.2.${type.code}.111400000000000000.1402026000000010.001.J`,
    licenceNumber: licenceNumber!,
    issuerName,
    issueDate: issueDate!,
    issuedAt: new Date(),
    verifyUrl: `http://127.0.0.1:8080/v/${'x'.repeat(360)}`,
    // The XMP items have the length of real ones; their content does not matter here.
    metadata: Object.fromEntries(XMP_ITEMS.map((key) => [key, `${type.name}${key}`])) as unknown as LicenceMetadata,
  };
  for (let i = 0; i < 30; i++) await renderLicencePdf(params);
  const rounds: number[] = [];
  for (let round = 0; round < 5; round++) {
    const n = 100;
    const before = process.cpuUsage();
    for (let i = 0; i < n; i++) await renderLicencePdf({ ...params, licenceNumber: `${licenceNumber}${i}` });
    const used = process.cpuUsage(before);
    rounds.push((used.user + used.system) / 1000 / n);
  }
  return { name: 'licences_render_face', value: median(rounds), unit: 'ms CPU', note: `${type.slug}, face only (no seal, no storage)` };
}

function batchCsv(fields: readonly { key: string; type: string; required: boolean; options?: string[] }[], offset: number, rows: number): string {
  const required = fields.filter((f) => f.required);
  const header = ['licenceNumber', 'issueDate', 'validFrom', 'holderName', 'holderId', ...required.map((f) => f.key)];
  const lines = [header.join(',')];
  for (let i = 0; i < rows; i++) {
    const n = offset + i;
    const idBody = `1401051980${String(1 + (n % 12)).padStart(2, '0')}${String(1 + (n % 28)).padStart(2, '0')}${String(n % 1000).padStart(3, '0')}`;
    const values = required.map((f) => (f.type === 'enum' ? f.options![n % f.options!.length]! : f.type === 'date' ? '2016-04-01' : `太原市小店区长风街${n}号`));
    lines.push([`B${String(n).padStart(12, '0')}`, '2018-05-20', '2018-05-20', `李${'明华强军平伟芳娜'[n % 8]}`, idBody + residentIdCheckCharacter(idBody), ...values].join(','));
  }
  return lines.join('\n');
}
