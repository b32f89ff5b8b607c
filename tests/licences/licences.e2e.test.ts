import { execFile } from 'node:child_process';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LicenceType } from '../../src/licences/licence-type.js';
import { extractSignatures, nssDatabase, opensslCms, pdfsig, qpdfCheck } from '../pades/outside-judges.js';
import { missingTool, serveOnLoopback } from '../support/outside-tools.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { identifierCheck, type IssuingDepartment, issuingDepartment, type LicenceJson, sampleLicence, shippedCatalogue } from './licence-fixtures.js';

const execFileAsync = promisify(execFile);
const REGION_ID = '140000';
const TOOLS = ['pdftotext', 'pdftoppm', 'pdfinfo', 'zbarimg', 'pdfsig', 'qpdf', 'certutil', 'openssl'];
const skip = TOOLS.some((tool) => missingTool(tool));

async function run(binary: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(binary, args, { maxBuffer: 32 * 1024 * 1024 });
  return stdout;
}

// The MOD 37,36 used to judge identifiers is the one in licence-fixtures.ts, written for the tests
// from ISO/IEC 7064, not src/pki/licence-identifier.ts; first it must reproduce the published vectors.
describe('the MOD 37,36 check character written for these tests', () => {
  // shared/reference/gb-standards.md §1.4: real identifiers whose check character the standard algorithm reproduces.
  it.each([
    '1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F',
    '1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U',
    '1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0',
    '1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9',
  ])('reproduces the published test vector %s', (identifier) => {
    const { expected, written } = identifierCheck(identifier);
    expect(expected).toBe(written);
  });

  // §1.4 counter-example: written by a non-standard vendor variant; the standard algorithm gives D.
  // (The other counter-example there omits its type code, so it cannot be recomputed.)
  it.each([['1.2.156.3005.2.11100000000013661B006.113700000045046442.209FA4E88F9E4C878F3E9BED2CE7EA49.001.M', 'D']])(
    'gives the standard character, not the vendor one, for the counter-example %s',
    (identifier, standard) => {
      const { expected, written } = identifierCheck(identifier);
      expect(expected).toBe(standard);
      expect(written).not.toBe(standard);
    },
  );
});

/**
 * One licence of every shipped type, issued over the API at the default level (B-T) and judged
 * by tools nobody here wrote: poppler (pdftotext, pdftoppm, pdfinfo, pdfsig with NSS asking our
 * OCSP responder over HTTP), zbar, qpdf and openssl.
 */
