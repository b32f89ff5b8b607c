import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCreditCode } from '../support/credit-codes.js';
import { pageDefinedTwicePdf } from '../validation/attack-corpus.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * Regression: a PDF that defines its page twice showed "retail" in every reader but came out of
 * the sealing service sealed as "anything" (pdf-lib takes the last definition in file order,
 * readers follow the cross-reference table). Such input is now refused and nothing is recorded.
 */
describe('sealing refuses a PDF whose objects are defined twice', () => {
  let t: TestApp;
  let issuer: { departmentId: string; token: string };
  let sealId: string;

  beforeAll(async () => {
    t = await createTestApp();
    issuer = await t.departmentWithKey(['issuer'], testCreditCode(95));
    const res = await t.request('/api/v1/seals', { method: 'POST', token: t.adminToken, json: { ownerDepartmentId: issuer.departmentId, type: 'business' } });
    sealId = ((await res.json()) as { id: string }).id;
  });
  afterAll(() => t.close());

  it('answers 400 AmbiguousPdf and records no seal use', async () => {
    const res = await t.request(`/api/v1/seals/${sealId}/sealing?level=B-B`, {
      method: 'POST',
      token: issuer.token,
      headers: { 'Content-Type': 'application/pdf' },
      body: new Uint8Array(await pageDefinedTwicePdf()),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('AmbiguousPdf');
    const uses = await t.ctx.db.selectFrom('seal_uses').select('id').where('seal_id', '=', sealId).execute();
    expect(uses).toHaveLength(0);
  });
});
