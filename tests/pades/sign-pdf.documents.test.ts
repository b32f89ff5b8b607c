/**
 * Sealing different kinds of input and using the options, judged from outside: classic
 * tables and cross-reference streams, linearized and multi-page files, a signature made by
 * poppler, certification (DocMDP), visible appearances (rendered by pdftoppm), CJK text
 * strings and field names (read back by qpdf), ECDSA P-384, and a time-stamp token larger
 * than the reserved room.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectPdf, signPdf, timeStampTokenFromResponse, type PadesServices, type SignPdfParams } from '../../src/pades/sign-pdf.js';
import { buildTimeStampResponse } from '../../src/pki/timestamp.js';
import { missingTool } from '../support/outside-tools.js';
import { makePadesFixtures, type PadesFixtures } from './fixtures.js';
import { extractSignatures, opensslCms, pdfsig, pdftoppm, qpdfCheck, qpdfJson } from './outside-judges.js';

const execFileAsync = promisify(execFile);
const missing = ['pdfsig', 'qpdf', 'openssl', 'certutil', 'pdftoppm', 'pk12util'].some((tool) => missingTool(tool));

type QpdfObjects = Record<string, { value?: Record<string, unknown> }>;

describe.skipIf(missing)('signPdf on different documents, judged from outside', () => {
  let f: PadesFixtures;
  let n = 0;

  beforeAll(async () => {
    f = await makePadesFixtures({ withNss: true });
  });
  afterAll(async () => {
    await f?.cleanup();
  });

  function params(overrides: Partial<SignPdfParams> & Pick<SignPdfParams, 'pdf'>): SignPdfParams {
    return { signer: f.signer(f.seal), level: 'B-T', services: f.services, signingTime: f.now, ...overrides };
  }

  async function save(pdf: Uint8Array): Promise<string> {
    const file = path.join(f.dir, `doc-${++n}.pdf`);
    await writeFile(file, pdf);
    return file;
  }

  /** pdfsig: every CAdES signature valid and trusted; qpdf: no errors. Returns the pdfsig report. */
  async function expectSound(pdf: Uint8Array, signatures: number) {
    const file = await save(pdf);
    const report = await pdfsig(file, f.nssDb);
    expect(report.signatures, report.output).toHaveLength(signatures);
    for (const signature of report.signatures) {
      expect(signature.valid, signature.text).toBe(true);
      expect(signature.trusted, signature.text).toBe(true);
    }
    expect(report.signatures.at(-1)!.totalDocumentSigned).toBe(true);
    expect((await qpdfCheck(file)).output).toContain('No syntax or stream encoding errors found');
    return { file, report };
  }

  async function objects(file: string): Promise<QpdfObjects> {
    return ((await qpdfJson(file)) as { qpdf: [unknown, QpdfObjects] }).qpdf[1];
  }

  it('appends a classic cross-reference table to a file that has one, and a stream to a file with object streams', async () => {
    const classic = await signPdf(params({ pdf: f.pdfs.classic }));
    const streams = await signPdf(params({ pdf: f.pdfs.objectStreams }));
    await expectSound(await signPdf(params({ pdf: classic, signer: f.signer(f.seal2) })), 2);
    await expectSound(await signPdf(params({ pdf: streams, signer: f.signer(f.seal2) })), 2);
    const tail = (pdf: Uint8Array, base: Uint8Array) => Buffer.from(pdf.subarray(base.length)).toString('latin1');
    expect(tail(classic, f.pdfs.classic)).toMatch(/\nxref\n\d+ \d+\n/);
    expect(tail(classic, f.pdfs.classic)).not.toContain('/Type /XRef');
    expect(tail(streams, f.pdfs.objectStreams)).toContain('/Type /XRef');
    expect(tail(streams, f.pdfs.objectStreams)).not.toMatch(/\nxref\n/);
  });

  it('seals a linearized file (qpdf --linearize) without breaking it', async () => {
    const input = path.join(f.dir, 'linearized.pdf');
    await writeFile(path.join(f.dir, 'multi.pdf'), f.pdfs.multiPage);
    await execFileAsync('qpdf', ['--linearize', path.join(f.dir, 'multi.pdf'), input]);
    const linearized = await readFile(input);
    const once = await signPdf(params({ pdf: linearized, placement: { page: 2, x: 50, y: 50, width: 100, height: 100 }, appearance: f.pdfs.appearance }));
    await expectSound(await signPdf(params({ pdf: once, signer: f.signer(f.seal2) })), 2);
  });

  it('keeps a signature poppler made, and judges poppler\'s signatures as poppler does', async () => {
    // Give the NSS database the second seal's key, and let pdfsig sign a classic-table file.
    await execFileAsync('openssl', ['pkcs12', '-export', '-inkey', path.join(f.dir, 'seal2.key'), '-in', f.seal2.pemFile, '-certfile', path.join(f.dir, 'seal-ca.pem'), '-passout', 'pass:x', '-out', path.join(f.dir, 'seal2.p12')]);
    await execFileAsync('pk12util', ['-i', path.join(f.dir, 'seal2.p12'), '-d', f.nssDb, '-W', 'x', '-K', '']);
    const plain = await save(f.pdfs.classic);

    // poppler 22.12's -add-signature is flaky: about half its signatures fail its own check
    // ("Digest Mismatch"). Our integrity check must refuse exactly those.
    let popplerSigned: Uint8Array | undefined;
    for (let attempt = 0; attempt < 12 && !popplerSigned; attempt++) {
      const byPoppler = path.join(f.dir, `poppler-signed-${attempt}.pdf`);
      await execFileAsync('pdfsig', ['-nssdir', f.nssDb, '-add-signature', '-nick', 'Second Seal - Test Trust Service', plain, byPoppler]).catch(() => undefined);
      const candidate = await readFile(byPoppler);
      const [verdict] = (await pdfsig(byPoppler, f.nssDb)).signatures;
      expect(verdict!.signatureType).toBe('adbe.pkcs7.detached');
      if (verdict!.valid) popplerSigned = candidate;
      else await expect(signPdf(params({ pdf: candidate }))).rejects.toMatchObject({ code: 'BrokenExistingSignature' });
    }
    expect(popplerSigned, 'poppler never made a signature it verifies').toBeDefined();
    expect((await inspectPdf(popplerSigned!)).signatureCount).toBe(1);

    const { report } = await expectSound(await signPdf(params({ pdf: popplerSigned! })), 2);
    expect(report.signatures.map((s) => s.signatureType)).toEqual(['adbe.pkcs7.detached', 'ETSI.CAdES.detached']);

    // Tamper with a byte poppler's signature covers: our check must notice through its CMS.
    const tampered = Buffer.from(Buffer.from(popplerSigned!).toString('latin1').replace('595.28', '595.27'), 'latin1');
    await expect(signPdf(params({ pdf: tampered }))).rejects.toMatchObject({ code: 'BrokenExistingSignature' });
  });

  it('certifies with DocMDP P=2 and a later seal keeps both valid', async () => {
    const certified = await signPdf(params({ pdf: f.pdfs.objectStreams, certify: { permissions: 2 }, reason: 'certified' }));
    const { file } = await expectSound(await signPdf(params({ pdf: certified, signer: f.signer(f.seal2) })), 2);
    const objs = await objects(file);
    const catalog = objs[`obj:${(objs.trailer!.value as Record<string, string>)['/Root']}`]!.value!;
    const perms = catalog['/Perms'] as Record<string, string>;
    const signature = objs[`obj:${perms['/DocMDP']}`]!.value!;
    expect(signature['/Type']).toBe('/Sig');
    const [reference] = signature['/Reference'] as Record<string, unknown>[];
    expect(reference).toMatchObject({ '/TransformMethod': '/DocMDP', '/TransformParams': { '/P': 2, '/V': '/1.2' } });
  });

  it('writes CJK reason, location, name and contact as UTF-16BE text strings that survive, and keeps every field', async () => {
    const first = await signPdf(params({ pdf: f.pdfs.objectStreams, reason: '营业执照电子印章', location: '北京市', name: '某某市市场监督管理局', contactInfo: '电话 010-12345678', fieldName: '电子印章' }));
    const second = await signPdf(params({ pdf: first, signer: f.signer(f.seal2) }));
    const third = await signPdf(params({ pdf: second, signer: f.signer(f.sealP384) }));
    const { file } = await expectSound(third, 3);
    const objs = await objects(file);
    const catalog = objs[`obj:${(objs.trailer!.value as Record<string, string>)['/Root']}`]!.value!;
    const acroForm = (typeof catalog['/AcroForm'] === 'string' ? objs[`obj:${catalog['/AcroForm']}`]!.value! : catalog['/AcroForm']) as Record<string, unknown>;
    expect(acroForm['/SigFlags']).toBe(3);
    const fields = (acroForm['/Fields'] as string[]).map((ref) => objs[`obj:${ref}`]!.value!);
    expect(fields.map((field) => field['/T'])).toEqual(['u:电子印章', 'u:Seal1', 'u:Seal2']);
    const sig = objs[`obj:${fields[0]!['/V'] as string}`]!.value!;
    expect(sig).toMatchObject({ '/Reason': 'u:营业执照电子印章', '/Location': 'u:北京市', '/Name': 'u:某某市市场监督管理局', '/ContactInfo': 'u:电话 010-12345678' });
    expect(sig['/M']).toMatch(/^u:D:\d{14}\+00'00'$/);
  });

  it('signs with ECDSA P-384 as ecdsa-with-SHA384 over a SHA-384 messageDigest', async () => {
    const pdf = await signPdf(params({ pdf: f.pdfs.classic, signer: f.signer(f.sealP384) }));
    await expectSound(pdf, 1);
    const { verify, print } = await opensslCms(f.dir, 'p384', extractSignatures(pdf)[0]!, f.root.pemFile);
    expect(verify).toContain('CMS Verification successful');
    expect(print).toMatch(/digestAlgorithm:\s*\n\s*algorithm: sha384/);
    expect(print).toMatch(/signatureAlgorithm:\s*\n\s*algorithm: ecdsa-with-SHA384/);
  });

  it('draws the appearance scaled into the rectangle on the right page, and nothing elsewhere', async () => {
    const placement = { page: 3, x: 300, y: 500, width: 160, height: 100 };
    const pdf = await signPdf(params({ pdf: f.pdfs.multiPage, level: 'B-B', placement, appearance: f.pdfs.appearance }));
    const { file } = await expectSound(pdf, 1);
    expect(await inspectPdf(pdf)).toEqual({ pageCount: 3, signatureCount: 1, pageSizes: Array(3).fill({ width: 595.28, height: 841.89 }) });

    await pdftoppm(file, path.join(f.dir, 'seal-page'), 3, 'png'); // for a human to look at
    const page3 = await renderedPixels(file, 3);
    const page2 = await renderedPixels(file, 2);
    const toPixels = (points: number) => Math.round((points * 100) / 72);
    const rect = {
      x0: toPixels(placement.x),
      x1: toPixels(placement.x + placement.width),
      y0: page3.height - toPixels(placement.y + placement.height),
      y1: page3.height - toPixels(placement.y),
    };
    expect(page3.redPixels(rect)).toBeGreaterThan(500);
    // Scaled to fit: the 200x200 seal becomes 100x100, centred, so the rectangle's left and right 30 pt stay blank.
    expect(page3.redPixels({ ...rect, x1: rect.x0 + toPixels(28) })).toBe(0);
    expect(page3.redPixels({ ...rect, x0: rect.x1 - toPixels(28) })).toBe(0);
    expect(page3.redPixels({ x0: 0, x1: page3.width, y0: 0, y1: rect.y0 - 2 })).toBe(0);
    expect(page2.redPixels({ x0: 0, x1: page2.width, y0: 0, y1: page2.height })).toBe(0);
  });

  it('makes room for a time-stamp token larger than expected by signing again, once', async () => {
    const services = bigTokenServices(f);
    const before = f.calls.timestamp;
    const pdf = await signPdf(params({ pdf: f.pdfs.objectStreams, services }));
    expect(f.calls.timestamp - before).toBe(2);
    await expectSound(pdf, 1);
    expect(extractSignatures(pdf)[0]!.der.length).toBeGreaterThan(9000);
    // The token size is now known for these services: the next seal signs once.
    const again = f.calls.timestamp;
    await signPdf(params({ pdf: f.pdfs.objectStreams, services }));
    expect(f.calls.timestamp - again).toBe(1);
  });
});

