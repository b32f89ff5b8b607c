/**
 * Good files: what our signer makes at each PAdES baseline level, one and two seals, EC
 * P-256, P-384 and RSA, visible and invisible, classic tables and cross-reference streams.
 * Each must be PASSED at the right level, and poppler's pdfsig (with an NSS database that
 * trusts only the test root) must agree on which signatures are valid and who signed them.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPdf, type PadesLevel, type SignPdfParams } from '../../src/pades/sign-pdf.js';
import { createValidator, validatePdf, type ValidationReport } from '../../src/validation/validate-pdf.js';
import { makePadesFixtures, SEAL_CN, type PadesFixtures } from '../pades/fixtures.js';
import { pdfsig } from '../pades/outside-judges.js';
import { missingTool } from '../support/outside-tools.js';
import { DAY, policyFor, ScriptedRevocationSource } from './validation-fixtures.js';

const LEVELS: PadesLevel[] = ['B-B', 'B-T', 'B-LT', 'B-LTA'];
const missing = ['pdfsig', 'openssl', 'certutil'].some((tool) => missingTool(tool));

describe.skipIf(missing)('good files at every level', () => {
  let f: PadesFixtures;
  const files = new Map<string, Uint8Array>();

  beforeAll(async () => {
    f = await makePadesFixtures({ withNss: true });
    for (const level of LEVELS) {
      for (const [kind, base] of [['streams', f.pdfs.objectStreams], ['classic', f.pdfs.classic]] as const) {
        const common = { level, services: f.services, signingTime: f.now } satisfies Partial<SignPdfParams>;
        const one = await signPdf({ pdf: base, signer: f.signer(f.seal), placement: { page: 1, x: 60, y: 60, width: 120, height: 120 }, appearance: f.pdfs.appearance, reason: '营业执照电子印章', ...common });
        const two = await signPdf({ pdf: one, signer: f.signer(f.sealRsa), ...common });
        files.set(`${level}-${kind}-1`, one);
        files.set(`${level}-${kind}-2`, two);
      }
    }
    files.set('p384', await signPdf({ pdf: f.pdfs.multiPage, signer: f.signer(f.sealP384), level: 'B-T', services: f.services, signingTime: f.now }));
  });
  afterAll(async () => {
    await f?.cleanup();
  });

  const cades = (report: ValidationReport) => report.signatures.filter((s) => s.kind === 'signature');

  describe.each(LEVELS)('%s', (level) => {
    it.each(['streams', 'classic'])('%s: one and two seals are PASSED at %s, with signer, chain and coverage', async (kind) => {
      for (const count of [1, 2]) {
        const report = await validatePdf(files.get(`${level}-${kind}-${count}`)!, policyFor(f));
        expect(report.indication, JSON.stringify(report.signatures.map((s) => s.errors))).toBe('PASSED');
        expect(cades(report)).toHaveLength(count);
        expect(report.signatures.filter((s) => s.kind === 'document-timestamp')).toHaveLength(level === 'B-LTA' ? count : 0);
        for (const signature of cades(report)) {
          expect(signature.level).toBe(level);
          expect(signature.subFilter).toBe('ETSI.CAdES.detached');
          expect(signature.coverage.coversWholeRevision).toBe(true);
          expect(signature.chain.trustAnchor).toMatchObject({ subject: 'CN=Test Root CA,O=Test Trust Service,C=CN', name: 'Test region' });
          expect(signature.chain.certificates.map((c) => c.subject.split(',')[0])).toEqual([expect.stringMatching(/^CN=/), 'CN=Test Seal CA', 'CN=Test Root CA']);
          expect(signature.modificationsAfter.classification).not.toBe('disallowed');
          expect(signature.warnings).toEqual([]);
          if (level === 'B-B') {
            expect(signature.timestamp).toBeNull();
            expect(signature.bestSignatureTime).toBe(report.validationTime);
          } else {
            expect(signature.timestamp).toMatchObject({ valid: true, tsa: 'CN=Test TSA,O=Test Trust Service,C=CN' });
            expect(signature.bestSignatureTime).toBe(f.now.toISOString());
          }
          expect(signature.revocation.now).toMatchObject({ status: 'good', source: 'service' });
          if (level === 'B-LT' || level === 'B-LTA') expect(signature.revocation.atSigning).toMatchObject({ status: 'good', source: 'dss-ocsp' });
        }
        expect(cades(report)[0]!.signer).toMatchObject({ commonName: SEAL_CN, organisation: '测试单位', serialNumber: '1001' });
        expect(cades(report)[1]?.signer?.commonName ?? 'RSA Seal').toBe('RSA Seal');
        expect(report.document).toMatchObject({ pages: 1, signatures: report.signatures.length });
      }
    });

    it('pdfsig agrees: the same signatures, valid and trusted, signed by the same certificates', async () => {
      const pdf = files.get(`${level}-streams-2`)!;
      const file = path.join(f.dir, `validation-${level}.pdf`);
      await writeFile(file, pdf);
      const judge = await pdfsig(file, f.nssDb);
      const ours = await validatePdf(pdf, policyFor(f));
      const theirs = judge.signatures.filter((s) => s.signatureType === 'ETSI.CAdES.detached');
      expect(theirs).toHaveLength(cades(ours).length);
      for (const [i, signature] of cades(ours).entries()) {
        expect(theirs[i]!.valid, theirs[i]!.text).toBe(true);
        expect(theirs[i]!.trusted, theirs[i]!.text).toBe(true);
        expect(signature.indication).toBe('PASSED');
        expect(signature.signer?.commonName).toBe(theirs[i]!.commonName);
      }
      // pdfsig's "total document signed" is our "no changes after the signed revision".
      expect(judge.signatures.at(-1)!.totalDocumentSigned).toBe(ours.signatures.at(-1)!.modificationsAfter.classification === 'none');
    });
  });

  it('ECDSA P-384 on a three-page document', async () => {
    const report = await validatePdf(files.get('p384')!, policyFor(f));
    expect(report.indication).toBe('PASSED');
    expect(report.document.pages).toBe(3);
    expect(report.signatures[0]!.signer?.commonName).toBe('P-384 Seal');
  });

  it('B-LT and B-LTA stay PASSED after every certificate but the root expired, without asking any service', async () => {
    const later = new Date(f.now.getTime() + 40 * DAY);
    for (const level of ['B-LT', 'B-LTA'] as const) {
      const report = await validatePdf(files.get(`${level}-streams-2`)!, policyFor(f, { now: later, revocation: undefined }));
      expect(report.indication, JSON.stringify(report.signatures.map((s) => s.errors))).toBe('PASSED');
      for (const signature of cades(report)) {
        expect(signature.bestSignatureTime).toBe(f.now.toISOString());
        expect(signature.revocation.atSigning.status).toBe('good');
        expect(signature.revocation.now.status).toBe('not-checked');
      }
    }
  });

  it('B-B has nothing to prove its time: expired certificates make it INDETERMINATE/OUT_OF_BOUNDS_NO_POE; B-T is still PASSED', async () => {
    const later = new Date(f.now.getTime() + 40 * DAY);
    const bb = await validatePdf(files.get('B-B-streams-1')!, policyFor(f, { now: later }));
    expect(bb).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'OUT_OF_BOUNDS_NO_POE' });
    expect(bb.signatures[0]!.errors.join()).toMatch(/expired/);
    const bt = await validatePdf(files.get('B-T-streams-1')!, policyFor(f, { now: later }));
    expect(bt.indication).toBe('PASSED');
  });

  it('without a revocation source, a B-B or B-T signature is INDETERMINATE/TRY_LATER (no revocation information)', async () => {
    for (const level of ['B-B', 'B-T']) {
      const report = await validatePdf(files.get(`${level}-classic-1`)!, policyFor(f, { revocation: undefined }));
      expect(report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER' });
      expect(report.signatures[0]!.errors.join()).toMatch(/no revocation information/);
    }
  });

  it('a reused validator gives the same reports and asks the source once per certificate and document', async () => {
    const source = new ScriptedRevocationSource();
    const validator = createValidator({ trustAnchors: [{ certificateDer: f.root.der }], revocation: source });
    const pdf = files.get('B-T-classic-2')!;
    const first = await validator.validate(pdf, { now: policyFor(f).now });
    const asked = source.asked.length;
    const second = await validator.validate(pdf, { now: policyFor(f).now });
    expect(second).toEqual(first);
    expect(asked).toBe(4); // two seals and the seal CA, and the TSA: each (certificate, issuer) pair once
    expect(source.asked.length).toBe(2 * asked);
  });
});
