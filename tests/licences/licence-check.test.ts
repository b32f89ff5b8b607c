import { createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { residentIdCheckCharacter } from '../../src/pki/resident-id.js';
import { testCreditCode } from '../support/credit-codes.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const HOLDER_ID = (() => {
  const body = '11010519491231002';
  return body + residentIdCheckCharacter(body);
})();

/** The public page a licence's QR code opens, its JSON twin, the published keys and scan records. */
describe('QR check page', () => {
  let t: TestApp;
  let issuer: { departmentId: string; token: string };
  let typeCode: string;
  const clock = new ManualClock(new Date('2026-11-23T08:00:00Z'));

  beforeAll(async () => {
    t = await createTestApp({ clock });
    issuer = await t.departmentWithKey(['issuer'], testCreditCode(80));
    const type = t.ctx.licences.catalogue.list().find((x) => x.slug === 'disability-certificate')!;
    typeCode = type.code;
    await t.request('/api/v1/seals', { method: 'POST', token: t.adminToken, json: { ownerDepartmentId: issuer.departmentId, type: type.sealType } });
    await t.request(`/api/v1/departments/${issuer.departmentId}/licence-types/${typeCode}/issue`, { method: 'PUT', token: t.adminToken });
  });
  afterAll(() => t.close());

  async function issue(name: string, extra: Record<string, unknown> = {}) {
    const res = await t.request('/api/v1/licences', {
      method: 'POST',
      token: issuer.token,
      json: { typeCode, level: 'B-B', holders: [{ name, id: HOLDER_ID }], fields: { sex: '女', disabilityCategory: '视力', disabilityGrade: '二级', address: '北京市西城区' }, ...extra },
    });
    expect(res.status).toBe(201);
    return (await res.json()) as { identifier: string; links: { verify: string } };
  }
  const path = (url: string) => new URL(url).pathname;
  const page = async (url: string, lang = '') => {
    const res = await t.request(`${path(url)}${lang}`);
    return { res, html: await res.text() };
  };
  const verdictOf = (html: string) => /data-verdict="([^"]+)" data-reason="([^"]+)"/.exec(html)!.slice(1);

  it('shows a valid licence with the holder masked, in Chinese and English, and nothing personal in the URL or logs', async () => {
    const licence = await issue('张小三');
    const { res, html } = await page(licence.links.verify);
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toContain('text/html');
    expect(verdictOf(html)).toEqual(['valid', 'ok']);
    expect(html).toContain('真实有效');
    expect(html).toContain('张*三');
    expect(html).toContain('1101**********002X'.slice(0, 4));
    expect(html).not.toContain(HOLDER_ID);
    expect(html).not.toContain('张小三');
    expect(licence.links.verify).not.toContain(HOLDER_ID);
    const en = await page(licence.links.verify, '?lang=en');
    expect(en.html).toContain('Genuine and valid');
    expect(en.html).toContain('lang="en"');
  });

  it('says revoked, suspended and expired at once after the change', async () => {
    const licence = await issue('李四');
    await t.request(`/api/v1/licences/${licence.identifier}/suspension`, { method: 'POST', token: issuer.token, json: { reason: '复核' } });
    expect(verdictOf((await page(licence.links.verify)).html)).toEqual(['not-valid', 'suspended']);
    await t.request(`/api/v1/licences/${licence.identifier}/revocation`, { method: 'POST', token: issuer.token, json: { reason: '骗领' } });
    const { html } = await page(licence.links.verify);
    expect(verdictOf(html)).toEqual(['not-valid', 'revoked']);
    expect(html).toContain('撤销');

    const expiring = await issue('王五', { validFrom: '2017-01-01' });
    expect(verdictOf((await page(expiring.links.verify)).html)).toEqual(['valid', 'ok']);
    const jump = new Date('2026-12-31T16:00:01Z').getTime() - clock.now().getTime(); // to 2027-01-01 in China: 10 years from 2017-01-01 are over
    clock.advance(jump);
    expect(verdictOf((await page(expiring.links.verify)).html)).toEqual(['not-valid', 'expired']);
    clock.advance(-jump);
  });

  it('calls a tampered, forged or garbled token not genuine', async () => {
    const licence = await issue('赵六');
    const url = new URL(licence.links.verify);
    const [header, payload, signature] = url.pathname.slice(3).split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const otherPayload = Buffer.from(JSON.stringify({ ...claims, sub: claims.sub.replace(/\.001\.(.)$/, '.002.$1') })).toString('base64url');
    const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
    for (const [token, reason] of [
      [`${header}.${otherPayload}.${signature}`, 'bad-signature'],
      [`${header}.${payload}.${flipped}`, 'bad-signature'],
      ['not-a-token', 'malformed-token'],
      [`${Buffer.from('{"alg":"ES256","kid":"unknownkid1"}').toString('base64url')}.${payload}.${signature}`, 'unknown-key'],
      ['a'.repeat(5000), 'malformed-token'],
    ] as const) {
      const res = await t.request(`/v/${token}`);
      expect(res.status).toBe(200);
      expect(verdictOf(await res.text())).toEqual(['not-genuine', reason]);
    }
  });

  it('answers JSON to apps, and the published key verifies the token offline', async () => {
    const licence = await issue('钱七');
    const res = await t.request(path(licence.links.verify), { headers: { Accept: 'application/json' } });
    const body = (await res.json()) as { verdict: string; licence: { identifier: string; holders: { name: string }[] } };
    expect(body.verdict).toBe('valid');
    expect(body.licence.identifier).toBe(licence.identifier);
    expect(body.licence.holders[0]!.name).toBe('钱*');

    const jwks = (await (await t.request('/.well-known/licence-token-keys.json')).json()) as { keys: (JsonWebKey & { kid: string })[] };
    const [header, payload, signature] = path(licence.links.verify).slice(3).split('.') as [string, string, string];
    const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString());
    const jwk = jwks.keys.find((k) => k.kid === kid)!;
    const key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } as never, format: 'jwk' });
    expect(verify('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))).toBe(true);
  });

  it('keeps verifying licences signed with a key that was rotated out', async () => {
    const before = await issue('孙八');
    await t.ctx.licenceTokens.rotate({ departmentId: null, keyId: null, requestId: 'test' });
    const after = await issue('周九');
    expect(JSON.parse(Buffer.from(path(after.links.verify).slice(3).split('.')[0]!, 'base64url').toString()).kid).not.toBe(
      JSON.parse(Buffer.from(path(before.links.verify).slice(3).split('.')[0]!, 'base64url').toString()).kid,
    );
    expect(verdictOf((await page(before.links.verify)).html)).toEqual(['valid', 'ok']);
    expect(verdictOf((await page(after.links.verify)).html)).toEqual(['valid', 'ok']);
    const jwks = (await (await t.request('/.well-known/licence-token-keys.json')).json()) as { keys: { retired?: string }[] };
    expect(jwks.keys.filter((k) => k.retired)).toHaveLength(1);
  });

  it('records each scan with its outcome and nothing about the scanner', async () => {
    const licence = await issue('吴十');
    await page(licence.links.verify);
    await page(licence.links.verify);
    expect(await t.ctx.licenceChecks.scanCounts(licence.identifier)).toEqual({ 'valid:ok': 2 });
    const columns = Object.keys((await t.ctx.db.selectFrom('licence_scans').selectAll().executeTakeFirstOrThrow()) as object).sort();
    expect(columns).toEqual(['at', 'id', 'identifier', 'outcome']);
  });

  it('answers accepting departments’ data checks with the provincial result codes, revealing nothing', async () => {
    const acceptor = await t.departmentWithKey(['acceptor'], testCreditCode(81));
    const valid = await issue('郑十一');
    const full = (await (await t.request(`/api/v1/licences/${valid.identifier}`, { token: issuer.token })).json()) as { licenceNumber: string };
    const suspended = await issue('郑十二');
    await t.request(`/api/v1/licences/${suspended.identifier}/suspension`, { method: 'POST', token: issuer.token, json: { reason: '复核' } });
    const cases: [Record<string, string>, number][] = [
      [{ identifier: valid.identifier }, 0],
      [{ identifier: valid.identifier, holderId: HOLDER_ID, holderName: '郑十一' }, 0],
      [{ typeCode, licenceNumber: full.licenceNumber, holderId: HOLDER_ID }, 0],
      [{ identifier: suspended.identifier }, 2],
      [{ licenceNumber: full.licenceNumber }, 4],
      [{ identifier: `${valid.identifier.slice(0, -5)}9.001.X` }, 5],
      [{}, 6],
      [{ identifier: valid.identifier, holderName: '郑十二' }, 7],
      [{ identifier: valid.identifier, holderId: '110105194912310010' }, 7],
    ];
    for (const [body, result] of cases) {
      const res = await t.request('/api/v1/licence-checks', { method: 'POST', token: acceptor.token, json: body });
      expect(res.status).toBe(200);
      const answer = (await res.json()) as Record<string, unknown>;
      expect([body, answer.result]).toEqual([body, result]);
      expect(JSON.stringify(answer)).not.toContain(HOLDER_ID);
    }
  });
});
