import { readdir } from 'node:fs/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCreditCode } from '../../support/credit-codes.js';
import { createTestApp, type TestApp } from '../../support/test-app.js';

interface SealJson {
  id: string;
  sealCode: string;
  name: string;
  status: string;
  certificateSerial: string;
}

describe('seal registry', () => {
  let t: TestApp;
  let owner: { departmentId: string; token: string };
  let other: { departmentId: string; token: string };

  beforeAll(async () => {
    t = await createTestApp({ env: { REGION_ID: '140000' } });
    owner = await t.departmentWithKey(['issuer'], testCreditCode(40));
    other = await t.departmentWithKey(['issuer'], testCreditCode(41));
  });
  afterAll(() => t.close());

  const admin = (path: string, init: RequestInit & { json?: unknown } = {}) => t.request(path, { ...init, token: t.adminToken });

  async function createSeal(body: Record<string, unknown> = {}): Promise<SealJson> {
    const res = await admin('/api/v1/seals', { method: 'POST', json: { ownerDepartmentId: owner.departmentId, type: 'licence', ...body } });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as SealJson;
  }

  it('registers a seal with a region seal code, a name and a certificate from the seal CA', async () => {
    const seal = await createSeal();
    expect(seal.sealCode).toMatch(/^140000\d{8}$/);
    expect(seal.name).toBe(`测试部门 ${testCreditCode(40)}证照专用章`);
    expect(seal.status).toBe('active');
    const cert = (await (await admin(`/api/v1/certificates/${seal.certificateSerial}`)).json()) as { caId: string; profile: string; subject: string; keyInBackend: unknown };
    expect(cert).toMatchObject({ caId: 'seal-ca', profile: 'seal' });
    expect(cert.subject).toContain(seal.sealCode);
    expect(cert.keyInBackend).not.toBeNull();
    const second = await createSeal({ type: 'contract' });
    expect(Number(second.sealCode.slice(6))).toBe(Number(seal.sealCode.slice(6)) + 1);
  });

  it('lets an issuer see only the seals it owns or was granted', async () => {
    const seal = await createSeal({ type: 'business' });
    const mine = (await (await t.request('/api/v1/seals', { token: owner.token })).json()) as { items: SealJson[] };
    expect(mine.items.map((s) => s.id)).toContain(seal.id);
    const theirs = (await (await t.request('/api/v1/seals', { token: other.token })).json()) as { items: SealJson[] };
    expect(theirs.items.map((s) => s.id)).not.toContain(seal.id);
    expect((await t.request(`/api/v1/seals/${seal.id}`, { token: other.token })).status).toBe(403);

    expect((await admin(`/api/v1/seals/${seal.id}/grants/${other.departmentId}`, { method: 'PUT' })).status).toBe(204);
    expect((await t.request(`/api/v1/seals/${seal.id}`, { token: other.token })).status).toBe(200);
    expect((await admin(`/api/v1/seals/${seal.id}/grants/${other.departmentId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await t.request(`/api/v1/seals/${seal.id}`, { token: other.token })).status).toBe(403);
    const ownerGrant = await admin(`/api/v1/seals/${seal.id}/grants/${owner.departmentId}`, { method: 'DELETE' });
    expect(await ownerGrant.json()).toMatchObject({ code: 'OwnerGrantRequired' });
  });

  it('suspends, resumes, renews and revokes, with the certificate following each step', async () => {
    const seal = await createSeal({ type: 'finance' });
    const certStatus = async (serial: string) => ((await (await admin(`/api/v1/certificates/${serial}`)).json()) as { status: string }).status;

    const suspended = (await (await admin(`/api/v1/seals/${seal.id}/suspension`, { method: 'POST', json: { reason: '印章保管人变更' } })).json()) as SealJson;
    expect(suspended.status).toBe('suspended');
    expect(await certStatus(seal.certificateSerial)).toBe('on-hold');
    expect((await admin(`/api/v1/seals/${seal.id}/suspension`, { method: 'POST', json: {} })).status).toBe(409);

    const resumed = (await (await admin(`/api/v1/seals/${seal.id}/resumption`, { method: 'POST', json: {} })).json()) as SealJson;
    expect(resumed.status).toBe('active');
    expect(await certStatus(seal.certificateSerial)).toBe('valid');

    const renewed = (await (await admin(`/api/v1/seals/${seal.id}/renewal`, { method: 'POST', json: {} })).json()) as SealJson;
    expect(renewed.sealCode).toBe(seal.sealCode);
    expect(renewed.certificateSerial).not.toBe(seal.certificateSerial);
    expect(await certStatus(seal.certificateSerial)).toBe('revoked');
    const history = (await (await admin(`/api/v1/seals/${seal.id}/certificates`)).json()) as { items: { certificateSerial: string; supersededAt: string | null }[] };
    expect(history.items.map((h) => h.certificateSerial)).toEqual([seal.certificateSerial, renewed.certificateSerial]);
    expect(history.items[0]!.supersededAt).not.toBeNull();

    const revoked = (await (await admin(`/api/v1/seals/${seal.id}/revocation`, { method: 'POST', json: { reason: 'keyCompromise' } })).json()) as SealJson;
    expect(revoked.status).toBe('revoked');
    expect(await certStatus(renewed.certificateSerial)).toBe('revoked');
    expect(await (await admin(`/api/v1/seals/${seal.id}/renewal`, { method: 'POST', json: {} })).json()).toMatchObject({ code: 'SealRevoked' });

    const actions = (await t.ctx.audit.list({ afterSeq: 0, limit: 1000, targetId: seal.id })).map((e) => e.action);
    expect(actions).toEqual(['seal.created', 'seal.suspended', 'seal.resumed', 'seal.renewed', 'seal.revoked']);
  });

  it('a seal whose transaction fails leaves no key, certificate or seal behind, on creation and on renewal', async () => {
    const keys = async () => (await readdir(t.ctx.config.keysDir)).filter((f) => f.startsWith('ee-')).sort();
    const count = async (table: 'seals' | 'certificates') => Number((await t.ctx.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const seal = await createSeal({ type: 'contract' });
    const before = { keys: await keys(), seals: await count('seals'), certificates: await count('certificates') };

    // The database refuses the seal row, after the key and certificate were made.
    await sql`create function refuse_seal_change() returns trigger language plpgsql as $$ begin raise exception 'refused by the test'; end $$`.execute(t.ctx.db);
    await sql`create trigger refuse_seal_change before insert or update on seals for each row execute function refuse_seal_change()`.execute(t.ctx.db);
    try {
      expect((await admin('/api/v1/seals', { method: 'POST', json: { ownerDepartmentId: owner.departmentId, type: 'licence' } })).status).toBe(500);
      expect((await admin(`/api/v1/seals/${seal.id}/renewal`, { method: 'POST', json: {} })).status).toBe(500);
    } finally {
      await sql`drop trigger refuse_seal_change on seals`.execute(t.ctx.db);
      await sql`drop function refuse_seal_change()`.execute(t.ctx.db);
    }
    expect({ keys: await keys(), seals: await count('seals'), certificates: await count('certificates') }).toEqual(before);

    // And a renewal that goes through keeps its new key.
    await admin(`/api/v1/seals/${seal.id}/renewal`, { method: 'POST', json: {} });
    expect(await keys()).toHaveLength(before.keys.length + 1);
  });

  it('draws the seal as SVG', async () => {
    const seal = await createSeal();
    const res = await t.request(`/api/v1/seals/${seal.id}/appearance.svg`, { token: owner.token });
    expect(res.headers.get('content-type')).toContain('image/svg+xml');
    expect(await res.text()).toContain('<svg');
  });

  describe('bad input', () => {
    it.each([
      ['an unknown owner', { ownerDepartmentId: '00000000-0000-4000-8000-000000000000', type: 'licence' }, 404, 'DepartmentNotFound'],
      ['an unknown type', { type: 'stamp' }, 400, 'InvalidRequest'],
      ['a personal seal without a person', { type: 'personal' }, 400, 'PersonNameRequired'],
      ['a person on an organisation seal', { type: 'licence', personName: '张三' }, 400, 'PersonNameRequired'],
      ['a validity above the seal profile', { validityDays: 5000 }, 400, 'InvalidRequest'],
    ])('refuses %s and creates nothing', async (_label, body, status, code) => {
      const before = (await t.ctx.db.selectFrom('seals').select('id').execute()).length;
      const res = await admin('/api/v1/seals', { method: 'POST', json: { ownerDepartmentId: owner.departmentId, ...body } });
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({ code });
      expect((await t.ctx.db.selectFrom('seals').select('id').execute()).length).toBe(before);
    });

    it('refuses seal administration to issuers', async () => {
      const res = await t.request('/api/v1/seals', { method: 'POST', token: owner.token, json: { ownerDepartmentId: owner.departmentId, type: 'licence' } });
      expect(res.status).toBe(403);
    });

    it('answers unknown seals with 404', async () => {
      const res = await admin('/api/v1/seals/00000000-0000-4000-8000-000000000000/suspension', { method: 'POST', json: {} });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ code: 'SealNotFound' });
    });
  });
});
