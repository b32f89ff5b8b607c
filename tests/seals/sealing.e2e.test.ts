import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePdf } from '../../src/demo/sample-pdf.js';
import { extractSignatures, opensslCms, pdfsig, qpdfCheck } from '../pades/outside-judges.js';
import { testCreditCode } from '../support/credit-codes.js';
import { openssl } from '../support/openssl.js';
import { missingTool, serveOnLoopback } from '../support/outside-tools.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const LEVELS = ['B-B', 'B-T', 'B-LT', 'B-LTA'] as const;
const skip = missingTool('pdfsig') || missingTool('qpdf') || missingTool('certutil') || missingTool('openssl');

/**
 * Sealing through the HTTP API, judged by poppler/NSS (which asks our OCSP responder over
 * HTTP, as the certificates' AIA says), qpdf and openssl.
 */
describe.skipIf(skip)('sealing PDFs over the API', () => {
  let t: TestApp;
  let server: Awaited<ReturnType<typeof serveOnLoopback>>;
  let dir: string;
  let nss: string;
  let issuer: { departmentId: string; token: string };
  let outsider: { departmentId: string; token: string };
  let licenceSeal: string;
  let businessSeal: string;
  let sample: Uint8Array;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'elt-sealing-'));
    const probe = await serveOnLoopback(() => new Response());
    const port = new URL(probe.baseUrl).port;
    await probe.close();
    t = await createTestApp({ env: { PUBLIC_BASE_URL: `http://127.0.0.1:${port}` } });
    server = await serveOnLoopback(t.app.fetch, Number(port));
    await writeFile(path.join(dir, 'root.pem'), await (await fetch(`${server.baseUrl}/ca/root.pem`)).text());
    nss = `sql:${path.join(dir, 'nss')}`;
    execFileSync('mkdir', ['-p', path.join(dir, 'nss')]);
    execFileSync('certutil', ['-N', '-d', nss, '--empty-password']);
    execFileSync('certutil', ['-A', '-d', nss, '-n', 'root', '-t', 'CT,C,C', '-i', path.join(dir, 'root.pem')]);

    issuer = await t.departmentWithKey(['issuer'], testCreditCode(50));
    outsider = await t.departmentWithKey(['issuer'], testCreditCode(51));
    const create = async (type: string) => {
      const res = await t.request('/api/v1/seals', { method: 'POST', token: t.adminToken, json: { ownerDepartmentId: issuer.departmentId, type } });
      return ((await res.json()) as { id: string }).id;
    };
    licenceSeal = await create('licence');
    businessSeal = await create('business');
    sample = await samplePdf();

    // poppler 22.12 frees the certificates a signature's CMS carries while NSS still points at
    // them; a second signature by the same certificate then fails with "Unknown issue"
    // (SEC_ERROR_REUSED_ISSUER_AND_SERIAL, seen under valgrind). Known to NSS as permanent,
    // untrusted entries, the certificates are read from the database instead.
    const known = [await (await fetch(`${server.baseUrl}/ca/seal-ca.pem`)).text()];
    for (const id of [licenceSeal, businessSeal]) {
      const { certificateSerial } = (await (await t.request(`/api/v1/seals/${id}`, { token: issuer.token })).json()) as { certificateSerial: string };
      known.push(((await (await t.request(`/api/v1/certificates/${certificateSerial}`, { token: t.adminToken })).json()) as { pem: string }).pem);
    }
    for (const [i, pem] of known.entries()) {
      await writeFile(path.join(dir, `known-${i}.pem`), pem);
      execFileSync('certutil', ['-A', '-d', nss, '-n', `known-${i}`, '-t', ',,', '-i', path.join(dir, `known-${i}.pem`)]);
    }
  });

  afterAll(async () => {
    await server.close();
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function seal(sealId: string, pdf: Uint8Array, query: string, token = issuer.token, multipart = false): Promise<Response> {
    const url = `/api/v1/seals/${sealId}/sealing?${query}`;
    if (multipart) {
      const form = new FormData();
      form.set('file', new Blob([Uint8Array.from(pdf)], { type: 'application/pdf' }), 'doc.pdf');
      return t.request(url, { method: 'POST', token, body: form });
    }
    return t.request(url, { method: 'POST', token, headers: { 'Content-Type': 'application/pdf' }, body: Uint8Array.from(pdf) });
  }

  async function sealOk(sealId: string, pdf: Uint8Array, query: string, multipart = false): Promise<Uint8Array> {
    const res = await seal(sealId, pdf, query, issuer.token, multipart);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    return new Uint8Array(await res.arrayBuffer());
  }

  it.each(LEVELS)('seals once, twice and three times at %s; pdfsig, qpdf and openssl accept every revision', async (level) => {
    let pdf = sample;
    const placements = ['page=1&x=370&y=205&certify=true', 'page=1&x=220&y=120', 'page=1&x=70&y=120'];
    const seals = [licenceSeal, businessSeal, licenceSeal];
    for (let n = 0; n < 3; n++) {
      pdf = await sealOk(seals[n]!, pdf, `level=${level}&reason=${encodeURIComponent('核准登记')}&${placements[n]}`, n === 1);
      const file = path.join(dir, `${level}-${n + 1}.pdf`);
      await writeFile(file, pdf);

      const { signatures, output } = await pdfsig(file, nss);
      const cades = signatures.filter((s) => s.signatureType === 'ETSI.CAdES.detached');
      expect(cades, output).toHaveLength(n + 1);
      for (const signature of cades) {
        expect(signature.valid, output).toBe(true);
        expect(signature.trusted, output).toBe(true);
      }
      // B-LT ends with a DSS revision after the last signature; every other level ends with a
      // signature (or, at B-LTA, a document timestamp) that covers the whole file.
      expect(signatures.at(-1)!.totalDocumentSigned, output).toBe(level !== 'B-LT');

      const check = await qpdfCheck(file);
      expect(check.output).toContain('No syntax or stream encoding errors found');

      const extracted = extractSignatures(pdf).filter((s) => s.subFilter === 'ETSI.CAdES.detached');
      const cms = await opensslCms(dir, `${level}-${n}`, extracted.at(-1)!, path.join(dir, 'root.pem'));
      expect(cms.verify).toContain('Verification successful');
      expect(cms.print).toContain('signingCertificateV2');
      expect(cms.print).not.toContain('signingTime');
      if (level !== 'B-B') expect(cms.print).toContain('id-smime-aa-timeStampToken');
    }
    if (level === 'B-LTA') {
      // poppler cannot validate document timestamps; openssl checks the token over its byte ranges.
      const stamps = extractSignatures(pdf).filter((s) => s.subFilter === 'ETSI.RFC3161');
      expect(stamps.length).toBeGreaterThan(0);
      const last = stamps.at(-1)!;
      await writeFile(path.join(dir, 'doc-ts.der'), last.der);
      await writeFile(path.join(dir, 'doc-ts.bin'), last.signedBytes);
      const verify = await openssl(['ts', '-verify', '-data', path.join(dir, 'doc-ts.bin'), '-in', path.join(dir, 'doc-ts.der'), '-token_in', '-CAfile', path.join(dir, 'root.pem')]);
      expect(verify.stdout).toContain('Verification: OK');
    }
    if (level === 'B-LT' || level === 'B-LTA') {
      expect(Buffer.from(pdf).toString('latin1')).toMatch(/\/DSS\b/);
    }
  });

  it('records every use in the seal-use log the owner can read', async () => {
    const res = await t.request(`/api/v1/seals/${businessSeal}/uses`, { token: issuer.token });
    const uses = (await res.json()) as { items: { departmentId: string; documentSha256: string; level: string }[] };
    expect(uses.items.map((u) => u.level).sort()).toEqual([...LEVELS].sort());
    expect(uses.items.every((u) => u.departmentId === issuer.departmentId && /^[0-9a-f]{64}$/.test(u.documentSha256))).toBe(true);
    expect((await t.request(`/api/v1/seals/${businessSeal}/uses`, { token: outsider.token })).status).toBe(403);
  });

  describe('refusals: nothing sealed, nothing logged as a use', () => {
    async function expectRefused(res: Response, status: number, code: string) {
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({ code });
    }
    const useCount = async () => (await t.ctx.db.selectFrom('seal_uses').select('id').execute()).length;

    it.each([
      ['not a PDF', () => new TextEncoder().encode('hello, this is not a PDF'), 'level=B-B', 400, 'InvalidPdf'],
      ['a truncated PDF', () => sample.subarray(0, Math.floor(sample.length / 2)), 'level=B-B', 400, 'InvalidPdf'],
      ['a page out of range', () => sample, 'level=B-B&page=9&x=10&y=10', 400, 'PageOutOfRange'],
      ['a visible seal without coordinates', () => sample, 'level=B-B&page=1', 400, 'InvalidRequest'],
      ['an unknown level', () => sample, 'level=B-X', 400, 'InvalidRequest'],
    ])('refuses %s', async (_label, pdf, query, status, code) => {
      const before = await useCount();
      await expectRefused(await seal(licenceSeal, pdf(), query), status, code);
      expect(await useCount()).toBe(before);
    });

    it('refuses an encrypted PDF', async () => {
      const plain = path.join(dir, 'plain.pdf');
      const encrypted = path.join(dir, 'encrypted.pdf');
      await writeFile(plain, sample);
      execFileSync('qpdf', ['--encrypt', 'user', 'owner', '256', '--', plain, encrypted]);
      await expectRefused(await seal(licenceSeal, await readFile(encrypted), 'level=B-B'), 400, 'EncryptedPdf');
    });

    it('refuses a PDF whose existing signature is broken', async () => {
      const sealed = await sealOk(licenceSeal, sample, 'level=B-B&page=1&x=370&y=205');
      const tampered = Buffer.from(sealed);
      // A byte of the first content stream: the file still parses, the signature no longer matches.
      const at = tampered.indexOf('stream') + 20;
      tampered[at] = tampered[at]! ^ 0x01;
      const before = await useCount();
      await expectRefused(await seal(businessSeal, tampered, 'level=B-B'), 400, 'BrokenExistingSignature');
      expect(await useCount()).toBe(before);
    });

    it('refuses a department the seal was not granted to', async () => {
      await expectRefused(await seal(licenceSeal, sample, 'level=B-B', outsider.token), 403, 'SealNotGranted');
    });

    it('refuses a suspended seal, and seals again once it is resumed', async () => {
      await t.request(`/api/v1/seals/${licenceSeal}/suspension`, { method: 'POST', token: t.adminToken, json: {} });
      await expectRefused(await seal(licenceSeal, sample, 'level=B-B'), 409, 'SealSuspended');
      await t.request(`/api/v1/seals/${licenceSeal}/resumption`, { method: 'POST', token: t.adminToken, json: {} });
      await sealOk(licenceSeal, sample, 'level=B-B');
    });

    it('records no use of a seal suspended while the document was being signed', async () => {
      const actor = { departmentId: issuer.departmentId, keyId: null, requestId: 'test' };
      const signed = await t.ctx.sealing.sign(actor, { sealId: licenceSeal, pdf: sample, level: 'B-B' });
      await t.request(`/api/v1/seals/${licenceSeal}/suspension`, { method: 'POST', token: t.adminToken, json: {} });
      const before = await useCount();
      await expect(t.ctx.db.transaction().execute((trx) => t.ctx.sealing.recordUse(trx, actor, signed))).rejects.toMatchObject({ code: 'SealSuspended' });
      expect(await useCount()).toBe(before);
      await t.request(`/api/v1/seals/${licenceSeal}/resumption`, { method: 'POST', token: t.adminToken, json: {} });
    });

    it('refuses a revoked seal, and OCSP says its certificate is revoked', async () => {
      const revoked = await t.request(`/api/v1/seals/${businessSeal}/revocation`, { method: 'POST', token: t.adminToken, json: { reason: 'cessationOfOperation' } });
      const { certificateSerial } = (await revoked.json()) as { certificateSerial: string };
      const before = await useCount();
      await expectRefused(await seal(businessSeal, sample, 'level=B-T'), 409, 'SealRevoked');
      expect(await useCount()).toBe(before);

      await writeFile(path.join(dir, 'seal-ca.pem'), await (await fetch(`${server.baseUrl}/ca/seal-ca.pem`)).text());
      const status = await openssl(['ocsp', '-issuer', path.join(dir, 'seal-ca.pem'), '-serial', `0x${certificateSerial}`, '-url', `${server.baseUrl}/ocsp`, '-CAfile', path.join(dir, 'root.pem')]);
      expect(status.stderr + status.stdout).toContain('Response verify OK');
      expect(status.stdout).toMatch(/: revoked/);
      expect(status.stdout).toContain('Reason: cessationOfOperation');
    });
  });
});
