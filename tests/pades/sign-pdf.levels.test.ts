/**
 * One, two and three seals on one document at each PAdES baseline level, judged by tools
 * nobody here wrote: poppler's pdfsig with an NSS database trusting only the test root, qpdf,
 * and openssl (cms -verify over the byte ranges, cms -print, ts -verify, ocsp, crl).
 * (See outside-judges.ts for why pdfsig runs without -no-ocsp and still stays off the network.)
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPdf, type PadesLevel, type SignPdfParams } from '../../src/pades/sign-pdf.js';
import { openssl } from '../support/openssl.js';
import { missingTool } from '../support/outside-tools.js';
import { makePadesFixtures, SEAL_CN, type PadesFixtures } from './fixtures.js';
import { extractSignatures, opensslCms, pdfsig, qpdfCheck, qpdfJson } from './outside-judges.js';

const LEVELS: PadesLevel[] = ['B-B', 'B-T', 'B-LT', 'B-LTA'];
const SEAL_COUNTS = [1, 2, 3] as const;
const missing = missingTool('pdfsig') || missingTool('qpdf') || missingTool('openssl') || missingTool('certutil');

describe.skipIf(missing)('PAdES baseline levels, judged by pdfsig, qpdf and openssl', () => {
  let f: PadesFixtures;
  /** Per level: the file after one, two and three seals. */
  const sealed = new Map<PadesLevel, { files: string[]; pdfs: Uint8Array[] }>();

  beforeAll(async () => {
    f = await makePadesFixtures({ withNss: true });
    // Seal 1: EC P-256 with the Chinese CN, visible; seal 2: RSA-3072, invisible; seal 3: a second EC seal, visible.
    const seals = (level: PadesLevel): Omit<SignPdfParams, 'pdf'>[] => [
      { signer: f.signer(f.seal), level, services: f.services, signingTime: f.now, reason: '营业执照电子印章', location: '北京', placement: { page: 1, x: 60, y: 60, width: 120, height: 120 }, appearance: f.pdfs.appearance },
      { signer: f.signer(f.sealRsa), level, services: f.services, signingTime: f.now, name: 'RSA seal' },
      { signer: f.signer(f.seal2), level, services: f.services, signingTime: f.now, placement: { page: 1, x: 400, y: 60, width: 120, height: 120 }, appearance: f.pdfs.appearance },
    ];
    for (const level of LEVELS) {
      const files: string[] = [];
      const pdfs: Uint8Array[] = [];
      let pdf: Uint8Array = f.pdfs.objectStreams;
      for (const [i, params] of seals(level).entries()) {
        pdf = await signPdf({ pdf, ...params });
        const file = path.join(f.dir, `${level}-${i + 1}.pdf`);
        await writeFile(file, pdf);
        files.push(file);
        pdfs.push(pdf);
      }
      sealed.set(level, { files, pdfs });
    }
  });
  afterAll(async () => {
    await f?.cleanup();
  });

  describe.each(LEVELS)('%s', (level) => {
    const file = (seals: number) => sealed.get(level)!.files[seals - 1]!;
    const pdf = (seals: number) => sealed.get(level)!.pdfs[seals - 1]!;

    it.each(SEAL_COUNTS)('%i seal(s): pdfsig finds every seal valid and trusted, and the last signature covers what it should', async (seals) => {
      const { output, signatures } = await pdfsig(file(seals), f.nssDb);
      const cades = signatures.filter((s) => s.signatureType === 'ETSI.CAdES.detached');
      expect(cades, output).toHaveLength(seals);
      for (const signature of cades) {
        expect(signature.valid, signature.text).toBe(true);
        expect(signature.trusted, signature.text).toBe(true);
      }
      expect(cades[0]!.commonName).toBe(SEAL_CN);
      expect(cades[1]?.commonName ?? 'RSA Seal').toBe('RSA Seal');

      const last = signatures[signatures.length - 1]!;
      if (level === 'B-LTA') {
        // The document time-stamp is last and covers the whole file. pdfsig 22.12 reads its
        // CMS (the TSA as signer) but cannot validate ETSI.RFC3161; openssl ts does below.
        expect(signatures).toHaveLength(2 * seals);
        expect(last.commonName).toBe('Test TSA');
        expect(last.totalDocumentSigned, last.text).toBe(true);
      } else if (level === 'B-LT') {
        // PAdES B-LT: the DSS is an update after the signature (ETSI EN 319 142-1 §6.3), so the
        // last signature cannot cover it; the uncovered tail holds the DSS and nothing else.
        expect(last.totalDocumentSigned, last.text).toBe(false);
        const [, , gapEnd, tail] = extractSignatures(pdf(seals)).at(-1)!.byteRange;
        const after = Buffer.from(pdf(seals).subarray(gapEnd + tail)).toString('latin1');
        expect(after).toMatch(/\/Certs \[[^\]]*\]\s*\/OCSPs \[/); // the DSS dictionary (new, or rewritten in place)
        expect(after).not.toMatch(/\/Type \/(Sig|Annot|Page)\b/);
      } else {
        expect(signatures).toHaveLength(seals);
        expect(last.totalDocumentSigned, last.text).toBe(true);
      }
    });

    it.each(SEAL_COUNTS)('%i seal(s): qpdf --check finds no errors', async (seals) => {
      const { code, output } = await qpdfCheck(file(seals));
      expect(output).toContain('No syntax or stream encoding errors found');
      expect(output).not.toMatch(/WARNING|ERROR/);
      expect(code).toBe(0);
    });

    it.each(SEAL_COUNTS)('%i seal(s): openssl verifies each CMS over its byte ranges and shows PAdES attributes', async (seals) => {
      const signatures = extractSignatures(pdf(seals));
      expect(signatures).toHaveLength(level === 'B-LTA' ? 2 * seals : seals);
      for (const [n, signature] of signatures.entries()) {
        expect(signature.padding).toMatch(/^0*$/);
        const name = `${level}-${seals}-${n}`;
        if (signature.subFilter === 'ETSI.RFC3161') {
          await writeFile(path.join(f.dir, `${name}.tst`), signature.der);
          await writeFile(path.join(f.dir, `${name}.bin`), signature.signedBytes);
          const verified = await openssl(['ts', '-verify', '-data', `${name}.bin`, '-in', `${name}.tst`, '-token_in', '-CAfile', f.root.pemFile], { cwd: f.dir });
          expect(verified.stdout + verified.stderr).toContain('Verification: OK');
          continue;
        }
        expect(signature.subFilter).toBe('ETSI.CAdES.detached');
        const { verify, print } = await opensslCms(f.dir, name, signature, f.root.pemFile);
        expect(verify).toContain('CMS Verification successful');
        expect(print).toContain('id-smime-aa-signingCertificateV2');
        expect(print).toContain('messageDigest');
        expect(print).not.toMatch(/signingTime/);
        if (level === 'B-B') expect(print).not.toContain('id-smime-aa-timeStampToken');
        else expect(print).toContain('id-smime-aa-timeStampToken');
      }
    });

    it('keeps every earlier revision byte for byte', () => {
      const [one, two, three] = sealed.get(level)!.pdfs;
      expect(Buffer.compare(two!.subarray(0, one!.length), one!)).toBe(0);
      expect(Buffer.compare(three!.subarray(0, two!.length), two!)).toBe(0);
      expect(Buffer.compare(one!.subarray(0, f.pdfs.objectStreams.length), f.pdfs.objectStreams)).toBe(0);
    });

    if (level === 'B-LT' || level === 'B-LTA') it('has a DSS whose certificates, OCSP responses and CRL openssl accepts', async () => {
      const json = (await qpdfJson(file(3))) as { qpdf: [unknown, Record<string, { value?: Record<string, unknown>; stream?: { data: string } }>] };
      const objects = json.qpdf[1];
      const value = (ref: unknown) => objects[`obj:${ref as string}`]!;
      const catalog = value((objects.trailer!.value as Record<string, unknown>)['/Root']).value!;
      const dss = value(catalog['/DSS']).value as Record<string, string[]>;
      const streams = (key: string) => (dss[key] ?? []).map((ref) => Buffer.from(value(ref).stream!.data, 'base64'));

      const subjects: string[] = [];
      for (const [i, der] of streams('/Certs').entries()) {
        await writeFile(path.join(f.dir, `dss-cert-${i}.der`), der);
        subjects.push((await openssl(['x509', '-inform', 'DER', '-in', `dss-cert-${i}.der`, '-noout', '-subject', '-nameopt', 'utf8'], { cwd: f.dir })).stdout);
      }
      expect(subjects.join('')).toContain(SEAL_CN);
      for (const cn of ['Second Seal', 'RSA Seal', 'Test Seal CA', 'Test Root CA', 'Test TSA']) expect(subjects.join('')).toContain(cn);
      expect(subjects).toHaveLength(new Set(subjects).size); // no certificate twice

      const ocsps = streams('/OCSPs');
      expect(ocsps).toHaveLength(3); // one per seal certificate
      for (const [i, der] of ocsps.entries()) {
        await writeFile(path.join(f.dir, `dss-ocsp-${i}.der`), der);
        const text = await openssl(['ocsp', '-respin', `dss-ocsp-${i}.der`, '-CAfile', path.join(f.dir, 'chain.pem'), '-resp_text'], { cwd: f.dir });
        expect(text.stdout + text.stderr).toContain('Response verify OK');
        expect(text.stdout).toContain('Cert Status: good');
      }
      const crls = streams('/CRLs');
      expect(crls).toHaveLength(1);
      await writeFile(path.join(f.dir, 'dss-crl.der'), crls[0]!);
      const crl = await openssl(['crl', '-inform', 'DER', '-in', 'dss-crl.der', '-CAfile', f.root.pemFile, '-noout'], { cwd: f.dir });
      expect(crl.stdout + crl.stderr).toContain('verify OK');
    });
  });
});
