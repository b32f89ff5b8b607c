import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childDatabase, type ChildDatabase, runMain, startService } from './support/processes.js';

describe('the service process', () => {
  it('refuses to start with a bad setting and names the variable', async () => {
    const result = await runMain({ PORT: 'eighty', REGION_ID: '14', DATA_DIR: '/nonexistent/never-created' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('PORT: must be a whole number');
    expect(result.stderr).toContain('REGION_ID:');
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack trace
  });

  it('refuses to start with a bad CA configuration and lists the problems', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'elt-bad-ca-'));
    const file = path.join(dir, 'hierarchy.json');
    const config = JSON.parse(readFileSync('ca-config/hierarchy.json', 'utf8')) as { authorities: { issuer?: string }[] };
    config.authorities[1]!.issuer = 'ghost-ca';
    writeFileSync(file, JSON.stringify(config));
    const result = await runMain({ CA_CONFIG: file, DATA_DIR: path.join(dir, 'data'), KEYS_DIR: path.join(dir, 'keys') });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("authorities.1.issuer: no authority named 'ghost-ca'");
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a development key passphrase in production', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'elt-prod-'));
    const result = await runMain({ NODE_ENV: 'production', DATA_DIR: path.join(dir, 'data'), KEYS_DIR: path.join(dir, 'keys') });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('set KEYS_PASSPHRASE');
    expect(existsSync(path.join(dir, 'keys', '.dev-passphrase'))).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  describe('first start', () => {
    let database: ChildDatabase;

    beforeAll(async () => {
      database = await childDatabase();
    });
    afterAll(() => database.close());

    it('prints a one-time administrator key, which works; a restart prints none', async () => {
      const service = await startService({ ...database.env, REGION_ID: '140100', REGION_NAME: '太原市' });
      const printed = /(elt_[A-Za-z0-9_-]{43})/.exec(service.output().stderr);
      expect(printed, service.output().stderr).not.toBeNull();
      const token = printed![1]!;

      const me = await fetch(`${service.baseUrl}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ roles: ['admin'], regionId: '140100', departmentName: '太原市电子证照运营中心' });
      expect((await fetch(`${service.baseUrl}/healthz`)).status).toBe(200);
      expect((await fetch(`${service.baseUrl}/readyz`)).status).toBe(200);
      expect((await fetch(`${service.baseUrl}/docs`)).status).toBe(200);
      // The development hierarchy was generated and is served.
      const root = await fetch(`${service.baseUrl}/ca/root.crt`);
      expect(root.headers.get('content-type')).toBe('application/pkix-cert');
      const crl = await fetch(`${service.baseUrl}/crl/seal-ca.crl`);
      expect(crl.headers.get('content-type')).toBe('application/pkix-crl');
      const tsa = await fetch(`${service.baseUrl}/tsa`, { method: 'POST', headers: { 'Content-Type': 'application/timestamp-query' }, body: 'x' });
      expect(tsa.headers.get('content-type')).toBe('application/timestamp-reply');
      expect(existsSync(path.join(database.env.KEYS_DIR!, 'root.key.pem'))).toBe(true);
      const stopped = await service.stop();
      expect(stopped.code).toBe(0);
      expect(stopped.stdout).not.toContain(token);

      const again = await startService({ ...database.env, REGION_ID: '140100', REGION_NAME: '太原市' });
      expect(again.output().stderr).not.toMatch(/elt_/);
      const stillWorks = await fetch(`${again.baseUrl}/api/v1/me`, { headers: { Authorization: `Bearer ${token}` } });
      expect(stillWorks.status).toBe(200);
      expect((await again.stop()).code).toBe(0);
    });
  });

  describe('with ADMIN_TOKEN', () => {
    let database: ChildDatabase;
    const adminToken = 'ci-bootstrap-token-0123456789abcdefghijklmnop';

    beforeAll(async () => {
      database = await childDatabase();
    });
    afterAll(() => database.close());

    it('makes that token the first administrator credential and never prints or logs it', async () => {
      const service = await startService({ ...database.env, ADMIN_TOKEN: adminToken });
      const me = await fetch(`${service.baseUrl}/api/v1/me`, { headers: { Authorization: `Bearer ${adminToken}` } });
      expect(me.status).toBe(200);
      const { stdout, stderr } = service.output();
      expect(stdout + stderr).not.toContain(adminToken);
      expect(stderr).not.toMatch(/elt_/);
      expect((await service.stop()).code).toBe(0);
    });
  });
});
