import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { jwsAlgorithmFor, signJws } from '../../src/federation/jws.js';
import { type TrustListPayload, trustListSigningInput } from '../../src/federation/trust-list.js';
import { x509 } from '../../src/pki/x509.js';
import { testCreditCode } from '../support/credit-codes.js';
import {
  closedPortUrl,
  HENAN,
  joinJws,
  type PeerJson,
  recognise,
  type Region,
  SHANXI,
  splitJws,
  startRegion,
  startSilentServer,
  startStub,
  type StubServer,
} from '../support/regions.js';
import { testEngine } from '../support/test-database.js';

const HOUR = 60 * 60 * 1000;
const ACTOR = { departmentId: null, keyId: null, requestId: 'peers-e2e' };

interface AuditItem {
  seq: number;
  action: string;
  outcome: 'success' | 'rejected';
  targetType: string | null;
  targetId: string | null;
  details: Record<string, unknown>;
}

/**
 * Two whole regions, 山西省 (A, 140000) and 河南省 (B, 410000), each with its own root CA and
 * database, talking over real HTTP on loopback. A registers B, then a stub standing at a fixed
 * address in front of B lets the test hand A forged, rolled-back and expired copies of B's list.
 * The tests run in order and share the two instances: each builds on the state the one before left.
 */
