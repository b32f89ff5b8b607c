/**
 * The ETSI EN 319 102-1 decisions that depend on the policy and on time: trust anchors and
 * intermediates, revocation (with and without proof of existence), the revocation source's
 * deadline, expired and not-yet-valid certificates, and DocMDP / form filling.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PDFArray, PDFDict, PDFName, PDFRef } from '@cantoo/pdf-lib';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { signPdf, type SignPdfParams } from '../../src/pades/sign-pdf.js';
import { buildCertificate } from '../../src/pki/certificate.js';
import { x509 } from '../../src/pki/x509.js';
import { validatePdf } from '../../src/validation/validate-pdf.js';
import { makePadesFixtures, type Issued, type PadesFixtures } from '../pades/fixtures.js';
import { missingTool } from '../support/outside-tools.js';
import { appendRevision, DAY, HOUR, inspect, policyFor, ScriptedRevocationSource, servicesAt, stream, withEntries } from './validation-fixtures.js';

const missing = missingTool('openssl');

describe.skipIf(missing)('policy, time and permissions', () => {
  let f: PadesFixtures;
  const at = (offset: number) => new Date(f.now.getTime() + offset);
  const sign = (pdf: Uint8Array, params: Partial<SignPdfParams> = {}) =>
    signPdf({ pdf, signer: f.signer(f.seal), level: 'B-B', services: f.services, signingTime: f.now, ...params });
  const revokedSource = (serial: string, revokedAt: Date, reason = 'keyCompromise') => {
    const source = new ScriptedRevocationSource();
    source.revoked.set(serial, { revokedAt, reason });
    return source;
  };

  beforeAll(async () => {
    f = await makePadesFixtures({ withNss: false });
  });
  afterAll(async () => {
    await f?.cleanup();
  });

  describe('trust', () => {
    it('an untrusted root gives INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND, with the chain as far as it goes', async () => {
      const pdf = await sign(f.pdfs.classic);
      const report = await validatePdf(pdf, policyFor(f, { trustAnchors: [{ certificateDer: f.tsa.der }] }));
      expect(report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND' });
      const signature = report.signatures[0]!;
      expect(signature.chain.trustAnchor).toBeNull();
      // Our signer leaves the self-signed root out of the CMS, so the path stops at the seal CA.
      expect(signature.chain.certificates.map((c) => c.subject.split(',')[0])).toEqual(['CN=某某市市场监督管理局电子印章', 'CN=Test Seal CA']);
      expect(signature.errors.join()).toMatch(/no issuer certificate found for 'CN=Test Seal CA.*' .* that leads to a trust anchor/);
      const withRoot = await validatePdf(pdf, policyFor(f, { trustAnchors: [{ certificateDer: f.tsa.der }], intermediates: [f.root.der] }));
      expect(withRoot.signatures[0]!.errors.join()).toMatch(/ends at 'CN=Test Root CA.*', which is not a trust anchor/);
      expect((await validatePdf(pdf, policyFor(f, { trustAnchors: [] }))).subIndication).toBe('NO_CERTIFICATE_CHAIN_FOUND');
    });

    it('finds a missing intermediate among the policy\'s intermediates', async () => {
      const pdf = await sign(f.pdfs.classic, { signer: { ...f.signer(f.seal), chain: [] } });
      expect((await validatePdf(pdf, policyFor(f))).subIndication).toBe('NO_CERTIFICATE_CHAIN_FOUND');
      expect((await validatePdf(pdf, policyFor(f, { intermediates: [f.sealCa.der] }))).indication).toBe('PASSED');
    });

    it('a trust anchor that is not a certificate is a configuration error', async () => {
      await expect(validatePdf(await sign(f.pdfs.classic), policyFor(f, { trustAnchors: [{ certificateDer: new Uint8Array([1, 2, 3]) }] }))).rejects.toMatchObject({ code: 'InvalidTrustAnchor' });
    });
  });

  describe('revocation (EN 319 102-1 §5.3.4, §5.5.4)', () => {
    it('B-B, signer revoked: nothing proves the signature is older, INDETERMINATE/REVOKED_NO_POE', async () => {
      const report = await validatePdf(await sign(f.pdfs.classic), policyFor(f, { revocation: revokedSource('1001', at(30_000)) }));
      expect(report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'REVOKED_NO_POE' });
      expect(report.signatures[0]!.revocation.now).toMatchObject({ status: 'revoked', source: 'service', reason: 'keyCompromise' });
    });

    it('B-T, signer revoked after the signature time-stamp: PASSED with a warning', async () => {
      const report = await validatePdf(await sign(f.pdfs.classic, { level: 'B-T' }), policyFor(f, { revocation: revokedSource('1001', at(30_000)) }));
      expect(report.indication).toBe('PASSED');
      expect(report.signatures[0]!.warnings.join()).toMatch(/revoked .* after the signature's proof of existence/);
    });

    it('B-T, signer revoked before the signature time-stamp: INDETERMINATE/REVOKED_NO_POE', async () => {
      const pdf = await sign(f.pdfs.classic, { level: 'B-T', services: servicesAt(f, () => at(2 * HOUR)) });
      const report = await validatePdf(pdf, policyFor(f, { now: at(3 * HOUR), revocation: revokedSource('1001', at(HOUR)) }));
      expect(report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'REVOKED_NO_POE' });
    });

    it('a document time-stamp inside the signed bytes that is later than the revocation: FAILED/REVOKED', async () => {
      const first = await sign(f.pdfs.classic, { level: 'B-LTA', services: servicesAt(f, () => at(2 * HOUR)) });
      const second = await sign(first, { signer: f.signer(f.seal2) });
      const report = await validatePdf(second, policyFor(f, { now: at(3 * HOUR), revocation: revokedSource('1002', at(HOUR)) }));
      expect(report).toMatchObject({ indication: 'FAILED', subIndication: 'REVOKED' });
      const last = report.signatures.at(-1)!;
      expect(last.signer?.commonName).toBe('Second Seal');
      expect(last.errors.join()).toMatch(/made afterwards/);
      expect(report.signatures[0]!.indication).toBe('PASSED');
    });

    it('a revoked CA certificate without proof of existence: INDETERMINATE/REVOKED_CA_NO_POE', async () => {
      const report = await validatePdf(await sign(f.pdfs.classic), policyFor(f, { revocation: revokedSource('02', at(-HOUR), 'cACompromise') }));
      expect(report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'REVOKED_CA_NO_POE' });
    });

    it('a TSA certificate revoked for key compromise voids its time-stamp (the signature falls back to B-B)', async () => {
      const pdf = await sign(f.pdfs.classic, { level: 'B-T' });
      const report = await validatePdf(pdf, policyFor(f, { revocation: revokedSource('03', at(30_000)) }));
      const signature = report.signatures[0]!;
      expect(signature.timestamp).toMatchObject({ valid: false });
      expect(signature.level).toBe('B-B');
      expect(signature.bestSignatureTime).toBe(report.validationTime);
      expect(signature.warnings.join()).toMatch(/TSA certificate .* is revoked/);
    });

    it('a slow revocation source gives INDETERMINATE/TRY_LATER within the deadline, and its queries are aborted', async () => {
      const source = new ScriptedRevocationSource();
      source.delayMs = 20_000;
      const started = performance.now();
      const report = await validatePdf(await sign(f.pdfs.classic, { level: 'B-T' }), policyFor(f, { revocation: source, revocationTimeoutMs: 200 }));
      const elapsed = performance.now() - started;
      expect(report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER' });
      expect(report.signatures[0]!.errors.join()).toMatch(/did not answer .* within 200 ms/);
      expect(report.signatures[0]!.revocation.now).toMatchObject({ status: 'unavailable' });
      expect(elapsed).toBeLessThan(1500);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(source.aborted).toBe(source.asked.length);
    });

    it('a failing source, or one that does not know the certificate, gives TRY_LATER', async () => {
      const pdf = await sign(f.pdfs.classic);
      const failing = new ScriptedRevocationSource();
      failing.fail = new Error('registry unavailable');
      expect((await validatePdf(pdf, policyFor(f, { revocation: failing }))).signatures[0]!.errors.join()).toMatch(/registry unavailable/);
      const unknown = new ScriptedRevocationSource();
      unknown.unknown.add('1001');
      expect(await validatePdf(pdf, policyFor(f, { revocation: unknown }))).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'TRY_LATER' });
    });

    it('a source answering nonsense is treated as failing, not trusted', async () => {
      const report = await validatePdf(await sign(f.pdfs.classic), policyFor(f, { revocation: { status: async () => ({ status: 'revoked' }) as never } }));
      expect(report.subIndication).toBe('TRY_LATER');
      expect(report.signatures[0]!.errors.join()).toMatch(/wrong shape/);
    });
  });

  describe('time', () => {
    it('a time-stamp inside the signed bytes later than the signer certificate\'s expiry: FAILED/EXPIRED', async () => {
      const tsa2 = await issueTsa(f, at(-HOUR), at(58 * DAY));
      const first = await sign(f.pdfs.classic, { level: 'B-LTA', services: servicesAt(f, () => at(40 * DAY), tsa2) });
      const second = await sign(first, { signer: f.signer(f.seal2), signingTime: at(41 * DAY) });
      const report = await validatePdf(second, policyFor(f, { now: at(41 * DAY) }));
      const last = report.signatures.at(-1)!;
      expect(last).toMatchObject({ indication: 'FAILED', subIndication: 'EXPIRED' });
      expect(report.indication).toBe('FAILED');
    });

    it('a signature time-stamp before the signer certificate\'s notBefore: FAILED/NOT_YET_VALID', async () => {
      const future = await issueSeal(f, at(DAY), at(20 * DAY));
      const report = await validatePdf(await sign(f.pdfs.classic, { signer: f.signer(future), level: 'B-T' }), policyFor(f));
      expect(report).toMatchObject({ indication: 'FAILED', subIndication: 'NOT_YET_VALID' });
    });

    it('reports the seal code a seal certificate carries as its subject serialNumber', async () => {
      const coded = await issue(f, f.sealCa, '营业执照专用章', at(-HOUR), at(20 * DAY), { keyUsage: ['digitalSignature', 'nonRepudiation'] }, '14010500000042');
      const report = await validatePdf(await sign(f.pdfs.classic, { signer: f.signer(coded) }), policyFor(f));
      expect(report.indication).toBe('PASSED');
      expect(report.signatures[0]!.signer).toMatchObject({ commonName: '营业执照专用章', organisation: 'Test Trust Service', sealCode: '14010500000042' });
      expect(report.signatures[0]!.signer?.subject).toBe('CN=营业执照专用章,serialNumber=14010500000042,O=Test Trust Service,C=CN');
    });

    it('reports the claimed signing time (/M) apart from the proven one', async () => {
      const report = await validatePdf(await sign(f.pdfs.classic, { level: 'B-T', signingTime: at(-DAY) }), policyFor(f));
      expect(report.signatures[0]!.claimedSigningTime).toBe(at(-DAY).toISOString());
      expect(report.signatures[0]!.bestSignatureTime).toBe(f.now.toISOString());
    });
  });

  describe('DocMDP and later changes (ISO 32000-2 §12.8.2.2)', () => {
    it('certified with P=2, then a second seal: both PASSED, the addition listed as allowed', async () => {
      const certified = await sign(f.pdfs.classic, { certify: { permissions: 2 } });
      const report = await validatePdf(await sign(certified, { signer: f.signer(f.seal2) }), policyFor(f));
      expect(report.indication).toBe('PASSED');
      expect(report.signatures[0]!.modificationsAfter).toMatchObject({ classification: 'allowed', changes: expect.arrayContaining([expect.objectContaining({ kind: 'signature', allowed: true })]) });
    });

    it('certified with P=1: DSS and document time-stamps may follow (B-LTA), annotations may not', async () => {
      const certified = await sign(f.pdfs.classic, { certify: { permissions: 1 }, level: 'B-LTA' });
      const report = await validatePdf(certified, policyFor(f));
      expect(report.indication).toBe('PASSED');
      expect(report.signatures[0]!.modificationsAfter.changes.map((c) => c.kind)).toEqual(expect.arrayContaining(['dss', 'document-timestamp']));
      const annotated = await validatePdf(await addAnnotation(certified), policyFor(f));
      expect(annotated.signatures[0]).toMatchObject({ indication: 'FAILED', subIndication: 'SIG_CONSTRAINTS_FAILURE' });
      expect(annotated.signatures[0]!.errors.join()).toMatch(/DocMDP P=1/);
    });

    it('an annotation after signing: FAILED under P=2 (and without certification), allowed under P=3', async () => {
      for (const permissions of [2, 3] as const) {
        const certified = await sign(f.pdfs.classic, { certify: { permissions } });
        const report = await validatePdf(await addAnnotation(certified), policyFor(f));
        expect(report.indication).toBe(permissions === 3 ? 'PASSED' : 'FAILED');
        expect(report.signatures[0]!.modificationsAfter.changes.find((c) => c.kind === 'annotation')).toMatchObject({ allowed: permissions === 3 });
      }
      expect((await validatePdf(await addAnnotation(await sign(f.pdfs.classic)), policyFor(f))).indication).toBe('FAILED');
    });

    it('filling in a form field after a P=2 certification is allowed; after P=1 it is not', async () => {
      const form = await formPdf();
      for (const permissions of [2, 1] as const) {
        const certified = await sign(form, { certify: { permissions } });
        const report = await validatePdf(await fillField(certified, 'Bob'), policyFor(f));
        const signature = report.signatures[0]!;
        expect(signature.modificationsAfter.changes.filter((c) => c.kind === 'form-fill').length).toBeGreaterThan(0);
        if (permissions === 2) {
          expect(report.indication, JSON.stringify(signature.modificationsAfter)).toBe('PASSED');
          expect(signature.modificationsAfter.changes.map((c) => c.description).join()).toMatch(/form field 'holder' was filled in/);
        } else {
          expect(signature).toMatchObject({ indication: 'FAILED', subIndication: 'SIG_CONSTRAINTS_FAILURE' });
        }
      }
    });
  });
});

/** A TSA certificate issued by the fixture root with chosen validity. */
async function issueTsa(f: PadesFixtures, notBefore: Date, notAfter: Date): Promise<Issued> {
  return issue(f, f.root, 'Test TSA 2', notBefore, notAfter, { keyUsage: ['digitalSignature'], extendedKeyUsage: ['timeStamping'], extendedKeyUsageCritical: true });
}

