import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuingDepartment, type IssuingDepartment, type LicenceJson, sampleLicence, shippedCatalogue } from '../licences/licence-fixtures.js';
import { nssDatabase, pdfsig } from '../pades/outside-judges.js';
import { testCreditCode } from '../support/credit-codes.js';
import { missingTool, serveOnLoopback } from '../support/outside-tools.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const skip = missingTool('pdfsig') || missingTool('certutil');

interface Verification {
  verdict: 'valid' | 'not-valid' | 'indeterminate';
  reasons: string[];
  report: { indication: string; subIndication?: string; signatures: { kind: string; indication: string; subIndication?: string; level: string | null; chain: { trustAnchor: { name?: string } | null } }[] };
  licence: { identifier: string; known: boolean; status: string | null; file: string | null } | null;
}

/**
 * POST /api/v1/verify on our own licences, judged against poppler's pdfsig (NSS, asking our
 * OCSP responder over HTTP): the two must agree on every signature, and the registry facts
 * must follow the licence's status at once.
 */
describe.skipIf(skip)('verifying licences: our report against pdfsig', () => {
  let t: TestApp;
  let server: Awaited<ReturnType<typeof serveOnLoopback>>;
  let dir: string;
  let nss: string;
  let issuer: IssuingDepartment;
  let acceptor: { token: string };
  const files = new Map<string, { licence: LicenceJson; pdf: Uint8Array; file: string }>();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'elt-verify-'));
    const probe = await serveOnLoopback(() => new Response());
    const port = new URL(probe.baseUrl).port;
    await probe.close();
    t = await createTestApp({ env: { PUBLIC_BASE_URL: `http://127.0.0.1:${port}` } });
    server = await serveOnLoopback(t.app.fetch, Number(port));
    issuer = await issuingDepartment(t, 90);
    acceptor = await t.departmentWithKey(['acceptor'], testCreditCode(91));

    const known = [await (await fetch(`${server.baseUrl}/ca/seal-ca.pem`)).text()];
    for (const sealId of Object.values(issuer.seals)) {
      const { certificateSerial } = (await (await t.request(`/api/v1/seals/${sealId}`, { token: issuer.token })).json()) as { certificateSerial: string };
      known.push(((await (await t.request(`/api/v1/certificates/${certificateSerial}`, { token: t.adminToken })).json()) as { pem: string }).pem);
    }
    nss = await nssDatabase(dir, await (await fetch(`${server.baseUrl}/ca/root.pem`)).text(), known);

    const levels = ['B-B', 'B-T', 'B-LT', 'B-LTA'] as const;
    for (const [i, type] of shippedCatalogue.list().entries()) {
      const level = levels[i % levels.length]!;
      const res = await t.request('/api/v1/licences', { method: 'POST', token: issuer.token, json: { ...sampleLicence(type, 200 + i), level } });
      expect(res.status, await res.clone().text()).toBe(201);
      const licence = (await res.json()) as LicenceJson;
      const pdf = new Uint8Array(await (await t.request(licence.links.file, { token: issuer.token })).arrayBuffer());
      const file = path.join(dir, `${type.slug}.pdf`);
      await writeFile(file, pdf);
      files.set(type.slug, { licence, pdf, file });
    }
  });

  afterAll(async () => {
    await server?.close();
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const verify = async (pdf: Uint8Array): Promise<Verification> => {
    const res = await t.request('/api/v1/verify', { method: 'POST', token: acceptor.token, headers: { 'Content-Type': 'application/pdf' }, body: Buffer.from(pdf) });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Verification;
  };

  it('agrees with pdfsig on every shipped licence type, at every level, and knows each licence', async () => {
    for (const [slug, { licence, pdf, file }] of files) {
      const ours = await verify(pdf);
      const theirs = await pdfsig(file, nss);
      expect(theirs.signatures.length, slug).toBe(ours.report.signatures.length);
      for (const [i, signature] of ours.report.signatures.entries()) {
        expect([slug, signature.indication], theirs.output).toEqual([slug, 'PASSED']);
        // pdfsig 22.12 cannot validate ETSI.RFC3161 document timestamps (B-LTA's last
        // signature); tests/seals/sealing.e2e.test.ts checks those with openssl ts instead.
        if (signature.kind === 'document-timestamp') continue;
        expect([slug, theirs.signatures[i]!.valid, theirs.signatures[i]!.trusted]).toEqual([slug, true, true]);
        expect(signature.chain.trustAnchor?.name).toContain('140000');
      }
      expect(ours.verdict).toBe('valid');
      expect(ours.licence).toMatchObject({ identifier: licence.identifier, known: true, status: 'valid', file: 'identical' });
    }
    const levels = await Promise.all([...files.values()].map(async ({ pdf }) => (await verify(pdf)).report.signatures[0]!.level));
    expect(new Set(levels)).toEqual(new Set(['B-B', 'B-T', 'B-LT', 'B-LTA']));
  });

  it('agrees with pdfsig that a file changed inside the signed bytes is broken', async () => {
    const { pdf } = files.get('marriage-certificate')!;
    const tampered = Uint8Array.from(pdf);
    const at = Buffer.from(pdf).indexOf('/MediaBox');
    tampered[at + 1] = 'm'.charCodeAt(0); // "/mediaBox": a different name, same length
    const file = path.join(dir, 'tampered.pdf');
    await writeFile(file, tampered);
    const ours = await verify(tampered);
    const theirs = await pdfsig(file, nss);
    expect(ours.report.signatures[0]).toMatchObject({ indication: 'FAILED', subIndication: 'HASH_FAILURE' });
    expect(theirs.signatures[0]!.valid).toBe(false);
    expect(ours.verdict).toBe('not-valid');
    expect(ours.licence?.file).toBe('different');
  });

  it('says a revoked or suspended licence is not valid although its seal still verifies', async () => {
    const { licence, pdf } = files.get('disability-certificate')!;
    await t.request(`/api/v1/licences/${licence.identifier}/suspension`, { method: 'POST', token: issuer.token, json: { reason: '复核' } });
    let result = await verify(pdf);
    expect(result.report.indication).toBe('PASSED');
    expect(result).toMatchObject({ verdict: 'not-valid', licence: { status: 'suspended' } });
    await t.request(`/api/v1/licences/${licence.identifier}/revocation`, { method: 'POST', token: issuer.token, json: { reason: '骗领' } });
    result = await verify(pdf);
    expect(result).toMatchObject({ verdict: 'not-valid', licence: { status: 'revoked' } });
    expect(result.reasons).toContain('licence: revoked');
  });

  it('sees a seal revoked after signing: B-T and later keep PASSED (timestamp before revocation), B-B cannot tell', async () => {
    const sealId = issuer.seals[shippedCatalogue.list().find((type) => type.slug === 'business-licence')!.sealType]!;
    const bt = files.get('business-licence')!; // B-B (index 0)
    await t.request(`/api/v1/seals/${sealId}/revocation`, { method: 'POST', token: t.adminToken, json: { reason: 'keyCompromise' } });
    const result = await verify(bt.pdf);
    expect(result.report.signatures[0]!.indication).not.toBe('PASSED');
    expect(result.verdict).not.toBe('valid');
  });

  it('reports a licence from another region as INDETERMINATE, NO_CERTIFICATE_CHAIN_FOUND, unknown to the registry', async () => {
    const other = await createTestApp();
    try {
      const otherIssuer = await issuingDepartment(other, 92);
      const type = shippedCatalogue.list()[1]!;
      const res = await other.request('/api/v1/licences', { method: 'POST', token: otherIssuer.token, json: { ...sampleLicence(type, 300), level: 'B-B' } });
      const licence = (await res.json()) as LicenceJson;
      const pdf = new Uint8Array(await (await other.request(licence.links.file, { token: otherIssuer.token })).arrayBuffer());
      const result = await verify(pdf);
      expect(result.report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND' });
      expect(result.verdict).toBe('not-valid');
      expect(result.licence).toMatchObject({ known: false });
    } finally {
      await other.close();
    }
  });

  it.each([
    ['not a PDF', Buffer.from('hello, this is not a pdf'), 400, 'UnusablePdf'],
    ['empty', Buffer.alloc(0), 400, 'InvalidPdf'],
    ['truncated', null, 400, 'UnusablePdf'],
  ] as const)('refuses unusable input (%s) with a 4xx and a stable code', async (_name, body, status, code) => {
    const bytes = body ?? Buffer.from(files.get('business-licence')!.pdf.subarray(0, 2000));
    const res = await t.request('/api/v1/verify', { method: 'POST', token: acceptor.token, headers: { 'Content-Type': 'application/pdf' }, body: bytes });
    expect(res.status).toBe(status);
    expect(((await res.json()) as { code: string }).code).toBe(code);
  });

  it('needs an authenticated department', async () => {
    expect((await t.request('/api/v1/verify', { method: 'POST', headers: { 'Content-Type': 'application/pdf' }, body: Buffer.from('%PDF-') })).status).toBe(401);
  });
});
