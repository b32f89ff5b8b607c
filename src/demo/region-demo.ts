import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AppContext } from '../context.js';
import type { Actor } from '../audit/audit.service.js';
import type { IssuerActor, Licence } from '../licences/licence.service.js';
import { residentIdCheckCharacter } from '../pki/resident-id.js';
import { SAMPLE_LICENCES } from './sample-licences.js';
import { creditCodeCheckCharacter } from '../pki/credit-code.js';
import { toPem } from '../pki/pem.js';
import type { PadesLevel } from '../pades/sign-pdf.js';
import type { VerificationResult } from '../verification/verification.service.js';
import { samplePdf } from './sample-pdf.js';

const LEVELS: PadesLevel[] = ['B-B', 'B-T', 'B-LT', 'B-LTA'];
/** The first seal over the date, as on paper; the others beside it. */
const PLACEMENTS = [
  { page: 1, x: 370, y: 205 },
  { page: 1, x: 220, y: 120 },
  { page: 1, x: 70, y: 120 },
];

export const CONSOLE: Actor = Object.freeze({ departmentId: null, keyId: null, requestId: 'demo' });

/** What our verifier said about one file, as a manifest records it. */
export interface VerificationEntry {
  /** The full result (verdict, reasons, report, licence check) as JSON, relative to the manifest. */
  report: string;
  indication: VerificationResult['report']['indication'];
  verdict: VerificationResult['verdict'];
}

export interface RegionDemo {
  /** The department that issued everything, acting as itself. */
  issuer: IssuerActor;
  licences: { identifier: string; type: string; status: string; file: string }[];
  /** One line for the console. */
  summary: string;
}

/**
 * A unified social credit code for a demo department of the region (a government body, 机关):
 * the serial is taken from the clock so that a demo run into an existing data folder does not
 * collide with the departments of the previous run.
 */
export function demoCreditCode(regionId: string, offset = 0): string {
  const body = `11${regionId}MB${String((Date.now() + offset) % 1e7).padStart(7, '0')}`;
  return body + creditCodeCheckCharacter(body);
}

/**
 * Verifies `file` (relative to `root`) with this region's verifier and writes the result
 * beside it, or at `reportFile`, as JSON.
 */
export async function verifyFile(
  ctx: AppContext,
  root: string,
  file: string,
  reportFile = file.replace(/\.pdf$/, '.report.json'),
): Promise<{ entry: VerificationEntry; result: VerificationResult }> {
  const result = await ctx.verification.verify(readFileSync(path.join(root, file)));
  writeFileSync(path.join(root, reportFile), `${JSON.stringify(result, null, 2)}\n`);
  return { entry: { report: reportFile, indication: result.report.indication, verdict: result.verdict }, result };
}

/**
 * The guided demo of one region, into `out`: a department with two seals, a sample PDF sealed
 * once, twice and three times at every PAdES level, one licence of every type with some of
 * them suspended, revoked and re-issued, a small batch, one seal revoked afterwards, each PDF
 * checked by our verifier, and a manifest describing it all.
 */
export async function runRegionDemo(ctx: AppContext, out: string): Promise<RegionDemo> {
  const { config } = ctx;
  mkdirSync(out, { recursive: true });
  const department = await ctx.departments.create(CONSOLE, {
    name: `${config.regionName}市场监督管理局（演示）`,
    creditCode: demoCreditCode(config.regionId),
    roles: ['issuer'],
  });
  const licenceSeal = await ctx.seals.create(CONSOLE, { ownerDepartmentId: department.id, type: 'licence' });
  const businessSeal = await ctx.seals.create(CONSOLE, { ownerDepartmentId: department.id, type: 'business' });
  const actor = { departmentId: department.id, keyId: null, requestId: 'demo' };

  const original = await samplePdf();
  writeFileSync(path.join(out, 'sample.pdf'), original);
  const order = [licenceSeal, businessSeal, licenceSeal];
  const sealedFiles: { file: string; signatures: number; level: PadesLevel; sealCodes: string[] }[] = [];
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
      sealedFiles.push({ file, signatures: n, level, sealCodes: order.slice(0, n).map((s) => s.sealCode) });
    }
  }
  const licences = await demoLicences(ctx, actor, out, [licenceSeal.id, businessSeal.id]);
  const revoked = await ctx.seals.revoke(CONSOLE, businessSeal.id, 'cessationOfOperation');

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

  // Checked last, so the reports show the files as an accepting department sees them today
  // (the business seal revoked, some licences suspended, revoked or superseded).
  const sealed = [];
  for (const entry of sealedFiles) sealed.push({ ...entry, ...(await verifyFile(ctx, out, entry.file)).entry });
  const licenceEntries = [];
  for (const entry of licences.entries) licenceEntries.push({ ...entry, ...(await verifyFile(ctx, out, entry.file)).entry });

  const manifest = { root: 'root.pem', chain: 'chain.pem', seals, sealed, sample: 'sample.pdf', licences: licenceEntries, licenceBatch: licences.batch };
  writeFileSync(path.join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  const tally = (entries: { indication: string }[]) => {
    const counts = new Map<string, number>();
    for (const { indication } of entries) counts.set(indication, (counts.get(indication) ?? 0) + 1);
    return [...counts].map(([indication, n]) => `${n} ${indication}`).join(', ');
  };
  return {
    issuer: actor,
    licences: licenceEntries.map(({ identifier, type, status, file }) => ({ identifier, type, status, file })),
    summary:
      `${sealed.length} sealed PDFs (${tally(sealed)}), ${licenceEntries.length} licences (${tally(licenceEntries)}), ` +
      `seals ${seals.map((s) => `${s.code} (${s.status})`).join(', ')}`,
  };
}

