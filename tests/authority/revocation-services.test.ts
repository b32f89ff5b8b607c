import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/config.js';
import { type AppContext, createContext } from '../../src/context.js';
import * as pkijs from 'pkijs';
import { x509 } from '../../src/pki/x509.js';
import { buildOcspRequest, certIdFor, issuerHashes, parseOcspRequest } from '../../src/pki/ocsp.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';

const HOUR = 3600_000;

/** A DER OCSPRequest without nonce for one serial, built the way a relying party would. */
function ocspRequestFor(ctx: AppContext, serialHex: string): Uint8Array {
  const issuer = ctx.hierarchy.authorities.get('seal-ca')!;
  const certId = certIdFor({ ...issuerHashes(issuer.der, 'SHA-1'), hashAlgorithm: 'SHA-1', serialNumber: serialHex });
  const der = buildOcspRequest([certId]);
  parseOcspRequest(der); // sanity: it is a request we accept
  return der;
}

async function statusIn(ctx: AppContext, serialHex: string): Promise<'good' | 'revoked' | 'unknown'> {
  const answer = await ctx.ocsp.respond(ocspRequestFor(ctx, serialHex));
  const response = pkijs.OCSPResponse.fromBER(Uint8Array.from(answer.der));
  const basic = pkijs.BasicOCSPResponse.fromBER(Uint8Array.from(response.responseBytes!.response.valueBlock.valueHexView));
  // CertStatus ::= CHOICE { good [0], revoked [1], unknown [2] } (RFC 6960 §4.2.1)
  const tag = (basic.tbsResponseData.responses[0]!.certStatus as { idBlock: { tagNumber: number } }).idBlock.tagNumber;
  return (['good', 'revoked', 'unknown'] as const)[tag]!;
}

describe('revocation across instances and over time', () => {
  const clock = new ManualClock(new Date('2026-11-23T10:00:00Z'));
  let database: TestDatabase;
  let keysDir: string;
  let a: AppContext;
  let b: AppContext;

  beforeAll(async () => {
    database = await openTestDatabase();
    keysDir = await mkdtemp(path.join(os.tmpdir(), 'elt-two-instances-'));
    const { config, secrets } = loadConfig({ KEYS_DIR: keysDir, KEYS_PASSPHRASE: 'test-passphrase-0123456789' });
    const logger = pino({ level: 'silent' });
    // Two instances of one region: one database, one key store.
    a = await createContext(config, secrets, logger, { clock, database: { ...database, close: async () => {} } });
    b = await createContext(config, secrets, logger, { clock, database: { ...database, close: async () => {} } });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await database.close();
    await rm(keysDir, { recursive: true, force: true });
  });

  async function issueSeal(ctx: AppContext, n: number): Promise<string> {
    const record = await ctx.certificates.issue(
      { departmentId: null, keyId: null, requestId: 'test' },
      { caId: 'seal-ca', profile: 'seal', generateKey: { algorithm: 'ECDSA-P256' }, subject: { CN: `测试章${n}`, O: '测试局', serialNumber: `1400000000000${n}` } },
    );
    return record.serialNumber;
  }

  it('shares one hierarchy: the second instance created nothing', () => {
    expect(b.hierarchy.created).toEqual([]);
    expect(b.hierarchy.root.certificate.serialNumber).toBe(a.hierarchy.root.certificate.serialNumber);
  });

  // Regression: a change stamped at the very millisecond the watcher last looked was missed.
  it('drops a cached good answer on the other instance once it catches up', async () => {
    const serial = await issueSeal(a, 1);
    expect(await statusIn(b, serial)).toBe('good'); // now cached on b
    await a.certificates.revoke({ departmentId: null, keyId: null, requestId: 'test' }, serial, 'keyCompromise');
    expect(await statusIn(a, serial)).toBe('revoked'); // at once where it happened
    clock.advance(1000);
    await b.ocsp.catchUp(); // what b's 2-second watch does
    expect(await statusIn(b, serial)).toBe('revoked');
  });

  // Regression: the look-back evicted every recent change again every 2 s, so nothing stayed cached.
  it('acts on each change once: a re-cached answer survives later catch-ups', async () => {
    const serial = await issueSeal(a, 3);
    await b.ocsp.catchUp(); // sees the issuance
    const first = await b.ocsp.respond(ocspRequestFor(b, serial));
    clock.advance(1000);
    await b.ocsp.catchUp();
    await b.ocsp.catchUp();
    const again = await b.ocsp.respond(ocspRequestFor(b, serial));
    expect(Buffer.from(again.der).equals(Buffer.from(first.der))).toBe(true);
  });

  it('answers unknown for a serial nobody issued', async () => {
    expect(await statusIn(a, '0123456789abcdef')).toBe('unknown');
  });

  it('re-signs a cached answer after half its validity', async () => {
    const serial = await issueSeal(a, 2);
    const first = await a.ocsp.respond(ocspRequestFor(a, serial));
    const cached = await a.ocsp.respond(ocspRequestFor(a, serial));
    expect(Buffer.from(cached.der).equals(Buffer.from(first.der))).toBe(true);
    clock.advance(31 * 60_000); // validity 60 min: refreshed after 30
    const fresh = await a.ocsp.respond(ocspRequestFor(a, serial));
    expect(Buffer.from(fresh.der).equals(Buffer.from(first.der))).toBe(false);
  });

  it('numbers CRLs upwards and re-publishes when half the validity has passed', async () => {
    const first = await a.crls.current('seal-ca');
    expect((await a.crls.current('seal-ca')).crlNumber).toBe(first.crlNumber); // still fresh
    clock.advance(13 * HOUR); // seal-ca CRLs are valid 24 h
    const next = await a.crls.current('seal-ca');
    expect(next.crlNumber).toBe(first.crlNumber + 1);
    const crl = new x509.X509Crl(Uint8Array.from(next.der));
    expect(crl.nextUpdate!.getTime() - crl.thisUpdate.getTime()).toBe(24 * HOUR);
    expect(crl.thisUpdate.getMilliseconds()).toBe(0);
    // b publishes too; numbers stay unique and increasing across instances.
    const fromB = await b.crls.publish('seal-ca');
    expect(fromB.crlNumber).toBe(next.crlNumber + 1);
  });
});
