import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingTool } from '../../support/outside-tools.js';
import { createTestApp, type TestApp } from '../../support/test-app.js';

describe.skipIf(missingTool('openssl'))('certificate API: bad input', () => {
  let t: TestApp;
  let csr: string;
  const subject = { CN: '忻州市民政局婚姻登记专用章', O: '忻州市民政局', serialNumber: '14090000000001' };

  beforeAll(async () => {
    t = await createTestApp();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'elt-csr-'));
    execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, 'k.pem'), '-utf8', '-subj', '/CN=忻州市民政局婚姻登记专用章/O=忻州市民政局/serialNumber=14090000000001', '-out', path.join(dir, 'r.csr')], { stdio: 'ignore' });
    csr = readFileSync(path.join(dir, 'r.csr'), 'utf8');
  });
  afterAll(() => t.close());

  const issue = (json: unknown) => t.request('/api/v1/certificates', { method: 'POST', token: t.adminToken, json });
  const count = async () => (await t.ctx.db.selectFrom('certificates').select('serial_hex').execute()).length;

  function tamper(pem: string): string {
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 3] = der[der.length - 3]! ^ 0xff; // inside the signature BIT STRING
    return der.toString('base64');
  }

  it.each([
    ['a CSR whose signature does not verify', () => ({ caId: 'seal-ca', profile: 'seal', csr: tamper(csr) }), 400, 'CsrSignatureInvalid'],
    ['garbage instead of a CSR', () => ({ caId: 'seal-ca', profile: 'seal', csr: 'bm90IGEgY3Ny' }), 400, 'InvalidCsr'],
    ['truncated DER', () => ({ caId: 'seal-ca', profile: 'seal', csr: Buffer.from(tamper(csr), 'base64').subarray(0, 40).toString('base64') }), 400, 'InvalidCsr'],
    ['both a CSR and generateKey', () => ({ caId: 'seal-ca', profile: 'seal', csr, generateKey: { algorithm: 'ECDSA-P256' } }), 400, 'KeySourceRequired'],
    ['neither', () => ({ caId: 'seal-ca', profile: 'seal', subject }), 400, 'KeySourceRequired'],
    ['an unknown CA', () => ({ caId: 'other-ca', profile: 'seal', csr }), 404, 'UnknownCa'],
    ['an unknown profile', () => ({ caId: 'seal-ca', profile: 'web-server', csr }), 404, 'UnknownProfile'],
    ['a profile outside the CA', () => ({ caId: 'seal-ca', profile: 'tsa', csr }), 400, 'ProfileViolation'],
    ['a validity above the cap', () => ({ caId: 'seal-ca', profile: 'seal', csr, validityDays: 4000 }), 400, 'ProfileViolation'],
    ['an unsupported algorithm to generate', () => ({ caId: 'seal-ca', profile: 'seal', subject, generateKey: { algorithm: 'DSA' } }), 400, 'InvalidRequest'],
    ['an unknown field', () => ({ caId: 'seal-ca', profile: 'seal', csr, extensions: [] }), 400, 'InvalidRequest'],
  ])('refuses %s and issues nothing', async (_label, body, status, code) => {
    const before = await count();
    const res = await issue(body());
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ code });
    expect(await count()).toBe(before);
  });

  it.each([
    ['GET', '/api/v1/certificates/zz', 400, 'InvalidRequest'],
    ['GET', '/api/v1/certificates/0123456789abcdef', 404, 'CertificateNotFound'],
    ['POST', '/api/v1/certificates/0123456789abcdef/hold', 404, 'CertificateNotFound'],
    ['POST', '/api/v1/ca/authorities/ghost/crl', 404, 'UnknownCa'],
  ])('%s %s answers %i %s', async (method, url, status, code) => {
    const res = await t.request(url, { method, token: t.adminToken });
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ code });
  });

  it('refuses a revocation reason that is not an operator reason', async () => {
    const issued = (await (await issue({ caId: 'seal-ca', profile: 'seal', csr })).json()) as { serialNumber: string };
    const res = await t.request(`/api/v1/certificates/${issued.serialNumber}/revocation`, {
      method: 'POST',
      token: t.adminToken,
      json: { reason: 'certificateHold' },
    });
    expect(res.status).toBe(400);
    expect((await t.ctx.certificates.get(issued.serialNumber)).status).toBe('valid');
  });

  it('audits issuance and revocation in the hash chain', async () => {
    const issued = (await (await issue({ caId: 'seal-ca', profile: 'seal', csr })).json()) as { serialNumber: string };
    await t.request(`/api/v1/certificates/${issued.serialNumber}/revocation`, { method: 'POST', token: t.adminToken, json: { reason: 'superseded' } });
    const entries = await t.ctx.audit.list({ afterSeq: 0, limit: 1000, targetId: issued.serialNumber });
    expect(entries.map((e) => e.action)).toEqual(['certificate.issued', 'certificate.revoked']);
    expect((await t.ctx.audit.verifyChain()).intact).toBe(true);
  });

  it('answers unknown CA files on the public endpoints with 404', async () => {
    expect((await t.request('/ca/ghost.crt')).status).toBe(404);
    expect((await t.request('/crl/ghost.crl')).status).toBe(404);
    const crl = await t.request('/crl/seal-ca.crl');
    expect(crl.headers.get('content-type')).toBe('application/pkix-crl');
  });

  it('keeps the hierarchy across restarts: a second load creates nothing', async () => {
    const { loadHierarchy } = await import('../../../src/authority/hierarchy.js');
    const again = await loadHierarchy({
      config: t.ctx.hierarchy.config,
      backends: new Map([...t.ctx.hierarchy.authorities.values()].map((a) => [a.backend.name, a.backend])),
      keysDir: t.ctx.config.keysDir,
      publicBaseUrl: t.ctx.config.publicBaseUrl,
      clock: t.ctx.clock,
    });
    expect(again.created).toEqual([]);
    expect(again.root.certificate.serialNumber).toBe(t.ctx.hierarchy.root.certificate.serialNumber);
  });
});
