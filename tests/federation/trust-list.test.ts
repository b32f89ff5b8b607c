import { createHmac, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import {
  fingerprintOf,
  MAX_TRUST_LIST_BYTES,
  TRUST_LIST_FORMAT,
  type TrustListError,
  type TrustListPayload,
  type SeenTrustList,
  trustListPayloadSha256,
  trustListSigningInput,
  verifyTrustList,
} from '../../src/federation/trust-list.js';
import { TrustListService } from '../../src/federation/trust-list.service.js';
import { LicenceTypeCatalogue } from '../../src/licences/licence-type.js';
import { x509 } from '../../src/pki/x509.js';
import { openssl } from '../support/openssl.js';
import { missingTool } from '../support/outside-tools.js';
import { joinJws, splitJws } from '../support/regions.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const HOUR = 60 * 60 * 1000;
const ACTOR = { departmentId: null, keyId: null, requestId: 'trust-list-test' };
const ES256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** A key and self-signed certificate nobody's list anchors: the "fresh self-made key" of a forger. */
async function selfMadeSigner(name: string) {
  const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    { serialNumber: '0a', name: `CN=${name}`, notBefore: new Date(now - HOUR), notAfter: new Date(now + 24 * HOUR), keys, signingAlgorithm: ES256 },
    crypto,
  );
  const der = new Uint8Array(certificate.rawData);
  const signInput = async (input: string) => {
    const signature = await crypto.subtle.sign(ES256, keys.privateKey, Buffer.from(input, 'ascii'));
    return `${input}.${Buffer.from(signature).toString('base64url')}`;
  };
  return {
    der,
    fingerprint: fingerprintOf(der),
    /** A JWS over `payload` (any JSON) with this certificate alone in x5c. */
    sign(payload: unknown): Promise<string> {
      return signInput(trustListSigningInput(payload as TrustListPayload, 'ES256', [der]));
    },
    /** The same with a payload part that is not JSON at all. */
    signRawPayload(text: string): Promise<string> {
      const [headerPart] = trustListSigningInput({} as TrustListPayload, 'ES256', [der]).split('.');
      return signInput(`${headerPart}.${Buffer.from(text, 'utf8').toString('base64url')}`);
    },
  };
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect((error as Error).name).toBe('TrustListError');
    return (error as TrustListError).code;
  }
  throw new Error('the list was accepted');
}