/** A seal certificate issued by the fixture seal CA with chosen validity. */
async function issueSeal(f: PadesFixtures, notBefore: Date, notAfter: Date): Promise<Issued> {
  return issue(f, f.sealCa, 'Future Seal', notBefore, notAfter, { keyUsage: ['digitalSignature', 'nonRepudiation'], extendedKeyUsage: ['emailProtection'] });
}

async function issue(
  f: PadesFixtures,
  issuer: Issued,
  cn: string,
  notBefore: Date,
  notAfter: Date,
  usage: Pick<Parameters<typeof buildCertificate>[0], 'keyUsage' | 'extendedKeyUsage' | 'extendedKeyUsageCritical'>,
  sealCode?: string,
): Promise<Issued> {
  const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
  const serial = Uint8Array.of(0x20, Math.floor(Math.random() * 0x7f) + 1);
  const certificate = await buildCertificate({
    serialNumber: serial,
    subject: [['C', 'CN'], ['O', 'Test Trust Service'], ...(sealCode ? [['serialNumber', sealCode] as const] : []), ['CN', cn]],
    issuerCertificate: new x509.X509Certificate(issuer.der),
    notBefore,
    notAfter,
    subjectPublicKey: keys.publicKey,
    signingKey: issuer.privateKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
    crypto,
    ...usage,
  });
  void f;
  return { name: cn, der: new Uint8Array(certificate.rawData), pemFile: '', privateKey: keys.privateKey, serial: Buffer.from(serial).toString('hex') };
}