describe.skipIf(skip)('licences of every shipped type, judged by outside tools', () => {
  const types = shippedCatalogue.list();
  let t: TestApp;
  let server: Awaited<ReturnType<typeof serveOnLoopback>>;
  let publicBaseUrl: string;
  let dir: string;
  let nss: string;
  let issuer: IssuingDepartment;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'elt-licences-'));
    const probe = await serveOnLoopback(() => new Response());
    const port = new URL(probe.baseUrl).port;
    await probe.close();
    publicBaseUrl = `http://127.0.0.1:${port}`;
    t = await createTestApp({ env: { PUBLIC_BASE_URL: publicBaseUrl } });
    server = await serveOnLoopback(t.app.fetch, Number(port));
    issuer = await issuingDepartment(t, 80);

    const known = [await (await fetch(`${server.baseUrl}/ca/seal-ca.pem`)).text()];
    for (const sealId of Object.values(issuer.seals)) {
      const { certificateSerial } = (await (await t.request(`/api/v1/seals/${sealId}`, { token: issuer.token })).json()) as { certificateSerial: string };
      known.push(((await (await t.request(`/api/v1/certificates/${certificateSerial}`, { token: t.adminToken })).json()) as { pem: string }).pem);
    }
    nss = await nssDatabase(dir, await (await fetch(`${server.baseUrl}/ca/root.pem`)).text(), known);
  });

  afterAll(async () => {
    await server?.close();
    await t?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ships at least five licence types, and the API lists exactly the catalogue', async () => {
    expect(types.length).toBeGreaterThanOrEqual(5);
    const listed = (await (await t.request('/api/v1/licence-types', { token: issuer.token })).json()) as { items: { code: string }[] };
    expect(listed.items.map((i) => i.code).sort()).toEqual(types.map((type) => type.code).sort());
  });

  describe.each(types.map((type, index) => [type.slug, type, index] as const))('%s', (slug, type: LicenceType, index) => {
    const withPaper = index === 0;
    const paperNumber = `ZZ-${REGION_ID}-${index}0001`;
    const sample = sampleLicence(type, index);
    let licence: LicenceJson;
    let file: string;
    let pdf: Uint8Array;

    beforeAll(async () => {
      const res = await t.request('/api/v1/licences', {
        method: 'POST',
        token: issuer.token,
        headers: { 'Idempotency-Key': `e2e-${slug}` },
        json: { ...sample, ...(withPaper ? { paperNumber } : {}) },
      });
      expect(res.status, await res.clone().text()).toBe(201);
      licence = (await res.json()) as LicenceJson;
      const download = await t.request(licence.links.file, { token: issuer.token });
      expect(download.status).toBe(200);
      expect(download.headers.get('content-type')).toBe('application/pdf');
      pdf = new Uint8Array(await download.arrayBuffer());
      file = path.join(dir, `${slug}.pdf`);
      await writeFile(file, pdf);
    });

    it('is issued valid, sealed at B-T by default, as version 001 of a number of its type', () => {
      expect(licence).toMatchObject({ typeCode: type.code, status: 'valid', version: 1, sealLevel: 'B-T', masked: false });
      expect(licence.issuer.creditCode).toBe(issuer.creditCode);
      expect(licence.licenceNumber.startsWith(`${type.licenceNumber.prefix}${REGION_ID}`)).toBe(true);
      expect(licence.channel).toBe(withPaper ? 'electronic-with-paper' : 'electronic');
      expect(licence.paperNumber).toBe(withPaper ? paperNumber : null);
    });

    it('pdftotext finds the holder name(s), the identifier and the licence number', async () => {
      const text = await run('pdftotext', ['-enc', 'UTF-8', file, '-']);
      for (const holder of sample.holders) expect(text).toContain(holder.name);
      expect(text).toContain(licence.identifier);
      expect(text).toContain(licence.licenceNumber);
    });

    it('prints the validity line under the template\'s validityLabel, or 有效期限, and none when permanent (licence-pdf printed 有效期限 for every type)', async () => {
      // Labels are drawn as text runs of their own: pdftotext gives each its own line.
      const lines = (await run('pdftotext', ['-enc', 'UTF-8', file, '-'])).split('\n').map((line) => line.trim());
      if (type.validity.kind === 'permanent') {
        expect(lines).not.toContain('有效期限');
        expect(lines.some((line) => /^\d{4}年\d{1,2}月\d{1,2}日(至|起长期)/.test(line))).toBe(false);
      } else {
        expect(lines).toContain(type.validityLabel?.label ?? '有效期限');
      }
    });

    it('pdftoppm + zbarimg decode the QR code to exactly the verification address', async () => {
      const stem = path.join(dir, `${slug}-page`);
      await run('pdftoppm', ['-r', '150', '-png', '-f', '1', '-l', '1', '-singlefile', file, stem]);
      const decoded = (await run('zbarimg', ['-q', '--raw', `${stem}.png`])).split('\n').filter((line) => line !== '');
      expect(decoded).toEqual([licence.links.verify]);
      expect(licence.links.verify!.startsWith(`${publicBaseUrl}/v/`)).toBe(true);
    });

    it('pdfsig reports the seal valid and its certificate trusted; the CMS carries a signature time-stamp', async () => {
      const { signatures, output } = await pdfsig(file, nss);
      expect(signatures, output).toHaveLength(1);
      expect(signatures[0]!.signatureType, output).toBe('ETSI.CAdES.detached');
      expect(signatures[0]!.valid, output).toBe(true);
      expect(signatures[0]!.trusted, output).toBe(true);
      expect(signatures[0]!.totalDocumentSigned, output).toBe(true);

      const [signature] = extractSignatures(pdf);
      const cms = await opensslCms(dir, slug, signature!, path.join(dir, 'root.pem'));
      expect(cms.verify).toContain('Verification successful');
      expect(cms.print).toContain('id-smime-aa-timeStampToken');
    });

    it('qpdf --check finds no errors', async () => {
      const check = await qpdfCheck(file);
      expect(check.code, check.output).toBe(0);
      expect(check.output).toContain('No syntax or stream encoding errors found');
    });

    it('the file is the one recorded: SHA-256 equals fileSha256', () => {
      expect(createHash('sha256').update(pdf).digest('hex')).toBe(licence.fileSha256);
    });

    it('pdfinfo -meta shows the GB/T 36903 XMP with ZZBS = the identifier', async () => {
      const xmp = await run('pdfinfo', ['-meta', file]);
      expect(xmp).toContain(`<zz:ZZBS>${licence.identifier}</zz:ZZBS>`);
      expect(xmp).toContain(`<zz:ZZBH>${licence.licenceNumber}</zz:ZZBH>`);
      expect(xmp).toContain(`<zz:ZZLXDM>${type.code}</zz:ZZLXDM>`);
      expect(xmp).toContain(`<zz:ZZBFJGDM>${issuer.creditCode}</zz:ZZBFJGDM>`);
      expect(xmp).toContain(`<zz:CZZTDMLXDM>${type.holderKind === 'person' ? '111' : '001'}</zz:CZZTDMLXDM>`);
      expect(xmp).toContain(`<zz:ZZBBH>001</zz:ZZBBH>`);
    });

    it('has a GB/T 36904 identifier whose check character the independent MOD 37,36 reproduces', () => {
      const segments = licence.identifier.split('.');
      expect(segments.slice(0, 5).join('.')).toBe('1.2.156.3005.2');
      expect(segments[5]).toBe(type.code);
      expect(segments[6]).toBe(issuer.creditCode);
      expect(segments[8]).toBe('001');
      const { expected, written } = identifierCheck(licence.identifier);
      expect(written).toBe(expected);
    });

    it('the QR token is an ES256 JWS that verifies with the published key and names this licence', async () => {
      const token = licence.links.verify!.slice(`${publicBaseUrl}/v/`.length);
      const parts = token.split('.');
      expect(parts).toHaveLength(3);
      const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
      const header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as { alg: string; kid: string };
      const claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8')) as { iss: string; sub: string; iat: number };
      expect(header.alg).toBe('ES256');
      expect(claims).toMatchObject({ iss: REGION_ID, sub: licence.identifier });
      expect(Math.abs(claims.iat - Date.parse(licence.issuedAt) / 1000)).toBeLessThanOrEqual(1);

      const jwk = (await t.ctx.licenceTokens.published()).find((key) => key.kid === header.kid);
      expect(jwk, `no published key ${header.kid}`).toBeDefined();
      const key = createPublicKey({ key: { kty: jwk!.kty!, crv: jwk!.crv!, x: jwk!.x!, y: jwk!.y! }, format: 'jwk' });
      const signature = Buffer.from(signaturePart, 'base64url');
      expect(signature).toHaveLength(64);
      expect(verify('sha256', Buffer.from(`${headerPart}.${payloadPart}`), { key, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
      // Another subject under the same signature does not verify.
      const forged = Buffer.from(JSON.stringify({ ...claims, sub: `${licence.identifier}X` })).toString('base64url');
      expect(verify('sha256', Buffer.from(`${headerPart}.${forged}`), { key, dsaEncoding: 'ieee-p1363' }, signature)).toBe(false);
    });
  });
});