describe('verifyTrustList, on a list published by a live instance', () => {
  let t: TestApp;
  let clock: ManualClock;
  let jws: string;
  let pin: string;
  let header: Record<string, unknown>;
  let payload: TrustListPayload;
  let signature: string;
  let forger: Awaited<ReturnType<typeof selfMadeSigner>>;

  beforeAll(async () => {
    clock = new ManualClock(new Date());
    t = await createTestApp({ clock, env: { PUBLIC_BASE_URL: 'https://licence.shanxi.example.cn', TRUST_LIST_VALIDITY_HOURS: '24' } });
    jws = (await t.ctx.trustList.current()).jws;
    pin = t.ctx.trustList.signerFingerprint;
    const parts = splitJws(jws);
    header = parts.header;
    payload = parts.payload as unknown as TrustListPayload;
    signature = parts.signature;
    forger = await selfMadeSigner('Forger');
  });

  afterAll(async () => {
    await t?.close();
  });

  const now = () => clock.now();

  it('accepts the list: the region, its root as anchor, its issuing CAs, services, token keys and licence types', () => {
    const verified = verifyTrustList(jws, { pinnedFingerprint: pin, now: now() });
    expect(verified.signerFingerprint).toBe(pin);
    expect(fingerprintOf(verified.signerCertificate)).toBe(pin);
    const p = verified.payload;
    expect(p.format).toBe(TRUST_LIST_FORMAT);
    expect(p.region).toEqual({ id: '140000', name: '山西省' });
    expect(p.sequence).toBeGreaterThanOrEqual(1);
    expect(Date.parse(p.nextUpdate) - Date.parse(p.issuedAt)).toBe(24 * HOUR);
    expect(p.trustAnchors).toEqual([Buffer.from(t.ctx.hierarchy.root.der).toString('base64')]);
    const issuing = [...t.ctx.hierarchy.authorities.values()].filter((a) => a !== t.ctx.hierarchy.root).map((a) => Buffer.from(a.der).toString('base64'));
    expect([...p.issuingCas].sort()).toEqual(issuing.sort());
    for (const address of [p.services.trustList, p.services.ocsp, p.services.timestamps, p.services.licenceStatus, p.services.sharing, p.services.tokenKeys, ...p.services.crls]) {
      expect(address.startsWith('https://licence.shanxi.example.cn/')).toBe(true);
    }
    expect(p.tokenKeys.length).toBeGreaterThanOrEqual(1);
    expect(p.tokenKeys.every((k) => typeof k.kid === 'string' && k.kty === 'EC' && !('d' in k))).toBe(true);
    expect(p.licenceTypes.length).toBeGreaterThan(0);
    expect(header.typ).toBe('trust-list+jws');
  });

  it('accepts the pin written as openssl prints it (upper case, colons)', () => {
    const colons = pin.toUpperCase().match(/../g)!.join(':');
    expect(verifyTrustList(jws, { pinnedFingerprint: colons, now: now() }).signerFingerprint).toBe(pin);
  });

  it('accepts the list already seen (same sequence, same content), and a list at the very instant of its next update', () => {
    const seen = { sequence: payload.sequence, payloadSha256: trustListPayloadSha256(jws) };
    expect(verifyTrustList(jws, { pinnedFingerprint: pin, now: now(), seen }).payload.sequence).toBe(payload.sequence);
    expect(() => verifyTrustList(jws, { pinnedFingerprint: pin, now: new Date(payload.nextUpdate) })).not.toThrow();
  });

  type Case = [name: string, code: string, build: () => string | Promise<string>, options?: { pin?: () => string; now?: () => Date; seen?: () => SeenTrustList }];
  const cases: Case[] = [
    ['a tampered payload (sequence raised, signature kept)', 'TrustListBadSignature', () => joinJws(header, { ...payload, sequence: payload.sequence + 100 }, signature)],
    ['a tampered payload (an extra trust anchor)', 'TrustListBadSignature', () => joinJws(header, { ...payload, trustAnchors: [...payload.trustAnchors, Buffer.from(forger.der).toString('base64')] }, signature)],
    ['a signature cut short', 'TrustListBadSignature', () => `${jws.split('.').slice(0, 2).join('.')}.${signature.slice(0, 40)}`],
    ['the real signer in x5c but signed by another key', 'TrustListBadSignature', async () => {
      const forged = splitJws(await forger.sign(payload));
      return joinJws(header, payload, forged.signature);
    }],
    ['a pin of another certificate', 'TrustListPinMismatch', () => jws, { pin: () => 'ab'.repeat(32) }],
    ['a list signed by a self-made certificate while the region’s signer is pinned', 'TrustListPinMismatch', () => forger.sign(payload)],
    ['alg none without a signature', 'TrustListUnsupportedAlgorithm', () => joinJws({ ...header, alg: 'none' }, payload, '')],
    ['alg HS256 keyed with the signer’s public certificate (algorithm confusion)', 'TrustListUnsupportedAlgorithm', () => {
      const forgedHeader = { ...header, alg: 'HS256' };
      const input = joinJws(forgedHeader, payload, '').slice(0, -1);
      const certificate = new X509Certificate(Buffer.from((header.x5c as string[])[0]!, 'base64'));
      const mac = createHmac('sha256', certificate.publicKey.export({ type: 'spki', format: 'pem' })).update(input).digest('base64url');
      return `${input}.${mac}`;
    }],
    ['alg missing', 'TrustListUnsupportedAlgorithm', () => joinJws({ typ: header.typ, x5c: header.x5c }, payload, signature)],
    ['alg "es256" (names are case-sensitive, RFC 7515 §4.1.1)', 'TrustListUnsupportedAlgorithm', () => joinJws({ ...header, alg: 'es256' }, payload, signature)],
    ['a header without x5c', 'TrustListMalformed', () => joinJws({ alg: header.alg, typ: header.typ }, payload, signature)],
    ['an empty x5c', 'TrustListMalformed', () => joinJws({ ...header, x5c: [] }, payload, signature)],
    ['an x5c that is not a certificate', 'TrustListMalformed', () => {
      const bogus = Buffer.from('not a certificate');
      return joinJws({ ...header, x5c: [bogus.toString('base64')] }, payload, signature);
    }, { pin: () => fingerprintOf(Buffer.from('not a certificate')) }],
    ['a header that is not JSON', 'TrustListMalformed', () => joinJws('{"alg":"ES256",', payload, signature)],
    ['a payload that is not JSON (validly signed by the pinned key)', 'TrustListMalformed', () => forger.signRawPayload('not json'), { pin: () => forger.fingerprint }],
    ['a signed payload that is not a trust list', 'TrustListMalformed', () => forger.sign({ hello: 'world' }), { pin: () => forger.fingerprint }],
    ['a signed trust list whose region id is not six digits', 'TrustListMalformed', () => forger.sign({ ...payload, region: { id: '14', name: '山西省' } }), { pin: () => forger.fingerprint }],
    ['two parts', 'TrustListMalformed', () => jws.split('.').slice(0, 2).join('.')],
    ['four parts', 'TrustListMalformed', () => `${jws}.AAAA`],
    ['an empty string', 'TrustListMalformed', () => ''],
    ['base64 rather than base64url', 'TrustListMalformed', () => `${jws.split('.')[0]}+/.${jws.split('.')[1]}.${signature}`],
    ['the JSON serialisation', 'TrustListMalformed', () => JSON.stringify({ protected: jws.split('.')[0], payload: jws.split('.')[1], signature })],
    ['more than 1 MB', 'TrustListTooLarge', () => `${jws}${'A'.repeat(MAX_TRUST_LIST_BYTES)}`],
    ['more than 1 MB of anything', 'TrustListTooLarge', () => '{'.repeat(MAX_TRUST_LIST_BYTES + 1)],
    ['a sequence below the one already seen', 'TrustListRollback', () => jws, { seen: () => ({ sequence: payload.sequence + 1, payloadSha256: trustListPayloadSha256(jws) }) }],
    ['the sequence already seen with other content', 'TrustListSequenceReused', () => jws, { seen: () => ({ sequence: payload.sequence, payloadSha256: '00'.repeat(32) }) }],
    ['a list past its next update', 'TrustListExpired', () => jws, { now: () => new Date(Date.parse(payload.nextUpdate) + 1000) }],
    ['a list signed by a pinned certificate that does not chain to the list’s own anchors', 'TrustListSignerNotAnchored', () => forger.sign(payload), { pin: () => forger.fingerprint }],
  ];

  it.each(cases)('refuses %s: %s', async (_name, code, build, options = {}) => {
    const candidate = await build();
    expect(
      refusal(() =>
        verifyTrustList(candidate, {
          pinnedFingerprint: options.pin?.() ?? pin,
          now: options.now?.() ?? now(),
          ...(options.seen ? { seen: options.seen() } : {}),
        }),
      ),
    ).toBe(code);
  });

  it('refuses a list whose pinned signing certificate has expired, though it chains to the list’s anchor', async () => {
    // A leaked old key must not be able to sign lists for ever: RFC 5280 §6.1.3 (a)(2), the validity period.
    const caKeys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    const at = now().getTime();
    const ca = await x509.X509CertificateGenerator.createSelfSigned(
      { serialNumber: '01', name: 'CN=Old anchor', notBefore: new Date(at - 30 * 24 * HOUR), notAfter: new Date(at + 30 * 24 * HOUR), keys: caKeys, signingAlgorithm: ES256, extensions: [new x509.BasicConstraintsExtension(true, 0, true)] },
      crypto,
    );
    const signer = await x509.X509CertificateGenerator.create(
      { serialNumber: '02', subject: 'CN=Old signer', issuer: ca.subject, notBefore: new Date(at - 20 * 24 * HOUR), notAfter: new Date(at - 24 * HOUR), publicKey: keys.publicKey, signingKey: caKeys.privateKey, signingAlgorithm: ES256 },
      crypto,
    );
    const signerDer = new Uint8Array(signer.rawData);
    const input = trustListSigningInput({ ...payload, trustAnchors: [Buffer.from(ca.rawData).toString('base64')] }, 'ES256', [signerDer]);
    const expiredSigner = `${input}.${Buffer.from(await crypto.subtle.sign(ES256, keys.privateKey, Buffer.from(input, 'ascii'))).toString('base64url')}`;
    expect(refusal(() => verifyTrustList(expiredSigner, { pinnedFingerprint: fingerprintOf(signerDer), now: now() }))).toMatch(/^TrustList/);
  });

  it('refuses a rolled-back list before an expired one: both facts are about the same stale copy, rollback is the attack', () => {
    const code = refusal(() =>
      verifyTrustList(jws, { pinnedFingerprint: pin, now: new Date(Date.parse(payload.nextUpdate) + HOUR), seen: { sequence: payload.sequence + 1, payloadSha256: '00'.repeat(32) } }),
    );
    expect(code).toBe('TrustListRollback');
  });

  describe.skipIf(missingTool('openssl'))('judged by openssl', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'elt-trust-list-'));
    });
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('the x5c signer chains to the list’s trust anchor through the x5c and issuing CAs', async () => {
      const pem = (b64: string) => `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
      const x5c = header.x5c as string[];
      await writeFile(path.join(dir, 'anchor.pem'), payload.trustAnchors.map(pem).join(''));
      await writeFile(path.join(dir, 'untrusted.pem'), [...x5c.slice(1), ...payload.issuingCas].map(pem).join(''));
      await writeFile(path.join(dir, 'signer.pem'), pem(x5c[0]!));
      const result = await openssl(['verify', '-CAfile', 'anchor.pem', '-untrusted', 'untrusted.pem', 'signer.pem'], { cwd: dir });
      expect(result.stdout + result.stderr).toContain('signer.pem: OK');
    });

    it('the JWS signature verifies with the x5c certificate’s key (RFC 7518 §3.4 r||s turned into DER)', async () => {
      const [h, p, s] = jws.split('.') as [string, string, string];
      const raw = Buffer.from(s, 'base64url');
      const integer = (bytes: Buffer) => {
        let v = bytes;
        while (v.length > 1 && v[0] === 0 && v[1]! < 0x80) v = v.subarray(1);
        if (v[0]! >= 0x80) v = Buffer.concat([Buffer.from([0]), v]);
        return Buffer.concat([Buffer.from([0x02, v.length]), v]);
      };
      const body = Buffer.concat([integer(raw.subarray(0, raw.length / 2)), integer(raw.subarray(raw.length / 2))]);
      const der = Buffer.concat([Buffer.from(body.length < 0x80 ? [0x30, body.length] : [0x30, 0x81, body.length]), body]);
      const certificate = new X509Certificate(Buffer.from((header.x5c as string[])[0]!, 'base64'));
      await writeFile(path.join(dir, 'signer-key.pem'), certificate.publicKey.export({ type: 'spki', format: 'pem' }));
      await writeFile(path.join(dir, 'input'), `${h}.${p}`);
      await writeFile(path.join(dir, 'signature.der'), der);
      const digest = header.alg === 'ES384' ? '-sha384' : '-sha256';
      const result = await openssl(['dgst', digest, '-verify', 'signer-key.pem', '-signature', 'signature.der', 'input'], { cwd: dir });
      expect(result.stdout).toContain('Verified OK');
    });
  });
});

describe('the published sequence', () => {
  let t: TestApp;
  let clock: ManualClock;

  beforeAll(async () => {
    clock = new ManualClock(new Date());
    t = await createTestApp({ clock, env: { TRUST_LIST_VALIDITY_HOURS: '24' } });
  });

  afterAll(async () => {
    await t?.close();
  });

  const payloadOf = (jws: string) => splitJws(jws).payload as unknown as TrustListPayload;

  it('stays the same, with the very same JWS, while nothing changes', async () => {
    const first = await t.ctx.trustList.current();
    clock.advance(60_000);
    const second = await t.ctx.trustList.current();
    expect(second.sequence).toBe(first.sequence);
    expect(second.jws).toBe(first.jws);
  });

  it('grows by one when the content changes (a new QR token key), and the new key is in the list beside the old one', async () => {
    const before = await t.ctx.trustList.current();
    const oldKids = payloadOf(before.jws).tokenKeys.map((k) => k.kid);
    clock.advance(1000);
    const kid = await t.ctx.licenceTokens.rotate(ACTOR);
    const after = await t.ctx.trustList.current();
    expect(after.sequence).toBe(before.sequence + 1);
    const kids = payloadOf(after.jws).tokenKeys.map((k) => k.kid);
    expect(kids).toContain(kid);
    for (const old of oldKids) expect(kids).toContain(old);
    // The newer list is what a peer that saw the older one accepts; the older one is now a rollback.
    const pin = t.ctx.trustList.signerFingerprint;
    const seen = (list: { sequence: number; jws: string }) => ({ sequence: list.sequence, payloadSha256: trustListPayloadSha256(list.jws) });
    expect(verifyTrustList(after.jws, { pinnedFingerprint: pin, now: clock.now(), seen: seen(before) }).payload.sequence).toBe(after.sequence);
    expect(refusal(() => verifyTrustList(before.jws, { pinnedFingerprint: pin, now: clock.now(), seen: seen(after) }))).toBe('TrustListRollback');
  });

  it('does not grow again when asked repeatedly after the change', async () => {
    const a = await t.ctx.trustList.current();
    const b = await t.ctx.trustList.current();
    clock.advance(5 * 60_000);
    const c = await t.ctx.trustList.current();
    expect([b.sequence, c.sequence]).toEqual([a.sequence, a.sequence]);
  });

  it('is re-issued with the next sequence once half of the validity has passed, so peers never hold an expired list', async () => {
    const before = await t.ctx.trustList.current();
    clock.advance(before.issuedAt.getTime() + 12 * HOUR - clock.now().getTime() - 1000);
    expect((await t.ctx.trustList.current()).sequence).toBe(before.sequence);
    clock.advance(2000);
    const after = await t.ctx.trustList.current();
    expect(after.sequence).toBe(before.sequence + 1);
    expect(after.nextUpdate.getTime() - after.issuedAt.getTime()).toBe(24 * HOUR);
    expect(after.nextUpdate.getTime()).toBeGreaterThan(before.nextUpdate.getTime());
    expect({ ...payloadOf(after.jws), sequence: 0, issuedAt: '', nextUpdate: '' }).toEqual({ ...payloadOf(before.jws), sequence: 0, issuedAt: '', nextUpdate: '' });
  });

  it('is kept in the database: a second publisher on the same database continues it rather than starting at 1', async () => {
    const current = await t.ctx.trustList.current();
    const other = new TrustListService(t.ctx.db, clock, t.ctx.hierarchy, t.ctx.licenceTokens, LicenceTypeCatalogue.load(t.ctx.config.templatesDir), {
      id: t.ctx.config.regionId,
      name: t.ctx.config.regionName,
      publicBaseUrl: t.ctx.config.publicBaseUrl,
      validityHours: t.ctx.config.trustListValidityHours,
    });
    expect((await other.current()).jws).toBe(current.jws);
  });

  describe('GET /trust-list (in-process)', () => {
    it('answers the JWS with its ETag, cache headers and the signer fingerprint', async () => {
      const list = await t.ctx.trustList.current();
      const response = await t.request('/trust-list');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/jose/);
      expect(response.headers.get('etag')).toBe(`"${list.sequence}"`);
      expect(response.headers.get('cache-control')).toMatch(/max-age=\d+/);
      expect(response.headers.get('x-trust-list-signer-sha256')).toBe(t.ctx.trustList.signerFingerprint);
      expect(await response.text()).toBe(list.jws);
    });

    it('answers 304 without a body to If-None-Match with the current ETag', async () => {
      const etag = (await t.request('/trust-list')).headers.get('etag')!;
      const response = await t.request('/trust-list', { headers: { 'If-None-Match': etag } });
      expect(response.status).toBe(304);
      expect(response.headers.get('etag')).toBe(etag);
      expect(await response.text()).toBe('');
    });

    it('answers 304 to the weak form W/"n" and to a list of tags naming the current one (RFC 9110 §13.1.2: weak comparison)', async () => {
      const etag = (await t.request('/trust-list')).headers.get('etag')!;
      for (const header of [`W/${etag}`, `"0", ${etag}`, '*']) {
        expect((await t.request('/trust-list', { headers: { 'If-None-Match': header } })).status, header).toBe(304);
      }
    });

    it('answers 200 with the new list to an If-None-Match naming an older sequence', async () => {
      const old = (await t.request('/trust-list')).headers.get('etag')!;
      clock.advance(1000);
      await t.ctx.licenceTokens.rotate(ACTOR);
      const response = await t.request('/trust-list', { headers: { 'If-None-Match': old } });
      expect(response.status).toBe(200);
      expect(response.headers.get('etag')).not.toBe(old);
      expect(payloadOf(await response.text()).sequence).toBe((await t.ctx.trustList.current()).sequence);
    });

    it('GET /trust-list.json is the payload of the same list, readable without JOSE', async () => {
      const list = await t.ctx.trustList.current();
      const response = await t.request('/trust-list.json');
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(payloadOf(list.jws));
    });
  });
});