/** The fixtures' TSA, with ten extra certificates in every token: larger than the first guess of 8 KB. */
function bigTokenServices(f: PadesFixtures): PadesServices {
  return {
    async timestamp(digest) {
      f.calls.timestamp++;
      const response = await buildTimeStampResponse({
        request: { hashAlgorithm: 'SHA-256', hashedMessage: digest, reqPolicy: null, nonce: null, certReq: true },
        policy: '1.2.3.4.5',
        serialNumber: randomBytes(8),
        genTime: f.now,
        signer: { certificate: f.tsa.der, privateKey: f.tsa.privateKey, crypto },
        extraCerts: [f.root.der, ...Array<Uint8Array>(10).fill(f.sealRsa.der)],
      });
      return timeStampTokenFromResponse(response);
    },
    revocationData: f.services.revocationData,
  };
}

/** pdftoppm's PPM rendering of one page at 100 dpi, with a counter of clearly red pixels. */
async function renderedPixels(file: string, page: number) {
  const stem = `${file}-p${page}`;
  await pdftoppm(file, stem, page, 'ppm');
  const ppm = await readFile(`${stem}.ppm`);
  const header = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(ppm.subarray(0, 64).toString('latin1'))!;
  const [width, height] = [Number(header[1]), Number(header[2])];
  const data = ppm.subarray(header[0].length);
  return {
    width,
    height,
    redPixels({ x0, x1, y0, y1 }: { x0: number; x1: number; y0: number; y1: number }): number {
      let count = 0;
      for (let y = Math.max(0, y0); y < Math.min(height, y1); y++) {
        for (let x = Math.max(0, x0); x < Math.min(width, x1); x++) {
          const at = (y * width + x) * 3;
          if (data[at]! > 150 && data[at + 1]! < 100 && data[at + 2]! < 100) count++;
        }
      }
      return count;
    },
  };
}

