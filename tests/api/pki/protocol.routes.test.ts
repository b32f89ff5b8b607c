import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../support/test-app.js';

/** OCSPResponse { responseStatus malformedRequest(1) } with no responseBytes (RFC 6960 §4.2.1). */
const MALFORMED = [0x30, 0x03, 0x0a, 0x01, 0x01];

describe('protocol endpoints keep their own error channel', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const post = (path: string, type: string, body: Uint8Array) =>
    t.request(path, { method: 'POST', headers: { 'Content-Type': type }, body: Uint8Array.from(body) });

  it.each([
    ['an oversized request', 'application/ocsp-request', new Uint8Array(20_000).fill(0x30)],
    ['the wrong content type', 'application/json', new Uint8Array([0x30, 0x00])],
    ['garbage', 'application/ocsp-request', new TextEncoder().encode('hello')],
    ['an empty body', 'application/ocsp-request', new Uint8Array(0)],
  ])('answers %s with an OCSP malformedRequest, not problem+json', async (_label, type, body) => {
    const res = await post('/ocsp', type, body);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/ocsp-response');
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual(MALFORMED);
  });

  it.each([
    ['an oversized request', 'application/timestamp-query', new Uint8Array(20_000).fill(0x30)],
    ['the wrong content type', 'text/plain', new Uint8Array([0x30, 0x00])],
  ])('answers %s with a time-stamp rejection', async (_label, type, body) => {
    const res = await post('/tsa', type, body);
    expect(res.headers.get('content-type')).toBe('application/timestamp-reply');
    const der = new Uint8Array(await res.arrayBuffer());
    // TimeStampResp { status PKIStatusInfo { status rejection(2) ... } }
    expect([der[0], der[2], der[4], der[5], der[6]]).toEqual([0x30, 0x30, 0x02, 0x01, 0x02]);
  });
});
