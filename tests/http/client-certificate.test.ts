import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/http/server.js';
import { testCreditCode } from '../support/credit-codes.js';
import { missingTool } from '../support/outside-tools.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const execFileAsync = promisify(execFile);

/** Mutual TLS as a second way for departments to authenticate, exercised with curl. */
describe.skipIf(missingTool('openssl') || missingTool('curl'))('department client certificates over mutual TLS', () => {
  let t: TestApp;
  let dir: string;
  let server: ServerType;
  let baseUrl: string;
  let department: { departmentId: string };
  let serial: string;

  const curl = async (url: string, certName?: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const args = ['-sk', '-w', '\n%{http_code}', `${baseUrl}${url}`];
    if (certName) args.push('--cert', path.join(dir, `${certName}.pem`), '--key', path.join(dir, `${certName}.key`));
    const { stdout } = await execFileAsync('curl', args);
    const lines = stdout.trimEnd().split('\n');
    return { status: Number(lines.pop()), body: JSON.parse(lines.join('\n')) as Record<string, unknown> };
  };

  beforeAll(async () => {
    t = await createTestApp();
    dir = await mkdtemp(path.join(os.tmpdir(), 'elt-mtls-'));
    const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.pem', '-subj', '/CN=127.0.0.1', '-days', '1']);
    run(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=ignored']);
    run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'stranger.key', '-out', 'stranger.pem', '-subj', '/CN=Stranger', '-days', '1']);

    department = await t.departmentWithKey(['acceptor'], testCreditCode(60));
    const issued = await t.request(`/api/v1/departments/${department.departmentId}/client-certificates`, {
      method: 'POST',
      token: t.adminToken,
      json: { csr: await readFile(path.join(dir, 'client.csr'), 'utf8') },
    });
    expect(issued.status, await issued.clone().text()).toBe(201);
    const certificate = (await issued.json()) as { pem: string; serialNumber: string; subject: string; caId: string };
    expect(certificate.caId).toBe('services-ca');
    expect(certificate.subject).toContain(testCreditCode(60)); // from the registry, not the CSR
    expect(certificate.subject).not.toContain('ignored');
    serial = certificate.serialNumber;
    await writeFile(path.join(dir, 'client.pem'), certificate.pem);

    server = await new Promise<ServerType>((resolve) => {
      const s = startServer(
        t.app.fetch,
        { port: 0, host: '127.0.0.1', tls: { certFile: path.join(dir, 'server.pem'), keyFile: path.join(dir, 'server.key') } },
        t.ctx.hierarchy,
        () => resolve(s),
      );
    });
    baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('authenticates the department by its certificate', async () => {
    const { status, body } = await curl('/api/v1/me', 'client');
    expect(status).toBe(200);
    expect(body).toMatchObject({ departmentId: department.departmentId, roles: ['acceptor'], keyId: null, certificateSerial: serial });
  });

  it('still answers API keys and public routes over HTTPS', async () => {
    expect((await curl('/healthz')).status).toBe(200);
    const { stdout } = await execFileAsync('curl', ['-sk', '-H', `Authorization: Bearer ${t.adminToken}`, `${baseUrl}/api/v1/me`]);
    expect(JSON.parse(stdout)).toMatchObject({ roles: ['admin'], certificateSerial: null });
  });

  it('ignores a certificate from another CA', async () => {
    const { status, body } = await curl('/api/v1/me', 'stranger');
    expect(status).toBe(401);
    expect(body).toMatchObject({ code: 'MissingCredentials' });
  });

  it('refuses a revoked certificate on the next request', async () => {
    await t.request(`/api/v1/certificates/${serial}/revocation`, { method: 'POST', token: t.adminToken, json: { reason: 'keyCompromise' } });
    const { status, body } = await curl('/api/v1/me', 'client');
    expect(status).toBe(401);
    expect(body).toMatchObject({ code: 'CredentialRevoked' });
  });
});
