import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PDFDocument, PDFName, StandardFonts } from 'pdf-lib';
import { testCreditCode } from '../support/credit-codes.js';
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

  async function ambiguousPdf(): Promise<Buffer> {
    const doc = await PDFDocument.create({ updateMetadata: false });
    const font = await doc.embedFont(StandardFonts.Helvetica);
    const page = doc.addPage([595, 842]);
    page.drawText('Permitted activity: retail', { x: 72, y: 700, size: 24, font });
    const hidden = doc.context.register(doc.context.stream('BT /F1 24 Tf 72 700 Td (Permitted activity: anything) Tj ET'));
    const base = Buffer.from(await doc.save({ useObjectStreams: false }));
    const duplicate = `${page.ref.objectNumber} 0 obj\n<< /Type /Page /Parent ${page.node.get(PDFName.of('Parent'))!.toString()} /MediaBox [0 0 595 842] /Contents ${hidden.toString()} /Resources << /Font << /F1 ${font.ref.toString()} >> >> >>\nendobj\n`;
    const source = base.toString('latin1');
    const xrefAt = source.lastIndexOf('\nxref\n') + 1;
    const startxref = Number(/startxref\s+(\d+)/.exec(source.slice(xrefAt))![1]);
    return Buffer.concat([
      base.subarray(0, xrefAt),
      Buffer.from(duplicate, 'latin1'),
      Buffer.from(source.slice(xrefAt).replace(`startxref\n${startxref}`, `startxref\n${startxref + duplicate.length}`), 'latin1'),
    ]);
  }

  it('answers 400 AmbiguousPdf and records no seal use', async () => {
    const res = await t.request(`/api/v1/seals/${sealId}/sealing?level=B-B`, {
      method: 'POST',
      token: issuer.token,
      headers: { 'Content-Type': 'application/pdf' },
      body: new Uint8Array(await ambiguousPdf()),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('AmbiguousPdf');
    const uses = await t.ctx.db.selectFrom('seal_uses').select('id').where('seal_id', '=', sealId).execute();
    expect(uses).toHaveLength(0);
  });
});
