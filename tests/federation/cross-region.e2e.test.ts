import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shareRequestSigningInput } from '../../src/federation/share-request.js';
import { jwsAlgorithmFor, signJws } from '../../src/federation/jws.js';
import { issuingDepartment, type LicenceJson, sampleLicence, shippedCatalogue } from '../licences/licence-fixtures.js';
import { testCreditCode } from '../support/credit-codes.js';
import { HENAN, recogniseEachOther, type Region, SHANXI, startRegion } from '../support/regions.js';

interface Verification {
  verdict: string;
  report: { indication: string; subIndication?: string; signatures: { indication: string; chain: { trustAnchor: { name?: string } | null } }[] };
  licence: { identifier: string; region: { id: string }; known: boolean | null; status: string | null; file: string | null } | null;
}

/**
 * Two whole regions (山西 140000 issues, 河南 410000 accepts) over real HTTP on loopback:
 * recognition, verification across the border, revocation seen across it, QR tokens, and
 * sharing with purpose, consent and usage records.
 */
describe('licences across regions', () => {
  let a: Region;
  let b: Region;
  let issuer: Awaited<ReturnType<typeof issuingDepartment>>;
  let acceptor: { departmentId: string; token: string };
  const acceptorCreditCode = testCreditCode(151);
  let licence: LicenceJson;
  let pdf: Uint8Array;
  const type = shippedCatalogue.list().find((t) => t.slug === 'disability-certificate')!;

  beforeAll(async () => {
    a = await startRegion({ ...SHANXI, env: { PEER_STATUS_CACHE_SECONDS: '0' } });
    b = await startRegion({ ...HENAN, env: { PEER_STATUS_CACHE_SECONDS: '0' } });
    issuer = await issuingDepartment(a.t, 150, [type]);
    acceptor = await b.t.departmentWithKey(['acceptor'], acceptorCreditCode);
    const res = await a.fetch('/api/v1/licences', { method: 'POST', token: issuer.token, json: { ...sampleLicence(type, 500), level: 'B-T' } });
    expect(res.status, await res.clone().text()).toBe(201);
    licence = (await res.json()) as LicenceJson;
    pdf = new Uint8Array(await (await a.fetch(licence.links.file, { token: issuer.token })).arrayBuffer());
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  const verifyInB = async (file: Uint8Array): Promise<Verification> => {
    const res = await b.fetch('/api/v1/verify', { method: 'POST', token: acceptor.token, headers: { 'Content-Type': 'application/pdf' }, body: Buffer.from(file) });
    expect(res.status).toBe(200);
    return (await res.json()) as Verification;
  };

  it('before recognition, region B cannot place A’s licence: INDETERMINATE, NO_CERTIFICATE_CHAIN_FOUND', async () => {
    const result = await verifyInB(pdf);
    expect(result.report).toMatchObject({ indication: 'INDETERMINATE', subIndication: 'NO_CERTIFICATE_CHAIN_FOUND' });
    expect(result.verdict).not.toBe('valid');
  });

  it('after recognition, B validates A’s licence to A’s root and asks A’s registry', async () => {
    await recogniseEachOther(a, b);
    const result = await verifyInB(pdf);
    expect(result.report.indication).toBe('PASSED');
    expect(result.report.signatures[0]!.chain.trustAnchor?.name).toBe('山西省 (140000)');
    expect(result.licence).toMatchObject({ identifier: licence.identifier, region: { id: '140000' }, known: true, status: 'valid', file: 'identical' });
    expect(result.verdict).toBe('valid');
  });

  it('checks A’s QR token in B with the keys from A’s trust list', async () => {
    const token = new URL(licence.links.verify!).pathname.slice(3);
    const res = await b.fetch(`/v/${token}`, { headers: { Accept: 'application/json' } });
    expect(await res.json()).toMatchObject({ verdict: 'valid', region: { id: '140000' }, remote: { identifier: licence.identifier, status: 'valid' } });
    const flipped = token.slice(0, -5) + (token.at(-5) === 'A' ? 'B' : 'A') + token.slice(-4);
    const forged = await b.fetch(`/v/${flipped}`, { headers: { Accept: 'application/json' } });
    expect(((await forged.json()) as { verdict: string }).verdict).toBe('not-genuine');
  });

  it('shares a licence with the holder’s consent: one-time link to an annotated copy that verifies, usage recorded on both sides', async () => {
    expect((await a.fetch(`/api/v1/peers/${HENAN.regionId}/agreements`, { method: 'PUT', token: a.t.adminToken, json: { typeCode: type.code, departmentCreditCode: acceptorCreditCode } })).status).toBe(204);
    const consent = await a.fetch(`/api/v1/licences/${licence.identifier}/consents`, { method: 'POST', token: issuer.token, json: { purpose: '办理跨省残疾人补贴' } });
    expect(consent.status).toBe(201);
    const { code } = (await consent.json()) as { code: string };

    const ask = (extra: Record<string, unknown>) =>
      b.fetch('/api/v1/shared-licences', { method: 'POST', token: acceptor.token, json: { regionId: SHANXI.regionId, identifier: licence.identifier, purpose: '办理跨省残疾人补贴', ...extra } });
    const refused = await ask({});
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { details: { peerCode: string } }).details.peerCode).toBe('ConsentRequired');

    const granted = await ask({ consentCode: code });
    expect(granted.status, await granted.clone().text()).toBe(200);
    const answer = (await granted.json()) as { download: { url: string }; licence: { identifier: string } };
    expect(answer.licence.identifier).toBe(licence.identifier);
    const download = await fetch(answer.download.url);
    expect(download.status).toBe(200);
    const annotated = new Uint8Array(await download.arrayBuffer());
    expect((await fetch(answer.download.url)).status).toBe(404); // one time only
    const result = await verifyInB(annotated);
    expect(result.report.indication).toBe('PASSED');
    expect(result.report.signatures).toHaveLength(2);
    expect(result.licence).toMatchObject({ known: true, status: 'valid', file: 'extended' });

    // The code was used up.
    expect(((await (await ask({ consentCode: code })).json()) as { details: { peerCode: string } }).details.peerCode).toBe('ConsentInvalid');
    const provided = (await (await a.fetch(`/api/v1/sharing-usage?identifier=${licence.identifier}`, { token: a.t.adminToken })).json()) as { items: { outcome: string; direction: string; purpose: string }[] };
    expect(provided.items.map((i) => i.outcome).sort()).toEqual(['ConsentInvalid', 'ConsentRequired', 'granted']);
    expect(provided.items.every((i) => i.direction === 'provided' && i.purpose === '办理跨省残疾人补贴')).toBe(true);
    const received = (await (await b.fetch('/api/v1/sharing-usage?direction=received', { token: b.t.adminToken })).json()) as { items: { outcome: string }[] };
    expect(received.items.map((i) => i.outcome)).toContain('granted');
  });

  it('refuses a type outside the agreement, a request without purpose, and a replayed request', async () => {
    const other = shippedCatalogue.list().find((t) => t.slug === 'marriage-certificate')!;
    const res = await b.fetch('/api/v1/shared-licences', {
      method: 'POST',
      token: acceptor.token,
      json: { regionId: SHANXI.regionId, holder: { id: sampleLicence(other, 1).holders[0]!.id, idTypeCode: '111', typeCode: other.code }, purpose: '核验婚姻状况' },
    });
    expect([403, 404]).toContain(res.status);
    const noPurpose = await b.fetch('/api/v1/shared-licences', { method: 'POST', token: acceptor.token, json: { regionId: SHANXI.regionId, identifier: licence.identifier, purpose: '' } });
    expect(noPurpose.status).toBe(400);

    // A request signed with B's key, sent twice.
    const signer = b.t.ctx.hierarchy.trustListSigner;
    const now = Math.floor(Date.now() / 1000);
    const input = shareRequestSigningInput(
      { iss: HENAN.regionId, aud: SHANXI.regionId, jti: `replay-${now}`, iat: now, exp: now + 60, department: { creditCode: acceptorCreditCode, name: '测试' }, purpose: '核验', identifier: licence.identifier },
      jwsAlgorithmFor(signer.algorithm),
      signer.der,
    );
    const request = await signJws(signer, input);
    const send = () => a.fetch('/federation/v1/share-requests', { method: 'POST', headers: { 'Content-Type': 'application/jose' }, body: request });
    expect((await send()).status).toBe(403); // no consent: refused, but recorded under its jti
    const replay = await send();
    expect(replay.status).toBe(409);
    expect(((await replay.json()) as { code: string }).code).toBe('ShareRequestReplayed');
    // Forged: signed by a key the peer list does not pin (A's own signer pretending to be B).
    const own = a.t.ctx.hierarchy.trustListSigner;
    const forgedInput = shareRequestSigningInput(
      { iss: HENAN.regionId, aud: SHANXI.regionId, jti: `forged-${now}`, iat: now, exp: now + 60, department: { creditCode: acceptorCreditCode, name: '测试' }, purpose: '核验', identifier: licence.identifier },
      jwsAlgorithmFor(own.algorithm),
      own.der,
    );
    const forged = await a.fetch('/federation/v1/share-requests', { method: 'POST', headers: { 'Content-Type': 'application/jose' }, body: await signJws(own, forgedInput) });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { code: string }).code).toBe('ShareRequestBadSignature');
  });

  it('sees a revocation in A from B at once (status cache off here)', async () => {
    await a.fetch(`/api/v1/licences/${licence.identifier}/revocation`, { method: 'POST', token: issuer.token, json: { reason: '骗领' } });
    const result = await verifyInB(pdf);
    expect(result.licence).toMatchObject({ status: 'revoked' });
    expect(result.verdict).toBe('not-valid');
  });
});
