import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumDumpDom, missingTool, serveOnLoopback } from '../../support/outside-tools.js';
import { createTestApp, type TestApp } from '../../support/test-app.js';

describe.skipIf(missingTool('chromium'))('/docs in a real browser', () => {
  let t: TestApp;
  let server: Awaited<ReturnType<typeof serveOnLoopback>>;

  beforeAll(async () => {
    t = await createTestApp();
    server = await serveOnLoopback(t.app.fetch);
  });
  afterAll(async () => {
    await server.close();
    await t.close();
  });

  it('renders every API operation from /openapi.json under our content security policy', async () => {
    const dom = await chromiumDumpDom(`${server.baseUrl}/docs`);
    const rendered = [...dom.matchAll(/class="opblock-summary-path" data-path="([^"]+)"/g)].map((m) => m[1]);
    const doc = (await (await t.request('/openapi.json')).json()) as { paths: Record<string, object> };
    const expected = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map(() => path));
    expect(rendered.sort()).toEqual(expected.sort());
  });
});
