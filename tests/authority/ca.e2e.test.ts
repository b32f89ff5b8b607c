import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingTool, serveOnLoopback } from '../support/outside-tools.js';
import { openssl } from '../support/openssl.js';
import { initSoftHsmToken, missingSoftHsm } from '../support/softhsm.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * The whole CA through its public HTTP interface, judged by openssl: issuance under a
 * profile, chain and CRL checks, OCSP over the wire, RFC 3161 tokens. Runs once with
 * software keys and once with every CA key in SoftHSM2.
 */
const backends = [
  { name: 'software keys', skip: missingTool('openssl') },
  { name: 'SoftHSM2 (PKCS#11)', skip: missingTool('openssl') || missingSoftHsm() },
] as const;

describe.each(backends)('certificate authority with $name', ({ name, skip }) => {
  let t: TestApp;
  let server: Awaited<ReturnType<typeof serveOnLoopback>>;
  let dir: string;
  let baseUrl: string;

  const run = (args: string[]) => openssl(args, { cwd: dir });
  const admin = (p: string, init: RequestInit & { json?: unknown } = {}) => t.request(p, { ...init, token: t.adminToken });

  async function fetchTo(url: string, file: string): Promise<Buffer> {
    const body = Buffer.from(await (await fetch(`${baseUrl}${url}`)).arrayBuffer());
    await writeFile(path.join(dir, file), body);
    return body;
  }

  async function issueFromCsr(subject: string, file: string): Promise<{ serialNumber: string; pem: string }> {
    await run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${file}.key`]);
    await run(['req', '-new', '-key', `${file}.key`, '-utf8', '-subj', subject, '-out', `${file}.csr`]);
    const csr = await readFile(path.join(dir, `${file}.csr`), 'utf8');
    const res = await admin('/api/v1/certificates', { method: 'POST', json: { caId: 'seal-ca', profile: 'seal', csr } });
    expect(res.status, await res.clone().text()).toBe(201);
    const body = (await res.json()) as { serialNumber: string; pem: string };
    await writeFile(path.join(dir, `${file}.pem`), body.pem);
    return body;
  }

  /** openssl's status line, after checking that it verified the response's signature. */
  async function ocspStatus(certFile: string, extra: string[] = []): Promise<string> {
    const result = await run(['ocsp', '-issuer', 'seal-ca.pem', '-cert', certFile, '-url', `${baseUrl}/ocsp`, '-CAfile', 'root.pem', ...extra]);
    expect(result.stderr + result.stdout).toContain('Response verify OK');
    return result.stdout;
  }

  async function crlCheck(certFile: string): Promise<string> {
    await fetchTo('/crl/root.crl', 'root.crl');
    await fetchTo('/crl/seal-ca.crl', 'seal-ca.crl');
    await run(['crl', '-inform', 'DER', '-in', 'root.crl', '-out', 'root-crl.pem']);
    await run(['crl', '-inform', 'DER', '-in', 'seal-ca.crl', '-out', 'seal-crl.pem']);
    await writeFile(path.join(dir, 'crls.pem'), (await readFile(path.join(dir, 'root-crl.pem'), 'utf8')) + (await readFile(path.join(dir, 'seal-crl.pem'), 'utf8')));
    const result = await run(['verify', '-crl_check_all', '-CAfile', 'root.pem', '-untrusted', 'seal-ca.pem', '-CRLfile', 'crls.pem', certFile]);
    return result.stdout + result.stderr;
  }

  beforeAll(async () => {
    if (skip) return;
    dir = await mkdtemp(path.join(os.tmpdir(), 'elt-ca-e2e-'));
    const env: Record<string, string> = {};
    if (name.startsWith('SoftHSM2')) {
      const token = await initSoftHsmToken(path.join(dir, 'hsm'));
      const config = JSON.parse(await readFile('ca-config/hierarchy.json', 'utf8')) as {
        keyBackends: Record<string, { slot?: number }>;
        authorities: { key: { backend: string } }[];
      };
      config.keyBackends.hsm!.slot = token.slot;
      for (const authority of config.authorities) authority.key.backend = 'hsm';
      await writeFile(path.join(dir, 'hierarchy.json'), JSON.stringify(config));
      Object.assign(env, { CA_CONFIG: path.join(dir, 'hierarchy.json'), PKCS11_PIN: token.pin });
    }
    // PUBLIC_BASE_URL must be known before the hierarchy is created, so take a port first.
    const probe = await serveOnLoopback(() => new Response());
    const port = new URL(probe.baseUrl).port;
    await probe.close();
    baseUrl = `http://127.0.0.1:${port}`;
    t = await createTestApp({ env: { ...env, PUBLIC_BASE_URL: baseUrl } });
    server = await serveOnLoopback(t.app.fetch, Number(port));
    await fetchTo('/ca/root.pem', 'root.pem');
    await fetchTo('/ca/seal-ca.pem', 'seal-ca.pem');
    await fetchTo('/ca/services-ca.pem', 'services-ca.pem');
  });

  afterAll(async () => {
    if (skip) return;
    await server.close();
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.skipIf(skip)('publishes a hierarchy openssl accepts, with UTF-8 Chinese names', async () => {
    const verify = await run(['verify', '-CAfile', 'root.pem', 'seal-ca.pem', 'services-ca.pem']);
    expect(verify.stdout).toContain('seal-ca.pem: OK');
    expect(verify.stdout).toContain('services-ca.pem: OK');
    const text = await run(['x509', '-in', 'seal-ca.pem', '-noout', '-subject', '-nameopt', 'utf8,sep_comma_plus', '-ext', 'basicConstraints']);
    expect(text.stdout).toContain('CN=山西省电子印章CA');
    expect(text.stdout).toMatch(/CA:TRUE, pathlen:0/);
    const der = await fetchTo('/ca/root.crt', 'root.der');
    expect((await run(['x509', '-inform', 'DER', '-in', 'root.der', '-noout', '-subject'])).code).toBe(0);
    expect(der[0]).toBe(0x30);
    const chain = await (await fetch(`${baseUrl}/ca/seal-ca/chain.pem`)).text();
    expect(chain.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
  });

  it.skipIf(skip)('issues a seal certificate from a CSR under the seal profile', async () => {
    const issued = await issueFromCsr('/CN=太原市市场监督管理局证照专用章/O=太原市市场监督管理局/serialNumber=14010000000001', 'seal1');
    // 16 random bytes, first octet 0x01-0x7f: positive and minimally encoded.
    expect(issued.serialNumber).toMatch(/^(0[1-9a-f]|[1-7][0-9a-f])[0-9a-f]{30}$/);
    const verify = await run(['verify', '-CAfile', 'root.pem', '-untrusted', 'seal-ca.pem', '-purpose', 'smimesign', 'seal1.pem']);
    expect(verify.stdout).toContain('seal1.pem: OK');
    const text = (await run(['x509', '-in', 'seal1.pem', '-noout', '-text'])).stdout;
    expect(text).toContain('Digital Signature, Non Repudiation');
    expect(text).toContain('E-mail Protection');
    expect(text).toContain('1.3.6.1.5.5.7.3.36'); // documentSigning
    expect(text).toContain('Policy: 2.999.140000.1.1');
    expect(text).toContain(`URI:${baseUrl}/crl/seal-ca.crl`);
    expect(text).toContain(`OCSP - URI:${baseUrl}/ocsp`);
    expect(text).toContain(`CA Issuers - URI:${baseUrl}/ca/seal-ca.crt`);
    expect(text).toMatch(/Subject: C = CN/); // fixed by the profile
    expect(text).toContain('X509v3 Subject Key Identifier');
    expect(text).toContain('X509v3 Authority Key Identifier');
  });

  it.skipIf(skip)('answers OCSP good, then revoked at once, and revocation shows in the CRL', async () => {
    const issued = await issueFromCsr('/CN=晋中市税务局业务专用章/O=晋中市税务局/serialNumber=14070000000002', 'seal2');
    expect(await ocspStatus('seal2.pem')).toMatch(/seal2.pem: good/);
    expect(await crlCheck('seal2.pem')).toContain('seal2.pem: OK');

    const revoked = await admin(`/api/v1/certificates/${issued.serialNumber}/revocation`, { method: 'POST', json: { reason: 'keyCompromise' } });
    expect(revoked.status).toBe(200);
    const status = await ocspStatus('seal2.pem');
    expect(status).toMatch(/seal2.pem: revoked/);
    expect(status).toContain('Reason: keyCompromise');
    expect(await crlCheck('seal2.pem')).toContain('certificate revoked');
    const crlText = (await run(['crl', '-inform', 'DER', '-in', 'seal-ca.crl', '-noout', '-text'])).stdout;
    expect(crlText).toContain(`Serial Number: ${issued.serialNumber.toUpperCase()}`);
    expect(crlText).toContain('Key Compromise');
    expect(crlText).toMatch(/Next Update: /);

    const again = await admin(`/api/v1/certificates/${issued.serialNumber}/revocation`, { method: 'POST', json: { reason: 'superseded' } });
    expect(again.status).toBe(409);
  });

  it.skipIf(skip)('puts a certificate on hold and releases it', async () => {
    const issued = await issueFromCsr('/CN=大同市民政局婚姻登记专用章/O=大同市民政局/serialNumber=14020000000003', 'seal3');
    expect((await admin(`/api/v1/certificates/${issued.serialNumber}/hold`, { method: 'POST' })).status).toBe(200);
    const held = await ocspStatus('seal3.pem');
    expect(held).toMatch(/seal3.pem: revoked/);
    expect(held).toContain('Reason: certificateHold');
    expect((await admin(`/api/v1/certificates/${issued.serialNumber}/release`, { method: 'POST' })).status).toBe(200);
    expect(await ocspStatus('seal3.pem')).toMatch(/seal3.pem: good/);
    expect(await crlCheck('seal3.pem')).toContain('seal3.pem: OK');
  });

  it.skipIf(skip)('answers unknown for a serial it never issued, verifies with -VAfile, and echoes nonces', async () => {
    const unknown = await run(['ocsp', '-issuer', 'seal-ca.pem', '-serial', '0x1234', '-url', `${baseUrl}/ocsp`, '-CAfile', 'root.pem']);
    expect(unknown.stderr + unknown.stdout).toContain('Response verify OK');
    expect(unknown.stdout).toContain('0x1234: unknown');
    await writeFile(path.join(dir, 'responder.pem'), await readFile(path.join(t.ctx.config.keysDir, 'seal-ca-ocsp.cert.pem')));
    const va = await run(['ocsp', '-issuer', 'seal-ca.pem', '-cert', 'seal1.pem', '-url', `${baseUrl}/ocsp`, '-VAfile', 'responder.pem']);
    expect(va.stderr + va.stdout).toContain('Response verify OK');
    expect(va.stdout).toContain('seal1.pem: good');
    expect(va.stdout + va.stderr).not.toContain('Nonce Verify error');
    // GET, as NSS sends it; without a nonce the response may be cached.
    await run(['ocsp', '-issuer', 'seal-ca.pem', '-cert', 'seal1.pem', '-no_nonce', '-reqout', 'get.req']);
    const request = await readFile(path.join(dir, 'get.req'));
    const get = await fetch(`${baseUrl}/ocsp/${encodeURIComponent(request.toString('base64'))}`);
    expect(get.headers.get('content-type')).toBe('application/ocsp-response');
    expect(get.headers.get('cache-control')).toMatch(/max-age=\d+/);
    await writeFile(path.join(dir, 'get.resp'), Buffer.from(await get.arrayBuffer()));
    const parsed = await run(['ocsp', '-reqin', 'get.req', '-respin', 'get.resp', '-CAfile', 'root.pem', '-issuer', 'seal-ca.pem', '-no_nonce', '-resp_text']);
    expect(parsed.stdout + parsed.stderr).toContain('Response verify OK');
    expect(parsed.stdout).toContain('Cert Status: good');
  });

  it.skipIf(skip)('answers garbage with malformedRequest and a foreign issuer with unauthorized', async () => {
    const garbage = await fetch(`${baseUrl}/ocsp`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/ocsp-request' },
      body: new Uint8Array([0x30, 0x03, 0x02, 0x01]),
    });
    await writeFile(path.join(dir, 'bad.resp'), Buffer.from(await garbage.arrayBuffer()));
    expect((await run(['ocsp', '-respin', 'bad.resp', '-resp_text', '-noverify'])).stdout).toMatch(/malformedrequest \(1\)/i);

    await run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'other.key', '-subj', '/CN=Other CA', '-out', 'other.pem', '-days', '1']);
    const foreign = await run(['ocsp', '-issuer', 'other.pem', '-serial', '0x01', '-url', `${baseUrl}/ocsp`, '-noverify']);
    expect(foreign.stdout + foreign.stderr).toContain('unauthorized');
  });

  it.skipIf(skip)('issues RFC 3161 time-stamp tokens openssl verifies, and rejects garbage', async () => {
    await writeFile(path.join(dir, 'doc.txt'), '山西省电子证照\n');
    await run(['ts', '-query', '-data', 'doc.txt', '-sha256', '-cert', '-out', 'doc.tsq']);
    const res = await fetch(`${baseUrl}/tsa`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/timestamp-query' },
      body: await readFile(path.join(dir, 'doc.tsq')),
    });
    expect(res.headers.get('content-type')).toBe('application/timestamp-reply');
    await writeFile(path.join(dir, 'doc.tsr'), Buffer.from(await res.arrayBuffer()));
    const verify = await run(['ts', '-verify', '-queryfile', 'doc.tsq', '-in', 'doc.tsr', '-CAfile', 'root.pem']);
    expect(verify.stdout).toContain('Verification: OK');
    const text = (await run(['ts', '-reply', '-in', 'doc.tsr', '-text'])).stdout;
    expect(text).toContain('Policy OID: 2.999.140000.1.3');
    expect(text).toContain('Accuracy: 0x01 seconds');

    const bad = await fetch(`${baseUrl}/tsa`, { method: 'POST', headers: { 'Content-Type': 'application/timestamp-query' }, body: 'not DER' });
    await writeFile(path.join(dir, 'bad.tsr'), Buffer.from(await bad.arrayBuffer()));
    const rejected = (await run(['ts', '-reply', '-in', 'bad.tsr', '-text'])).stdout;
    expect(rejected).toContain('Status: Rejected');
    expect(rejected).toContain('Failure info: the data submitted has the wrong format');
  });

  it.skipIf(skip)('generates a key inside the backend when asked, and never returns it', async () => {
    const res = await admin('/api/v1/certificates', {
      method: 'POST',
      json: { caId: 'services-ca', profile: 'department-client', generateKey: { algorithm: 'ECDSA-P256' }, subject: { CN: '太原市行政审批服务管理局', O: '太原市行政审批服务管理局', serialNumber: '11140100MB0000000X' } },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const body = (await res.json()) as { keyInBackend: { alias: string } | null; pem: string };
    expect(body.keyInBackend?.alias).toMatch(/^ee-/);
    expect(JSON.stringify(body)).not.toMatch(/PRIVATE KEY/);
    await writeFile(path.join(dir, 'client.pem'), body.pem);
    const verify = await run(['verify', '-CAfile', 'root.pem', '-untrusted', 'services-ca.pem', '-purpose', 'sslclient', 'client.pem']);
    expect(verify.stdout).toContain('client.pem: OK');
  });
});
