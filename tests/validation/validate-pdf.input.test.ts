/**
 * Inputs that are not (usable) signed PDFs: refused with UnusableInputError when nothing can
 * be validated, otherwise a report; never another exception, never a hang, and bounded work
 * on hostile structures (nesting, loops, huge counts, decompression bombs, many signatures).
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { signPdf } from '../../src/pades/sign-pdf.js';
import { UnusableInputError, validatePdf, type ValidationReport } from '../../src/validation/validate-pdf.js';
import { makePadesFixtures, type PadesFixtures } from '../pades/fixtures.js';
import { missingTool } from '../support/outside-tools.js';
import { appendRevision, inspect, policyFor, stream, withEntries } from './validation-fixtures.js';

const execFileAsync = promisify(execFile);
const missing = missingTool('openssl') || missingTool('qpdf');

describe.skipIf(missing)('unusable and hostile input', () => {
  let f: PadesFixtures;
  let signed: Uint8Array;
  let signedLt: Uint8Array;

  beforeAll(async () => {
    f = await makePadesFixtures({ withNss: false });
    signed = await signPdf({ pdf: f.pdfs.classic, signer: f.signer(f.seal), level: 'B-B', services: f.services, signingTime: f.now });
    signedLt = await signPdf({ pdf: f.pdfs.objectStreams, signer: f.signer(f.seal), level: 'B-LTA', services: f.services, signingTime: f.now });
  });
  afterAll(async () => {
    await f?.cleanup();
  });

  const refused = async (pdf: Uint8Array, code: string, overrides = {}) => {
    const error = await validatePdf(pdf, policyFor(f, overrides)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnusableInputError);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ code });
  };

  it.each([
    ['empty', new Uint8Array(0)],
    ['not a PDF', Buffer.from('<html><body>hello</body></html>')],
    ['a header and nothing else', Buffer.from('%PDF-1.7\n%%EOF\n')],
    ['random bytes after a header', Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131) % 251))])],
  ])('refuses %s as UnusablePdf', async (_, pdf) => {
    await refused(pdf, 'UnusablePdf');
  });

  it('refuses a file cut before its first revision ends; a file cut after it is an unsigned revision plus junk', async () => {
    await refused(signed.subarray(0, 300), 'UnusablePdf');
    const firstEof = Buffer.from(signed).indexOf('%%EOF') + 6;
    const cut = await validatePdf(signed.subarray(0, firstEof + 500), policyFor(f));
    expect(cut).toMatchObject({ indication: 'INDETERMINATE', document: { signatures: 0 } });
    expect(cut.warnings).toEqual(expect.arrayContaining(['no signatures', expect.stringMatching(/bytes after the last revision/)]));
  });

  it('refuses an encrypted PDF as EncryptedPdf', async () => {
    const plain = path.join(f.dir, 'plain.pdf');
    const encrypted = path.join(f.dir, 'encrypted.pdf');
    await writeFile(plain, f.pdfs.classic);
    await execFileAsync('qpdf', ['--encrypt', 'user', 'owner', '256', '--', plain, encrypted]);
    await refused(await readFile(encrypted), 'EncryptedPdf');
  });

  it('refuses a PDF over the size limit as PdfTooLarge', async () => {
    await refused(signed, 'PdfTooLarge', { maxBytes: 1000 });
  });

  it('answers a PDF without signatures with INDETERMINATE and the warning "no signatures"', async () => {
    const report = await validatePdf(f.pdfs.multiPage, policyFor(f));
    expect(report).toMatchObject({ indication: 'INDETERMINATE', signatures: [], document: { pages: 3, revisions: 1, signatures: 0 } });
    expect(report.subIndication).toBeUndefined();
    expect(report.warnings).toContain('no signatures');
  });

  it('validates a signed linearized file, and a qpdf rewrite with PNG-predicted cross-reference streams', async () => {
    const input = path.join(f.dir, 'multi.pdf');
    await writeFile(input, f.pdfs.multiPage);
    for (const [name, args] of [['linearized', ['--linearize']], ['object-streams', ['--object-streams=generate', '--compress-streams=y']]] as const) {
      const output = path.join(f.dir, `${name}.pdf`);
      await execFileAsync('qpdf', [...args, input, output]);
      const pdf = await signPdf({ pdf: await readFile(output), signer: f.signer(f.seal), level: 'B-T', services: f.services, signingTime: f.now });
      const report = await validatePdf(pdf, policyFor(f));
      expect(report.indication, `${name}: ${JSON.stringify(report.signatures[0]?.errors)}`).toBe('PASSED');
      expect(report.document).toMatchObject({ pages: 3, revisions: 2 });
    }
  });

  it('warns about bytes after the last %%EOF, which no signature and no revision covers', async () => {
    const report = await validatePdf(Buffer.concat([Buffer.from(signed), Buffer.from('\ntrailing junk')]), policyFor(f));
    expect(report.indication).toBe('PASSED');
    expect(report.warnings.join()).toMatch(/bytes after the last revision's %%EOF/);
  });

  it('survives 300 random corruptions of a B-LTA file: a report or UnusableInputError, each quickly', async () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const indications = new Map<string, number>();
    for (let n = 0; n < 300; n++) {
      const pdf = Buffer.from(signedLt);
      const edits = 1 + Math.floor(random() * 8);
      for (let e = 0; e < edits; e++) pdf[Math.floor(random() * pdf.length)] = Math.floor(random() * 256);
      const started = performance.now();
      let outcome: string;
      try {
        const report: ValidationReport = await validatePdf(pdf, policyFor(f));
        outcome = report.indication;
      } catch (error) {
        expect(error, String(error)).toBeInstanceOf(UnusableInputError);
        outcome = 'unusable';
      }
      expect(performance.now() - started).toBeLessThan(1000);
      indications.set(outcome, (indications.get(outcome) ?? 0) + 1);
    }
    expect(indications.get('PASSED') ?? 0).toBeLessThan(300);
  });

  it('bounds hostile structures: deep nesting, a /Prev loop, a huge subsection, a decompression bomb, many signatures', async () => {
    const i = await inspect(signed);
    const catalog = i.context.lookup(i.catalogRef);
    const extra = i.largest + 1;
    const time = async (pdf: Uint8Array, overrides = {}) => {
      const started = performance.now();
      const outcome = await validatePdf(pdf, policyFor(f, overrides)).catch((error: unknown) => error);
      expect(performance.now() - started).toBeLessThan(2000);
      if (outcome instanceof Error) expect(outcome).toBeInstanceOf(UnusableInputError);
      return outcome as ValidationReport | UnusableInputError;
    };

    // 200,000 nested arrays in an object the catalog now references.
    const nested = await appendRevision(signed, {
      objects: [
        { num: extra, body: `${'['.repeat(200_000)}${']'.repeat(200_000)}` },
        { num: i.catalogRef.objectNumber, body: withEntries(catalog as never, { Deep: `${extra} 0 R` }) },
      ],
    });
    expect(await time(nested)).toMatchObject({ indication: 'FAILED' });

    // A revision whose /Prev points at itself.
    const text = Buffer.from(signed).toString('latin1');
    const loopAt = signed.length + 1;
    const loop = Buffer.concat([Buffer.from(signed), Buffer.from(`\nxref\n0 1\n0000000000 65535 f\r\ntrailer\n<< /Size ${extra} /Root ${i.catalogRef.toString()} /Prev ${loopAt} >>\nstartxref\n${loopAt}\n%%EOF\n`, 'latin1')]);
    expect(text.length).toBeGreaterThan(0);
    const looped = await time(loop);
    expect(looped).toMatchObject({ indication: 'PASSED' });
    expect((looped as ValidationReport).warnings.join()).toMatch(/last startxref does not lead/);

    // A subsection claiming two billion entries.
    const huge = Buffer.concat([Buffer.from(signed), Buffer.from(`\nxref\n0 2000000000\n0000000000 65535 f\r\ntrailer\n<< /Size 2000000000 /Root ${i.catalogRef.toString()} >>\nstartxref\n${signed.length + 1}\n%%EOF\n`, 'latin1')]);
    await time(huge);

    // A DSS stream that inflates to 50 MB, against a 1 MB stream limit.
    const bomb = deflateSync(Buffer.alloc(50 * 1024 * 1024));
    const withBomb = await appendRevision(signed, {
      objects: [
        { num: extra, body: Buffer.concat([Buffer.from(`<< /Filter /FlateDecode /Length ${bomb.length} >>\nstream\n`, 'latin1'), bomb, Buffer.from('\nendstream', 'latin1')]) },
        { num: i.catalogRef.objectNumber, body: withEntries(catalog as never, { DSS: `<< /Certs [${extra} 0 R] >>` }) },
      ],
    });
    expect(await time(withBomb, { limits: { maxStreamBytes: 1024 * 1024 } })).toMatchObject({ indication: 'PASSED' });

    // 150 signature fields, against a limit of 20.
    const many = await appendRevision(signed, {
      objects: [
        ...Array.from({ length: 150 }, (_, k) => ({ num: extra + k, body: `<< /FT /Sig /T (Fake${k}) /V << /Type /Sig /SubFilter /ETSI.CAdES.detached /ByteRange [0 1 2 3] /Contents <00> >> >>` })),
        { num: i.catalogRef.objectNumber, body: withEntries(catalog as never, { AcroForm: `<< /Fields [${Array.from({ length: 150 }, (_, k) => `${extra + k} 0 R`).join(' ')}] >>` }) },
      ],
    });
    const manyReport = (await time(many, { maxSignatures: 20 })) as ValidationReport;
    expect(manyReport.signatures).toHaveLength(20);
    expect(manyReport.warnings.join()).toMatch(/only the first 20 signatures/);

    // Too many revisions.
    let stacked: Uint8Array = signed;
    for (let k = 0; k < 30; k++) stacked = await appendRevision(stacked, { objects: [{ num: extra, body: stream(`% ${k}`) }] });
    await refused(stacked, 'UnusablePdf', { limits: { maxRevisions: 10 } });
  });
});
