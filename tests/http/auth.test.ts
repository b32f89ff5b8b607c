import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { testCreditCode } from '../support/credit-codes.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

interface Operation {
  method: string;
  path: string;
  roles: string[];
}

/** Every operation under /api/v1, read from the published OpenAPI document. */
async function apiOperations(t: TestApp): Promise<Operation[]> {
  const doc = (await (await t.request('/openapi.json')).json()) as {
    paths: Record<string, Record<string, { 'x-required-roles'?: string[]; security?: unknown[] }>>;
  };
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    if (!path.startsWith('/api/v1/')) continue;
    for (const [method, op] of Object.entries(methods)) {
      expect(op.security, `${method} ${path} must declare security`).toEqual([{ bearerAuth: [] }]);
      expect(op['x-required-roles'], `${method} ${path} must declare roles`).toBeInstanceOf(Array);
      operations.push({ method: method.toUpperCase(), path, roles: op['x-required-roles']! });
    }
  }
  return operations;
}

/** A concrete URL for a templated path; the ids need not exist, auth runs first. */
function concrete(path: string): string {
  return path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
}

describe('authentication and authorisation', () => {
  const clock = new ManualClock(new Date('2026-11-23T09:00:00Z'));
  let t: TestApp;
  let operations: Operation[];
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp({ clock });
    operations = await apiOperations(t);
    tokens.admin = t.adminToken;
    tokens.issuer = (await t.departmentWithKey(['issuer'], testCreditCode(1))).token;
    tokens.acceptor = (await t.departmentWithKey(['acceptor'], testCreditCode(2))).token;
  });
  afterAll(() => t.close());

  it('finds the API operations to check', () => {
    expect(operations.length).toBeGreaterThanOrEqual(9);
  });

  it('answers 401 with WWW-Authenticate to every API operation without credentials', async () => {
    for (const op of operations) {
      const res = await t.request(concrete(op.path), { method: op.method });
      expect(res.status, `${op.method} ${op.path}`).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(((await res.json()) as { code: string }).code).toBe('MissingCredentials');
    }
  });

  it.each([
    ['Basic YWRtaW46YWRtaW4=', 'MalformedCredentials'],
    ['Bearer', 'MalformedCredentials'],
    ['Bearer elt_not-a-real-token', 'InvalidCredentials'],
  ])('answers 401 to Authorization: %s', async (header, code) => {
    for (const op of operations) {
      const res = await t.request(concrete(op.path), { method: op.method, headers: { Authorization: header } });
      expect(res.status, `${op.method} ${op.path}`).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe(code);
    }
  });

  it('answers 403 to each role an operation does not allow, and lets the allowed roles through', async () => {
    for (const op of operations) {
      for (const role of ['admin', 'issuer', 'acceptor']) {
        const res = await t.request(concrete(op.path), { method: op.method, token: tokens[role] });
        const label = `${role} ${op.method} ${op.path}`;
        if (op.roles.includes(role)) {
          expect([401, 403], label).not.toContain(res.status);
        } else {
          expect(res.status, label).toBe(403);
          expect(((await res.json()) as { code: string }).code).toBe('RoleRequired');
        }
      }
    }
  });

  it('stops a revoked key at once', async () => {
    const dept = await t.departmentWithKey(['acceptor'], testCreditCode(3));
    expect((await t.request('/api/v1/me', { token: dept.token })).status).toBe(200);
    const revoke = await t.request(`/api/v1/departments/${dept.departmentId}/api-keys/${dept.keyId}`, {
      method: 'DELETE',
      token: t.adminToken,
    });
    expect(revoke.status).toBe(200);
    const res = await t.request('/api/v1/me', { token: dept.token });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('CredentialRevoked');
  });

  it('stops an expired key', async () => {
    const dept = await t.departmentWithKey(['acceptor'], testCreditCode(4));
    const issued = await t.request(`/api/v1/departments/${dept.departmentId}/api-keys`, {
      method: 'POST',
      token: t.adminToken,
      json: { label: 'one hour', expiresAt: new Date(clock.now().getTime() + 3600_000).toISOString() },
    });
    const { token } = (await issued.json()) as { token: string };
    expect((await t.request('/api/v1/me', { token })).status).toBe(200);
    clock.advance(3600_000);
    const res = await t.request('/api/v1/me', { token });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('CredentialExpired');
    clock.advance(-3600_000);
  });

  it("stops every key of a disabled department, and restores them when it is enabled", async () => {
    const dept = await t.departmentWithKey(['issuer'], testCreditCode(5));
    const disable = await t.request(`/api/v1/departments/${dept.departmentId}`, {
      method: 'PATCH',
      token: t.adminToken,
      json: { status: 'disabled' },
    });
    expect(disable.status).toBe(200);
    const res = await t.request('/api/v1/me', { token: dept.token });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('DepartmentDisabled');
    await t.request(`/api/v1/departments/${dept.departmentId}`, {
      method: 'PATCH',
      token: t.adminToken,
      json: { status: 'active' },
    });
    expect((await t.request('/api/v1/me', { token: dept.token })).status).toBe(200);
  });

  it('records when a key was last used, without writing on every request', async () => {
    const dept = await t.departmentWithKey(['acceptor'], testCreditCode(6));
    const keysUrl = `/api/v1/departments/${dept.departmentId}/api-keys`;
    const before = (await (await t.request(keysUrl, { token: t.adminToken })).json()) as { items: { lastUsedAt: string | null }[] };
    expect(before.items[0]!.lastUsedAt).toBeNull();
    await t.request('/api/v1/me', { token: dept.token });
    const first = clock.now().toISOString();
    clock.advance(10_000);
    await t.request('/api/v1/me', { token: dept.token });
    const after = (await (await t.request(keysUrl, { token: t.adminToken })).json()) as { items: { lastUsedAt: string | null }[] };
    expect(after.items[0]!.lastUsedAt).toBe(first);
  });

  it('shows who the caller is', async () => {
    const res = await t.request('/api/v1/me', { token: tokens.issuer });
    expect(await res.json()).toMatchObject({ roles: ['issuer'], regionId: '140000' });
  });
});