describe(`two regions recognising each other over HTTP (${testEngine})`, () => {
  const start = new Date();
  const clockA = new ManualClock(start);
  const clockB = new ManualClock(start);
  let a: Region;
  let b: Region;
  let stub: StubServer;
  let issuerToken: string;
  /** Sequence of B's list when A registered it. */
  let n: number;

  beforeAll(async () => {
    [a, b, stub] = await Promise.all([
      startRegion({ ...SHANXI, clock: clockA }),
      // One hour of validity, so that two hours on A's clock leave A holding an expired list of B.
      startRegion({ ...HENAN, clock: clockB, env: { TRUST_LIST_VALIDITY_HOURS: '1' } }),
      startStub(),
    ]);
    issuerToken = (await a.t.departmentWithKey(['issuer'], testCreditCode(71))).token;
  });

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), stub?.close()]);
  });

  const admin = (region: Region) => region.t.adminToken;
  const listPeers = async (region: Region) => {
    const response = await region.fetch('/api/v1/peers', { token: admin(region) });
    expect(response.status).toBe(200);
    return ((await response.json()) as { items: PeerJson[] }).items;
  };
  const register = (region: Region, url: string, pinnedFingerprint: string, token = admin(region)) =>
    region.fetch('/api/v1/peers', { method: 'POST', token, json: { url, pinnedFingerprint } });
  const refresh = async (region: Region, regionId: string) => {
    const response = await region.fetch(`/api/v1/peers/${regionId}/refresh`, { method: 'POST', token: admin(region) });
    expect(response.status).toBe(200);
    return (await response.json()) as PeerJson;
  };
  const problem = async (response: Response) => {
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    return (await response.json()) as { code: string; status: number; detail: string };
  };
  const auditLog = async (region: Region, action: string, afterSeq = 0) => {
    const response = await region.fetch(`/api/v1/audit-log?action=${encodeURIComponent(action)}&afterSeq=${afterSeq}&limit=1000`, { token: admin(region) });
    expect(response.status).toBe(200);
    return ((await response.json()) as { items: AuditItem[] }).items;
  };
  const auditHead = async (region: Region) => {
    const response = await region.fetch('/api/v1/audit-log/verification', { token: admin(region) });
    return ((await response.json()) as { headSeq: number | null }).headSeq ?? 0;
  };
  /** B's list as it publishes it now, fetched over HTTP. */
  const listOfB = async () => {
    const jws = await (await fetch(b.trustListUrl)).text();
    return { jws, sequence: (splitJws(jws).payload as unknown as TrustListPayload).sequence };
  };
  /** B changes its content (a new QR token key): its next list has the next sequence. */
  const bRotates = async () => {
    clockB.advance(1000); // token keys are ordered by creation time: no two at the same instant
    await b.t.ctx.licenceTokens.rotate(ACTOR);
  };
  /** B's list at n + 1, kept by the rollback test for the re-registration test. */
  let olderListOfB: string | undefined;
  /** A list signed with B's own trust-list key, whatever it says. */
  const signedByB = (payload: TrustListPayload) => {
    const { hierarchy } = b.t.ctx;
    const signer = hierarchy.trustListSigner;
    const chain = [signer.der, ...signer.issuer.chain.filter((c) => c !== hierarchy.root.certificate).map((c) => new Uint8Array(c.rawData))];
    return signJws(signer, trustListSigningInput(payload, jwsAlgorithmFor(signer.algorithm), chain));
  };
  const storedSequenceInA = async () => (await a.t.ctx.peers.trusted()).find((p) => p.regionId === HENAN.regionId)?.payload.sequence;

  describe('the two instances', () => {
    it('each publish a list of their own region, with their own root, addresses and signer', async () => {
      for (const region of [a, b]) {
        const response = await fetch(region.trustListUrl);
        expect(response.status).toBe(200);
        expect(response.headers.get('x-trust-list-signer-sha256')).toBe(region.signerFingerprint);
        const payload = splitJws(await response.text()).payload as unknown as TrustListPayload;
        expect(payload.region).toEqual({ id: region.regionId, name: region.regionName });
        expect(payload.services.trustList).toBe(region.trustListUrl);
        const root = new x509.X509Certificate(Buffer.from(payload.trustAnchors[0]!, 'base64'));
        expect(root.subject).toContain(`${region.regionName}电子证照根CA`);
        for (const der of payload.issuingCas) {
          const ca = new x509.X509Certificate(Buffer.from(der, 'base64'));
          const policies = ca.getExtension(x509.CertificatePolicyExtension)?.policies ?? [];
          expect(policies.length).toBeGreaterThan(0);
          expect(policies.every((oid) => oid.startsWith(`2.999.${region.regionId}.`))).toBe(true);
        }
      }
      expect(a.signerFingerprint).not.toBe(b.signerFingerprint);
      expect(Buffer.from(a.t.ctx.hierarchy.root.der).equals(Buffer.from(b.t.ctx.hierarchy.root.der))).toBe(false);
    });
  });

  describe('registration refused, nothing stored', () => {
    it('with a wrong pinned fingerprint: 400 TrustListPinMismatch, audited', async () => {
      const before = await auditHead(a);
      const response = await register(a, b.trustListUrl, a.signerFingerprint);
      expect(response.status).toBe(400);
      expect((await problem(response)).code).toBe('TrustListPinMismatch');
      expect(await listPeers(a)).toEqual([]);
      const refusals = await auditLog(a, 'request.post', before);
      expect(refusals).toContainEqual(expect.objectContaining({ outcome: 'rejected', details: expect.objectContaining({ path: '/api/v1/peers', code: 'TrustListPinMismatch' }) }));
    });

    it('with a fingerprint that is not 64 hex digits: 400 InvalidFingerprint, without fetching anything', async () => {
      const hits = stub.hits;
      stub.serve((await listOfB()).jws);
      const response = await register(a, stub.url, 'sha256:1234');
      expect(response.status).toBe(400);
      expect((await problem(response)).code).toBe('InvalidFingerprint');
      expect(stub.hits).toBe(hits);
      expect(await listPeers(a)).toEqual([]);
    });

    it('of itself: 409 PeerIsSelf', async () => {
      const response = await register(a, a.trustListUrl, a.signerFingerprint);
      expect(response.status).toBe(409);
      expect((await problem(response)).code).toBe('PeerIsSelf');
      expect(await listPeers(a)).toEqual([]);
    });

    it('of a peer on a closed port: 503 PeerUnreachable at once, audited', async () => {
      const before = await auditHead(a);
      const began = Date.now();
      const response = await register(a, await closedPortUrl(), b.signerFingerprint);
      expect(response.status).toBe(503);
      expect((await problem(response)).code).toBe('PeerUnreachable');
      expect(Date.now() - began).toBeLessThan(5_000);
      expect(await listPeers(a)).toEqual([]);
      const refusals = await auditLog(a, 'request.post', before);
      expect(refusals).toContainEqual(expect.objectContaining({ outcome: 'rejected', details: expect.objectContaining({ path: '/api/v1/peers', code: 'PeerUnreachable' }) }));
    });

    it('of a peer that accepts the connection and never answers: 503 PeerUnreachable after about 5 s', async () => {
      const silent = await startSilentServer();
      try {
        const began = Date.now();
        const response = await register(a, silent.url, b.signerFingerprint);
        const took = Date.now() - began;
        expect(response.status).toBe(503);
        expect((await problem(response)).code).toBe('PeerUnreachable');
        expect(took).toBeGreaterThanOrEqual(4_500);
        expect(took).toBeLessThan(8_000);
      } finally {
        await silent.close();
      }
      expect(await listPeers(a)).toEqual([]);
    });

    // What a stub in front of B serves instead of B's list, and the code A must refuse it with.
    const served: [name: string, status: number, code: string, answer: (jws: string) => string | ((request: Request) => Response)][] = [
      ['a forged list (B’s JWS with a tampered payload)', 400, 'TrustListBadSignature', (jws) => {
        const { header, payload, signature } = splitJws(jws);
        return joinJws(header, { ...payload, region: { id: '410000', name: '河南省（伪造）' } }, signature);
      }],
      ['B’s list with alg none', 400, 'TrustListUnsupportedAlgorithm', (jws) => {
        const { header, payload } = splitJws(jws);
        return joinJws({ ...header, alg: 'none' }, payload, '');
      }],
      ['an HTML error page with status 200', 400, 'TrustListMalformed', () => '<html><body>维护中</body></html>'],
      ['a list over 1 MB, declared', 400, 'TrustListTooLarge', () => () => new Response('A'.repeat(1024 * 1024 + 1), { headers: { 'Content-Type': 'application/jose' } })],
      ['a list over 1 MB, streamed without a length', 400, 'TrustListTooLarge', () => () => {
        const chunk = new TextEncoder().encode('A'.repeat(64 * 1024));
        let sent = 0;
        return new Response(new ReadableStream({ pull(controller) { if (sent++ < 40) controller.enqueue(chunk); else controller.close(); } }));
      }],
      ['a 404', 503, 'PeerUnreachable', () => () => new Response('no such list', { status: 404 })],
      ['a redirect to B', 503, 'PeerUnreachable', () => () => Response.redirect(b.trustListUrl, 302)],
    ];

    it.each(served)('of %s: %i %s', async (_name, status, code, answer) => {
      stub.serve(answer((await listOfB()).jws));
      const before = await auditHead(a);
      const response = await register(a, stub.url, b.signerFingerprint);
      expect(response.status).toBe(status);
      expect((await problem(response)).code).toBe(code);
      expect(await listPeers(a)).toEqual([]);
      const refusals = await auditLog(a, 'request.post', before);
      expect(refusals).toContainEqual(expect.objectContaining({ outcome: 'rejected', details: expect.objectContaining({ code }) }));
      stub.serve(null);
    });
  });

  describe('registration', () => {
    it('registers B in A: 201, active, at the sequence B publishes; audited', async () => {
      const published = await listOfB();
      n = published.sequence;
      const before = await auditHead(a);
      const peer = await recognise(a, b);
      expect(peer).toMatchObject({
        regionId: '410000',
        name: '河南省',
        url: b.trustListUrl,
        pinnedFingerprint: b.signerFingerprint,
        status: 'active',
        sequence: n,
        lastError: null,
      });
      expect(Date.parse(peer.nextUpdate)).toBe(Date.parse((splitJws(published.jws).payload as unknown as TrustListPayload).nextUpdate));
      const registered = await auditLog(a, 'peer.registered', before);
      expect(registered).toEqual([
        expect.objectContaining({ outcome: 'success', targetType: 'peer', targetId: '410000', details: expect.objectContaining({ url: b.trustListUrl, pinnedFingerprint: b.signerFingerprint, sequence: n }) }),
      ]);
    });

    it('lists B among A’s peers, and shows it alone', async () => {
      const peers = await listPeers(a);
      expect(peers.map((p) => [p.regionId, p.status, p.sequence])).toEqual([['410000', 'active', n]]);
      const one = await a.fetch('/api/v1/peers/410000', { token: admin(a) });
      expect(one.status).toBe(200);
      expect(((await one.json()) as PeerJson).name).toBe('河南省');
      const missing = await a.fetch('/api/v1/peers/420000', { token: admin(a) });
      expect(missing.status).toBe(404);
      expect((await problem(missing)).code).toBe('PeerNotFound');
    });

    it('gives A B’s decoded list for verification', async () => {
      const trusted = await a.t.ctx.peers.trusted();
      expect(trusted.map((p) => p.regionId)).toEqual(['410000']);
      expect(trusted[0]!.payload.trustAnchors).toEqual([Buffer.from(b.t.ctx.hierarchy.root.der).toString('base64')]);
    });

    it('refuses to register B twice: 409 PeerExists, audited, the stored list untouched', async () => {
      const before = await auditHead(a);
      const response = await register(a, b.trustListUrl, b.signerFingerprint);
      expect(response.status).toBe(409);
      expect((await problem(response)).code).toBe('PeerExists');
      expect((await listPeers(a)).map((p) => p.sequence)).toEqual([n]);
      expect(await auditLog(a, 'request.post', before)).toContainEqual(expect.objectContaining({ details: expect.objectContaining({ code: 'PeerExists' }) }));
    });

    it('refuses a forged list for B at another address even though B is registered: 400, the stored list untouched', async () => {
      const { header, payload, signature } = splitJws((await listOfB()).jws);
      stub.serve(joinJws(header, { ...payload, sequence: n + 1000 }, signature));
      const response = await register(a, stub.url, b.signerFingerprint);
      expect(response.status).toBe(400);
      expect((await problem(response)).code).toBe('TrustListBadSignature');
      expect((await listPeers(a)).map((p) => [p.url, p.sequence])).toEqual([[b.trustListUrl, n]]);
      stub.serve(null);
    });

    it('works the other way too: B registers A', async () => {
      const peer = await recognise(b, a);
      expect(peer).toMatchObject({ regionId: '140000', name: '山西省', status: 'active' });
      expect((await listPeers(b)).map((p) => p.regionId)).toEqual(['140000']);
    });
  });

  describe('refresh from B itself', () => {
    it('keeps B active at the same sequence when nothing changed, and does not audit a quiet refresh', async () => {
      const before = await auditHead(a);
      const peer = await refresh(a, '410000');
      expect(peer).toMatchObject({ status: 'active', sequence: n, lastError: null });
      expect(await auditLog(a, 'peer.list-accepted', before)).toEqual([]);
      expect(await auditLog(a, 'peer.list-refused', before)).toEqual([]);
    });

    it('accepts B’s next list after B changed its content (a new QR token key), audited', async () => {
      await bRotates();
      expect((await listOfB()).sequence).toBe(n + 1);
      const before = await auditHead(a);
      const peer = await refresh(a, '410000');
      expect(peer).toMatchObject({ status: 'active', sequence: n + 1, lastError: null });
      expect(await storedSequenceInA()).toBe(n + 1);
      expect(await auditLog(a, 'peer.list-accepted', before)).toEqual([
        expect.objectContaining({ outcome: 'success', targetId: '410000', details: expect.objectContaining({ sequence: n + 1, status: 'active' }) }),
      ]);
    });

    it('answers 404 PeerNotFound for a region that is not a peer', async () => {
      const response = await a.fetch('/api/v1/peers/420000/refresh', { method: 'POST', token: admin(a) });
      expect(response.status).toBe(404);
      expect((await problem(response)).code).toBe('PeerNotFound');
    });
  });

  describe('only administrators manage peers', () => {
    const calls: [string, string, unknown?][] = [
      ['POST', '/api/v1/peers', { url: 'http://127.0.0.1:9/trust-list', pinnedFingerprint: 'ab'.repeat(32) }],
      ['GET', '/api/v1/peers'],
      ['GET', '/api/v1/peers/410000'],
      ['POST', '/api/v1/peers/410000/refresh'],
      ['DELETE', '/api/v1/peers/410000'],
    ];

    it.each(calls)('%s %s: 403 RoleRequired for an issuing department, 401 without a key', async (method, pathname, json) => {
      const asIssuer = await a.fetch(pathname, { method, token: issuerToken, ...(json ? { json } : {}) });
      expect(asIssuer.status).toBe(403);
      expect((await problem(asIssuer)).code).toBe('RoleRequired');
      const anonymous = await a.fetch(pathname, { method, ...(json ? { json } : {}) });
      expect(anonymous.status).toBe(401);
      expect((await listPeers(a)).map((p) => [p.regionId, p.sequence])).toEqual([['410000', n + 1]]);
    });
  });

  describe('a stub in front of B', () => {
    it('removing B: 204, audited, then 404', async () => {
      const before = await auditHead(a);
      const response = await a.fetch('/api/v1/peers/410000', { method: 'DELETE', token: admin(a) });
      expect(response.status).toBe(204);
      expect(await listPeers(a)).toEqual([]);
      expect(await a.t.ctx.peers.trusted()).toEqual([]);
      expect(await auditLog(a, 'peer.removed', before)).toEqual([expect.objectContaining({ targetId: '410000', outcome: 'success' })]);
      const again = await a.fetch('/api/v1/peers/410000', { method: 'DELETE', token: admin(a) });
      expect(again.status).toBe(404);
    });

    it('registers B again at the stub’s address, serving B’s current list; of three registrations at once one wins, the others are 409 PeerExists', async () => {
      stub.serve((await listOfB()).jws);
      const before = await auditHead(a);
      const responses = await Promise.all([1, 2, 3].map(() => register(a, stub.url, b.signerFingerprint)));
      const statuses = responses.map((r) => r.status).sort();
      const created = responses.find((r) => r.status === 201);
      // Regression: on PostgreSQL the losers hit the primary key and answered 500 InternalError.
      expect(statuses).toEqual([201, 409, 409]);
      for (const r of responses.filter((x) => x.status === 409)) expect((await problem(r)).code).toBe('PeerExists');
      expect(((await created!.json()) as PeerJson)).toMatchObject({ regionId: '410000', url: stub.url, status: 'active', sequence: n + 1 });
      expect(await auditLog(a, 'peer.registered', before)).toHaveLength(1);
    });

    it('refuses a forged list on refresh: keeps the stored list, records TrustListBadSignature, audited', async () => {
      const good = (await listOfB()).jws;
      const { header, payload, signature } = splitJws(good);
      stub.serve(joinJws(header, { ...payload, sequence: n + 1000, trustAnchors: [...(payload.trustAnchors as string[]), Buffer.from(a.t.ctx.hierarchy.root.der).toString('base64')] }, signature));
      const before = await auditHead(a);
      const peer = await refresh(a, '410000');
      expect(peer).toMatchObject({ status: 'active', sequence: n + 1 });
      expect(peer.lastError).toContain('TrustListBadSignature');
      expect(await storedSequenceInA()).toBe(n + 1);
      expect(await auditLog(a, 'peer.list-refused', before)).toEqual([
        expect.objectContaining({ outcome: 'rejected', targetId: '410000', details: expect.objectContaining({ code: 'TrustListBadSignature', sequence: n + 1 }) }),
      ]);
    });

    it('refuses a list signed with another region’s key (A’s own list served as B’s): TrustListPinMismatch', async () => {
      stub.serve(await (await fetch(a.trustListUrl)).text());
      const peer = await refresh(a, '410000');
      expect(peer).toMatchObject({ status: 'active', sequence: n + 1 });
      expect(peer.lastError).toContain('TrustListPinMismatch');
    });

    it('clears the error once B’s good list is served again', async () => {
      stub.serve((await listOfB()).jws);
      const peer = await refresh(a, '410000');
      expect(peer).toMatchObject({ status: 'active', sequence: n + 1, lastError: null });
    });

    it('refuses a rolled-back list: after accepting n+2, B’s genuine list n+1 is refused with TrustListRollback, audited', async () => {
      const older = (await listOfB()).jws; // n + 1
      olderListOfB = older;
      await bRotates();
      const newer = await listOfB();
      expect(newer.sequence).toBe(n + 2);
      stub.serve(newer.jws);
      expect(await refresh(a, '410000')).toMatchObject({ status: 'active', sequence: n + 2, lastError: null });

      stub.serve(older);
      const before = await auditHead(a);
      const peer = await refresh(a, '410000');
      expect(peer).toMatchObject({ status: 'active', sequence: n + 2 });
      expect(peer.lastError).toContain('TrustListRollback');
      expect(await storedSequenceInA()).toBe(n + 2);
      expect(await auditLog(a, 'peer.list-refused', before)).toEqual([
        expect.objectContaining({ outcome: 'rejected', targetId: '410000', details: expect.objectContaining({ code: 'TrustListRollback', sequence: n + 2, status: 'active' }) }),
      ]);
    });

    it('refuses a second list under the sequence it holds, signed by B’s own key with other content: TrustListSequenceReused, audited', async () => {
      const held = splitJws((await listOfB()).jws).payload as unknown as TrustListPayload;
      expect(held.sequence).toBe(n + 2);
      // What a compromised or broken publisher would do: show A a different list under the same number.
      stub.serve(await signedByB({ ...held, trustAnchors: [...held.trustAnchors, Buffer.from(a.t.ctx.hierarchy.root.der).toString('base64')] }));
      const before = await auditHead(a);
      const peer = await refresh(a, '410000');
      expect(peer).toMatchObject({ status: 'active', sequence: n + 2 });
      expect(peer.lastError).toContain('TrustListSequenceReused');
      expect((await a.t.ctx.peers.trusted())[0]!.payload.trustAnchors).toEqual(held.trustAnchors);
      expect(await auditLog(a, 'peer.list-refused', before)).toEqual([
        expect.objectContaining({ outcome: 'rejected', details: expect.objectContaining({ code: 'TrustListSequenceReused', sequence: n + 2 }) }),
      ]);
    });

    it('remembers the newest list after B is removed: registering B again with an older list is refused, with the held one it is not', async () => {
      expect((await a.fetch('/api/v1/peers/410000', { method: 'DELETE', token: admin(a) })).status).toBe(204);
      stub.serve(olderListOfB!);
      const refused = await register(a, stub.url, b.signerFingerprint);
      expect(refused.status).toBe(400);
      expect((await problem(refused)).code).toBe('TrustListRollback');
      expect(await listPeers(a)).toEqual([]);

      stub.serve((await listOfB()).jws);
      const registered = await register(a, stub.url, b.signerFingerprint);
      expect(registered.status).toBe(201);
      expect(((await registered.json()) as PeerJson)).toMatchObject({ sequence: n + 2, status: 'active' });
    });

    it('reports B stale once A’s clock is past the stored list’s next update, before any refresh, and stops trusting it', async () => {
      stub.serve((await listOfB()).jws);
      expect(await refresh(a, '410000')).toMatchObject({ status: 'active', lastError: null });
      clockA.advance(2 * HOUR);
      const peers = await listPeers(a);
      expect(peers.map((p) => [p.regionId, p.status])).toEqual([['410000', 'stale']]);
      expect(await a.t.ctx.peers.trusted()).toEqual([]);
    });

    it('refuses the same, now expired, list on refresh: TrustListExpired, stale, audited', async () => {
      const before = await auditHead(a);
      const peer = await refresh(a, '410000');
      expect(peer).toMatchObject({ status: 'stale', sequence: n + 2 });
      expect(peer.lastError).toContain('TrustListExpired');
      expect(await auditLog(a, 'peer.list-refused', before)).toEqual([
        expect.objectContaining({ outcome: 'rejected', details: expect.objectContaining({ code: 'TrustListExpired', status: 'stale' }) }),
      ]);
    });

    it('stays stale while the stub does not answer: PeerUnreachable recorded, audited', async () => {
      stub.serve(null);
      const before = await auditHead(a);
      const peer = await refresh(a, '410000');
      expect(peer).toMatchObject({ status: 'stale', sequence: n + 2 });
      expect(peer.lastError).toContain('PeerUnreachable');
      expect(await auditLog(a, 'peer.list-refused', before)).toEqual([
        expect.objectContaining({ outcome: 'rejected', details: expect.objectContaining({ code: 'PeerUnreachable', status: 'stale' }) }),
      ]);
      expect(await a.t.ctx.peers.trusted()).toEqual([]);
    });

    it('turns active again when B, two hours on, has re-issued its list and the stub passes it on', async () => {
      clockB.advance(2 * HOUR);
      stub.serve(() => fetch(b.trustListUrl));
      const before = await auditHead(a);
      const peer = await refresh(a, '410000');
      expect(peer).toMatchObject({ status: 'active', sequence: n + 3, lastError: null });
      expect((await a.t.ctx.peers.trusted()).map((p) => [p.regionId, p.payload.sequence])).toEqual([['410000', n + 3]]);
      expect(await auditLog(a, 'peer.list-accepted', before)).toEqual([
        expect.objectContaining({ outcome: 'success', details: expect.objectContaining({ sequence: n + 3, status: 'active' }) }),
      ]);
    });
  });

  it('leaves both audit chains intact', async () => {
    for (const region of [a, b]) {
      const response = await region.fetch('/api/v1/audit-log/verification', { token: admin(region) });
      expect(((await response.json()) as { intact: boolean }).intact).toBe(true);
    }
  });
});