/** Appends a revision adding a Square annotation to page 1. */
async function addAnnotation(pdf: Uint8Array): Promise<Uint8Array> {
  const i = await inspect(pdf);
  const annots = i.page.get(PDFName.of('Annots'));
  const existing = annots instanceof PDFRef ? (i.context.lookup(annots) as PDFArray) : (annots as PDFArray | undefined);
  const items = existing ? existing.asArray().map((item) => item.toString()).join(' ') : '';
  const extra = i.largest + 1;
  return appendRevision(pdf, {
    objects: [
      { num: extra, body: `<< /Type /Annot /Subtype /Square /Rect [100 100 200 200] /C [1 0 0] /P ${i.pageRef.toString()} >>` },
      { num: i.pageRef.objectNumber, body: withEntries(i.page, { Annots: `[${items} ${extra} 0 R]` }) },
    ],
  });
}

/** One page with a text field 'holder' = 'Alice' (pdf-lib: a field with one widget kid). */
async function formPdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([595.28, 841.89]);
  page.drawText('Licence application', { x: 72, y: 760, size: 24, font });
  const field = doc.getForm().createTextField('holder');
  field.setText('Alice');
  field.addToPage(page, { x: 72, y: 650, width: 200, height: 24, font });
  return doc.save({ useObjectStreams: false });
}

