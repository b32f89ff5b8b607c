import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.js';

describe('HTTP conventions', () => {
  let t: TestApp;
  const logLines: string[] = [];

  beforeAll(async () => {
    const logStream = new PassThrough();
    logStream.on('data', (chunk: Buffer) => logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
    t = await createTestApp({ logStream, env: { MAX_JSON_BODY_BYTES: '4096' } });
  });
  afterAll(() => t.close());

  it('gives every response a request id, and keeps a sane one the client sent', async () => {
    const generated = await t.request('/healthz');
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const echoed = await t.request('/healthz', { headers: { 'X-Request-Id': 'gateway-42' } });
    expect(echoed.headers.get('x-request-id')).toBe('gateway-42');
    const unsafe = await t.request('/healthz', { headers: { 'X-Request-Id': 'evil <script>' } });
    expect(unsafe.headers.get('x-request-id')).not.toContain('<script>');
  });

  it('answers health and readiness without credentials', async () => {
    expect(await (await t.request('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await t.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', region: '140000' });
  });

  it('answers unknown routes with a 404 problem', async () => {
    const res = await t.request('/api/v2/nothing');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 404, code: 'RouteNotFound', requestId: res.headers.get('x-request-id') });
  });

  it('rejects malformed JSON with a stable code', async () => {
    const res = await t.request('/api/v1/departments', {
      method: 'POST',
      token: t.adminToken,
      headers: { 'Content-Type': 'application/json' },
      body: '{"name": "unterminated',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'MalformedJson' });
  });

  it('rejects a body that is not JSON', async () => {
    const res = await t.request('/api/v1/departments', {
      method: 'POST',
      token: t.adminToken,
      headers: { 'Content-Type': 'text/plain' },
      body: 'name=x',
    });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({ code: 'UnsupportedMediaType' });
  });

  it('rejects an oversized body before reading it all', async () => {
    const res = await t.request('/api/v1/departments', {
      method: 'POST',
      token: t.adminToken,
      json: { name: 'x'.repeat(10_000), creditCode: '11100000000013338W', roles: ['issuer'] },
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'PayloadTooLarge' });
    const list = (await (await t.request('/api/v1/departments', { token: t.adminToken })).json()) as { items: unknown[] };
    expect(list.items).toHaveLength(1);
  });

  it('publishes an OpenAPI 3.1 document built from the validating schemas', async () => {
    const res = await t.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>;
      components: { schemas: Record<string, { additionalProperties?: boolean; required?: string[] }> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/departments', '/api/v1/departments/{id}/api-keys', '/api/v1/audit-log/verification']),
    );
    // Strict request schemas show up as closed objects, so clients learn unknown fields are refused.
    expect(doc.components.schemas.CreateDepartment).toMatchObject({
      additionalProperties: false,
      required: expect.arrayContaining(['name', 'creditCode', 'roles']),
    });
  });

  it('serves the interactive docs page and its assets from this service', async () => {
    const page = await t.request('/docs');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/docs/swagger-ui-bundle.js');
    const bundle = await t.request('/docs/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toContain('javascript');
    expect((await t.request('/docs/../package.json')).status).toBe(404);
    expect((await t.request('/docs/index.html')).status).toBe(404);
  });

  it('logs one structured line per request with its id, and never the token', async () => {
    logLines.length = 0;
    const res = await t.request('/api/v1/me?holder=110105194912310020', { token: t.adminToken });
    const requestId = res.headers.get('x-request-id');
    const line = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.requestId === requestId);
    expect(line).toMatchObject({ method: 'GET', path: '/api/v1/me', status: 200, msg: 'request' });
    const all = logLines.join('\n');
    expect(all).not.toContain(t.adminToken);
    expect(all).not.toContain('110105194912310020');
  });

  it('answers an unexpected failure with an opaque 500 and logs the cause', async () => {
    const broken = await createTestApp();
    await broken.database.close();
    const res = await broken.request('/api/v1/me', { token: broken.adminToken });
    expect(res.status).toBe(500);
    const body = (await res.json()) as { code: string; detail: string };
    expect(body.code).toBe('InternalError');
    expect(body.detail).not.toMatch(/pglite|postgres|destroyed|stack/i);
  });
});
