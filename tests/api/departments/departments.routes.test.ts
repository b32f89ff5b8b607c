import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCreditCode } from '../../support/credit-codes.js';
import { createTestApp, type TestApp } from '../../support/test-app.js';

interface AuditItem {
  action: string;
  outcome: string;
  targetId: string | null;
  actorDepartmentId: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

describe('departments and API keys', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const admin = (path: string, init: RequestInit & { json?: unknown } = {}) =>
    t.request(path, { ...init, token: t.adminToken });

  async function auditTail(n: number): Promise<AuditItem[]> {
    const body = (await (await admin('/api/v1/audit-log?limit=1000')).json()) as { items: AuditItem[] };
    return body.items.slice(-n);
  }

  it('walks a department through its life: create, key, use, list, revoke', async () => {
    const created = await admin('/api/v1/departments', {
      method: 'POST',
      json: { name: '太原市市场监督管理局', creditCode: '11100000000013338w', regionId: '140100', roles: ['issuer', 'acceptor', 'issuer'] },
    });
    expect(created.status).toBe(201);
    const department = (await created.json()) as { id: string; creditCode: string; roles: string[]; regionId: string };
    expect(department).toMatchObject({ creditCode: '11100000000013338W', roles: ['acceptor', 'issuer'], regionId: '140100', status: 'active' });
    const createdBy = created.headers.get('x-request-id');

    const [entry] = await auditTail(1);
    expect(entry).toMatchObject({
      action: 'department.created',
      outcome: 'success',
      targetId: department.id,
      actorDepartmentId: t.adminDepartmentId,
      requestId: createdBy,
    });

    const issued = await admin(`/api/v1/departments/${department.id}/api-keys`, { method: 'POST', json: { label: '业务系统' } });
    expect(issued.status).toBe(201);
    expect(issued.headers.get('cache-control')).toBe('no-store');
    const { key, token } = (await issued.json()) as { key: { id: string; prefix: string }; token: string };
    expect(token).toMatch(/^elt_[A-Za-z0-9_-]{43}$/);
    expect(token.startsWith(key.prefix)).toBe(true);

    const me = await t.request('/api/v1/me', { token });
    expect(await me.json()).toMatchObject({ departmentId: department.id, keyId: key.id });

    const keys = await admin(`/api/v1/departments/${department.id}/api-keys`);
    const listed = (await keys.json()) as { items: Record<string, unknown>[] };
    expect(listed.items).toHaveLength(1);
    expect(listed.items[0]).toMatchObject({ id: key.id, status: 'active', label: '业务系统' });
    expect(JSON.stringify(listed)).not.toContain(token);

    const fetched = await admin(`/api/v1/departments/${department.id}`);
    expect(await fetched.json()).toMatchObject({ id: department.id, name: '太原市市场监督管理局' });

    const revoked = await admin(`/api/v1/departments/${department.id}/api-keys/${key.id}`, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toMatchObject({ status: 'revoked' });
    expect((await auditTail(1))[0]).toMatchObject({ action: 'api-key.revoked', targetId: key.id });

    const again = await admin(`/api/v1/departments/${department.id}/api-keys/${key.id}`, { method: 'DELETE' });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: 'ApiKeyAlreadyRevoked' });
  });