/** Appends a revision setting the field's /V and giving its widget a new appearance, as a form filler would. */
async function fillField(pdf: Uint8Array, value: string): Promise<Uint8Array> {
  const i = await inspect(pdf);
  const acroForm = i.context.lookup(i.doc.catalog.get(PDFName.of('AcroForm')) as PDFRef) as PDFDict;
  const fields = acroForm.lookup(PDFName.of('Fields'), PDFArray);
  const fieldRef = fields.asArray().find((ref) => {
    const dict = i.context.lookup(ref as PDFRef) as PDFDict;
    return dict.get(PDFName.of('FT'))?.toString() === '/Tx';
  }) as PDFRef;
  const field = i.context.lookup(fieldRef) as PDFDict;
  const widgetRef = field.lookup(PDFName.of('Kids'), PDFArray).get(0) as PDFRef;
  const widget = i.context.lookup(widgetRef) as PDFDict;
  const appearance = i.largest + 1;
  return appendRevision(pdf, {
    objects: [
      { num: fieldRef.objectNumber, body: withEntries(field, { V: `(${value})` }) },
      { num: widgetRef.objectNumber, body: withEntries(widget, { AP: `<< /N ${appearance} 0 R >>` }) },
      { num: appearance, body: stream(`/Tx BMC BT /Helv 12 Tf 2 6 Td (${value}) Tj ET EMC`, '/Type /XObject /Subtype /Form /BBox [0 0 200 24]') },
    ],
  });
}