/**
 * One licence of every shipped type (the business licence alongside a paper one), then one
 * suspended, one revoked, one re-issued, and a small batch of paper licences with a bad row.
 */
async function demoLicences(ctx: AppContext, actor: IssuerActor, out: string, sealIds: string[]) {
  mkdirSync(path.join(out, 'licences'), { recursive: true });
  const types = ctx.licences.catalogue.list();
  // Seals of their own for licences (the newest active seal of a type seals it), so that the
  // business seal revoked later in the demo is not one that sealed a licence.
  for (const sealType of new Set(types.map((t) => t.sealType))) {
    sealIds.push((await ctx.seals.create(CONSOLE, { ownerDepartmentId: actor.departmentId, type: sealType })).id);
  }
  const issued = new Map<string, Licence>();
  for (const type of types) {
    await ctx.licences.grantPermission(CONSOLE, actor.departmentId, type.code, 'issue');
    const sample = SAMPLE_LICENCES[type.slug];
    if (!sample) continue;
    const { licence } = await ctx.licences.issue(actor, { typeCode: type.code, ...sample, level: 'B-T' });
    issued.set(type.slug, licence);
  }
  const bySlug = (slug: string) => issued.get(slug)!.identifier;
  await ctx.licences.changeStatus(actor, bySlug('disability-certificate'), 'suspend', '持证人残疾等级复核期间暂扣');
  await ctx.licences.changeStatus(actor, bySlug('tax-payment-certificate'), 'revoke', '原完税凭证作废');
  const { licence: reissued } = await ctx.licences.reissue(actor, bySlug('constructor-registration'), {
    reason: '变更聘用企业',
    fields: { ...SAMPLE_LICENCES['constructor-registration']!.fields, employer: '中铁十二局集团有限公司' },
  });
  const disability = types.find((t) => t.slug === 'disability-certificate')!;
  const csv = [
    'licenceNumber,issueDate,validFrom,holderName,holderId,sex,disabilityCategory,disabilityGrade,address',
    `14010720180001,2018-04-02,2018-04-02,周建平,${sampleId('14010719650302001')},男,视力,二级,太原市迎泽区迎泽大街1号`,
    `14010720180002,2018-04-09,2018-04-09,吴秀兰,14010719700817002X,女,听力,四级,太原市迎泽区双塔西街8号`,
    `14010720180003,2018-05-16,2018-05-16,郑晓东,${sampleId('14010719851130003')},男,肢体,三级,太原市万柏林区和平北路20号`,
  ].join('\n');
  const { job } = await ctx.licenceBatches.submit(actor, { typeCode: disability.code, format: 'csv', level: 'B-T', content: Buffer.from(csv), idempotencyKey: 'demo-batch' });
  const batch = await ctx.licenceBatches.run(job.id);
  const batchRows = await ctx.licenceBatches.rows(actor, job.id, true, { afterRow: 0, limit: 100 });

  const identifiers = [...[...issued.values()].map((l) => l.identifier), reissued.identifier, ...batchRows.flatMap((r) => (r.identifier ? [r.identifier] : []))];
  const entries = [];
  for (const identifier of identifiers) {
    const { licence, pdf } = await ctx.licences.file(actor, identifier);
    const file = `licences/${identifier}.pdf`;
    writeFileSync(path.join(out, file), pdf);
    entries.push({
      identifier,
      type: licence.typeCode,
      typeName: licence.typeName,
      licenceNumber: licence.licenceNumber,
      status: licence.status,
      file,
      verifyUrl: licence.verifyUrl,
      holderName: licence.holders.map((h) => h.name).join('、'),
      channel: licence.channel,
      ...(licence.paperNumber ? { paperNumber: licence.paperNumber } : {}),
      ...(licence.supersedes ? { supersedes: licence.supersedes } : {}),
      ...(licence.supersededBy ? { supersededBy: licence.supersededBy } : {}),
    });
  }
  return {
    entries,
    batch: { id: batch.id, status: batch.status, rows: batch.totalRows, succeeded: batch.succeededRows, failed: batch.failedRows, results: batchRows },
  };
}

function sampleId(body17: string): string {
  return body17 + residentIdCheckCharacter(body17);
}