  it('never stores the token itself', async () => {
    const dept = await t.departmentWithKey(['acceptor'], testCreditCode(10));
    const rows = await t.ctx.db.selectFrom('api_keys').selectAll().where('id', '=', dept.keyId).execute();
    expect(JSON.stringify(rows)).not.toContain(dept.token.slice(12));
    expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('lists departments, filtered by role and paged', async () => {
    await t.departmentWithKey(['acceptor'], testCreditCode(11));
    const acceptors = (await (await admin('/api/v1/departments?role=acceptor')).json()) as { items: { roles: string[] }[] };
    expect(acceptors.items.length).toBeGreaterThan(0);
    expect(acceptors.items.every((d) => d.roles.includes('acceptor'))).toBe(true);
    const page = (await (await admin('/api/v1/departments?limit=1&offset=1')).json()) as { items: unknown[] };
    expect(page.items).toHaveLength(1);
  });

  describe('bad input', () => {
    const valid = { name: '晋中市税务局', creditCode: testCreditCode(20), roles: ['issuer'] };

    it.each([
      ['a credit code with a wrong check character', { ...valid, creditCode: '11100000000013338X' }, 'InvalidCreditCode'],
      ['a credit code of the wrong shape', { ...valid, creditCode: '1234' }, 'InvalidCreditCode'],
      ['a missing name', { creditCode: valid.creditCode, roles: ['issuer'] }, 'InvalidRequest'],
      ['a name of the wrong type', { ...valid, name: 42 }, 'InvalidRequest'],
      ['an unknown role', { ...valid, roles: ['superuser'] }, 'InvalidRequest'],
      ['no roles', { ...valid, roles: [] }, 'InvalidRequest'],
      ['an unknown field', { ...valid, password: 'x' }, 'InvalidRequest'],
      ['a bad region', { ...valid, regionId: 'shanxi' }, 'InvalidRequest'],
      ['an array body', [valid], 'InvalidRequest'],
    ])('refuses %s with 400 and writes nothing', async (_label, body, code) => {
      const before = await t.ctx.db.selectFrom('departments').select('id').execute();
      const res = await admin('/api/v1/departments', { method: 'POST', json: body });
      expect(res.status).toBe(400);
      const problem = (await res.json()) as { code: string; detail: string };
      expect(problem.code).toBe(code);
      expect(problem.detail.length).toBeGreaterThan(10);
      const after = await t.ctx.db.selectFrom('departments').select('id').execute();
      expect(after).toHaveLength(before.length);
      const [last] = await auditTail(1);
      expect(last).toMatchObject({ outcome: 'rejected', details: { code } });
    });

    it('lists each invalid field', async () => {
      const res = await admin('/api/v1/departments', { method: 'POST', json: { name: 1, roles: 'issuer' } });
      const problem = (await res.json()) as { errors: { location: string }[] };
      expect([...new Set(problem.errors.map((e) => e.location))].sort()).toEqual(['body.creditCode', 'body.name', 'body.roles']);
    });

    it('refuses a second department with the same credit code', async () => {
      const body = { ...valid, creditCode: testCreditCode(21) };
      expect((await admin('/api/v1/departments', { method: 'POST', json: body })).status).toBe(201);
      const res = await admin('/api/v1/departments', { method: 'POST', json: body });
      expect(res.status).toBe(409);
      expect(await res.json()).toMatchObject({ code: 'DepartmentExists' });
    });

    it.each([
      ['GET', '/api/v1/departments/not-a-uuid', 400, 'InvalidRequest'],
      ['GET', '/api/v1/departments/00000000-0000-4000-8000-000000000000', 404, 'DepartmentNotFound'],
      ['GET', '/api/v1/departments/00000000-0000-4000-8000-000000000000/api-keys', 404, 'DepartmentNotFound'],
      ['POST', '/api/v1/departments/00000000-0000-4000-8000-000000000000/api-keys', 404, 'DepartmentNotFound'],
      ['DELETE', '/api/v1/departments/00000000-0000-4000-8000-000000000000/api-keys/00000000-0000-4000-8000-000000000000', 404, 'ApiKeyNotFound'],
      ['PATCH', '/api/v1/departments/00000000-0000-4000-8000-000000000000', 404, 'DepartmentNotFound'],
      ['GET', '/api/v1/departments?limit=0', 400, 'InvalidRequest'],
      ['GET', '/api/v1/departments?sort=name', 400, 'InvalidRequest'],
    ])('%s %s answers %i %s', async (method, path, status, code) => {
      const json = method === 'POST' ? { label: 'x' } : method === 'PATCH' ? { status: 'disabled' } : undefined;
      const res = await admin(path, { method, json });
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({ code });
    });

    it('refuses a key that would already be expired', async () => {
      const res = await admin(`/api/v1/departments/${t.adminDepartmentId}/api-keys`, {
        method: 'POST',
        json: { label: 'old', expiresAt: '2001-01-01T00:00:00Z' },
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'ExpiryInPast' });
    });

    it('refuses a key for a disabled department', async () => {
      const dept = await t.departmentWithKey(['issuer'], testCreditCode(22));
      await admin(`/api/v1/departments/${dept.departmentId}`, { method: 'PATCH', json: { status: 'disabled' } });
      const res = await admin(`/api/v1/departments/${dept.departmentId}/api-keys`, { method: 'POST', json: { label: 'x' } });
      expect(res.status).toBe(409);
      expect(await res.json()).toMatchObject({ code: 'DepartmentDisabled' });
    });

    it('does not let an administrator lock itself out', async () => {
      const res = await admin(`/api/v1/departments/${t.adminDepartmentId}`, { method: 'PATCH', json: { status: 'disabled' } });
      expect(res.status).toBe(409);
      expect(await res.json()).toMatchObject({ code: 'CannotDisableSelf' });
    });
  });

  it('keeps the audit chain intact through all of the above', async () => {
    const res = await admin('/api/v1/audit-log/verification');
    expect(await res.json()).toMatchObject({ intact: true, firstBroken: null });
  });
});
