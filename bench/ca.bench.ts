import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as asn1js from 'asn1js';
import autocannon from 'autocannon';
import { pino } from 'pino';
import * as pkijs from 'pkijs';
import { SYSTEM_ACTOR } from '../src/audit/audit.service.js';
import { loadConfig } from '../src/config/config.js';
import { type AppContext, createContext } from '../src/context.js';
import type { NewCertificateRow } from '../src/db/schema/certificates.table.js';
import { toPem } from '../src/pki/pem.js';
import { benchEngine, type Figure, freePort, median, ROOT, type RunningService, startService } from './lib.js';

/** Certificates behind the OCSP figures; every REVOKED_EVERY-th one is revoked. */
const OCSP_CERTIFICATES = 200;
const REVOKED_EVERY = 4;
/** Distinct time-stamp queries the load rotates through. */
const TSA_QUERIES = 16;
const CONNECTIONS = 32;
const WARMUP_SECONDS = 2;
const RUN_SECONDS = 5;
const RUNS = 3;
/** Sequential in-process issuances per run, each from a CSR of its own. */
const ISSUANCES = 300;
const CRL_ENTRIES = 100_000;
const INSERT_BATCH = 1000;
/** Marks the fake revoked rows, so a shared PostgreSQL database can be cleaned afterwards. */
const FAKE_PROFILE = 'bench-crl';

const OID_OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';
/** openssl writes a 16-octet nonce as the request's last bytes: ... 04 10 <nonce>. */
const NONCE_LENGTH = 16;

/**
 * The certificate authority's hot paths. Over HTTP on loopback, against the real service in
 * a process of its own: OCSP for nonce-free (cacheable) requests by POST and by GET, OCSP
 * with a fresh nonce per request (signed each time), RFC 3161 time-stamps. In-process:
 * certificate issuance from CSRs, and CRL generation with 100,000 revoked entries. Each
 * figure is preceded by a check of the answers (pkijs for all of them, openssl for a few),
 * and every response under load must be a 200 carrying a real answer, not an error.
 */
export async function benchCa(): Promise<Figure[]> {
  return [...(await benchProtocols()), ...(await benchIssuanceAndCrl())];
}

// ---------------------------------------------------------------------------------------
// OCSP and TSA over HTTP
// ---------------------------------------------------------------------------------------

interface IssuedForOcsp {
  serial: string;
  revoked: boolean;
  /** DER OCSPRequest without a nonce (what NSS sends; cacheable). */
  plain: Buffer;
  /** DER OCSPRequest with a 16-octet nonce as its last bytes. */
  withNonce: Buffer;
}

async function benchProtocols(): Promise<Figure[]> {
  const engine = benchEngine();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'elt-bench-ca-'));
  const token = `bench-${randomBytes(24).toString('hex')}`;
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  let service: RunningService | undefined;
  try {
    service = await startService(port, {
      ADMIN_TOKEN: token,
      DATA_DIR: path.join(dir, 'data'),
      KEYS_DIR: path.join(dir, 'keys'),
      KEYS_PASSPHRASE: randomBytes(24).toString('hex'),
      PUBLIC_BASE_URL: baseUrl,
      ...engine.env,
    });
    await writeFile(path.join(dir, 'root.pem'), await fetchOk(`${baseUrl}/ca/root.pem`));
    await writeFile(path.join(dir, 'seal-ca.pem'), await fetchOk(`${baseUrl}/ca/seal-ca.pem`));

    const certificates = await issueAndRevoke(baseUrl, token, dir);
    await checkOcspAnswers(baseUrl, certificates, dir);
    const ocspOk = (body: unknown) => typeof body === 'string' && body.length > 64; // an error response is 5 bytes
    const ocspHeaders = { 'Content-Type': 'application/ocsp-request' };

    const post = await measure({
      url: `${baseUrl}/ocsp`,
      requests: certificates.map((c) => ({ method: 'POST', path: '/ocsp', headers: ocspHeaders, body: c.plain })),
      verifyBody: ocspOk,
    });
    const get = await measure({
      url: `${baseUrl}/ocsp`,
      requests: certificates.map((c) => ({ method: 'GET', path: `/ocsp/${encodeURIComponent(c.plain.toString('base64'))}` })),
      verifyBody: ocspOk,
    });
    const nonce = await measure({
      url: `${baseUrl}/ocsp`,
      requests: certificates.map((c) => ({
        method: 'POST',
        path: '/ocsp',
        headers: ocspHeaders,
        body: c.withNonce,
        setupRequest: (request: autocannon.Request) => ({ ...request, body: freshNonce(c.withNonce) }),
      })),
      verifyBody: ocspOk,
    });

    const queries = await timeStampQueries(baseUrl, dir);
    const tsaOk = (body: unknown) => typeof body === 'string' && body.length > 400; // a rejection is < 200 bytes
    const tsa = await measure({
      url: `${baseUrl}/tsa`,
      requests: queries.map((body) => ({ method: 'POST', path: '/tsa', headers: { 'Content-Type': 'application/timestamp-query' }, body })),
      verifyBody: tsaOk,
    });

    const revoked = certificates.filter((c) => c.revoked).length;
    const mix = `${OCSP_CERTIFICATES} certificates, ${revoked} revoked`;
    const how = `${CONNECTIONS} connections, ${engine.label}, median of ${RUNS} x ${RUN_SECONDS} s`;
    return [
      { name: 'ocsp_responses_cached', value: rate(post), unit: 'req/s', note: `POST /ocsp without nonce, ${mix}, ${how}` },
      { name: 'ocsp_responses_cached_p99', value: p99(post), unit: 'ms', note: 'same runs' },
      { name: 'ocsp_responses_cached_get', value: rate(get), unit: 'req/s', note: `GET /ocsp/{base64} without nonce, ${mix}, ${how}` },
      { name: 'ocsp_responses_with_nonce', value: rate(nonce), unit: 'req/s', note: `POST /ocsp, fresh nonce each, ${mix}, ${how}` },
      { name: 'timestamps', value: rate(tsa), unit: 'req/s', note: `POST /tsa, SHA-256 with certReq, ${TSA_QUERIES} queries, ${how}` },
      { name: 'timestamps_p99', value: p99(tsa), unit: 'ms', note: 'same runs' },
    ];
  } finally {
    await service?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Issues the certificates through the admin API, revokes a quarter, builds their OCSP requests. */
async function issueAndRevoke(baseUrl: string, token: string, dir: string): Promise<IssuedForOcsp[]> {
  const admin = async (method: string, url: string, body: unknown) => {
    const res = await fetch(`${baseUrl}${url}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as { serialNumber: string; status: string };
  };
  const indexes = [...Array(OCSP_CERTIFICATES).keys()];
  const serials = await inParallel(indexes, 4, async (i) => {
    const issued = await admin('POST', '/api/v1/certificates', {
      caId: 'seal-ca',
      profile: 'seal',
      generateKey: { algorithm: 'ECDSA-P256' },
      subject: { CN: `基准测试专用章${i}`, O: '基准测试单位', serialNumber: `1400009${String(i).padStart(7, '0')}` },
    });
    return issued.serialNumber;
  });
  const revoked = (i: number) => i % REVOKED_EVERY === 0;
  await inParallel(indexes.filter(revoked), 4, async (i) => {
    const changed = await admin('POST', `/api/v1/certificates/${serials[i]}/revocation`, { reason: 'keyCompromise' });
    if (changed.status !== 'revoked') throw new Error(`certificate ${serials[i]} is ${changed.status} after revocation`);
  });
  return inParallel(indexes, 4, async (i) => {
    const serial = serials[i]!;
    const base = ['ocsp', '-issuer', 'seal-ca.pem', '-serial', `0x${serial}`];
    await openssl([...base, '-no_nonce', '-reqout', `plain-${i}.der`], dir);
    await openssl([...base, '-reqout', `nonce-${i}.der`], dir);
    const withNonce = await readFile(path.join(dir, `nonce-${i}.der`));
    if (withNonce[withNonce.length - NONCE_LENGTH - 2] !== 0x04 || withNonce[withNonce.length - NONCE_LENGTH - 1] !== NONCE_LENGTH) {
      throw new Error('openssl did not put a 16-octet nonce at the end of the OCSP request');
    }
    return { serial, revoked: revoked(i), plain: await readFile(path.join(dir, `plain-${i}.der`)), withNonce };
  });
}

/**
 * Every certificate's answer, by POST and by GET, parsed with pkijs (serial and status);
 * a few checked by openssl against the request, including the signature up to the root.
 */
async function checkOcspAnswers(baseUrl: string, certificates: IssuedForOcsp[], dir: string): Promise<void> {
  const run = (args: string[]) => openssl(args, dir);
  const expect = (c: IssuedForOcsp) => (c.revoked ? 'revoked' : 'good');
  for (const c of certificates) {
    const byPost = await ocspPost(baseUrl, c.plain);
    const byGet = await fetchOk(`${baseUrl}/ocsp/${encodeURIComponent(c.plain.toString('base64'))}`);
    for (const der of [byPost, byGet]) {
      const answer = readOcspResponse(der);
      if (answer.serial !== c.serial || answer.status !== expect(c) || answer.nonce !== null) {
        throw new Error(`OCSP for ${c.serial}: ${JSON.stringify(answer)}, expected ${expect(c)} without nonce`);
      }
    }
  }
  const fresh = freshNonce(certificates[1]!.withNonce);
  const answer = readOcspResponse(await ocspPost(baseUrl, fresh));
  if (answer.nonce !== fresh.subarray(-NONCE_LENGTH).toString('hex')) throw new Error('the OCSP response does not echo the nonce');

  const sample = [0, 1, 2, 3, 4, 5].map((i) => ({ i, c: certificates[i]! }));
  for (const { i, c } of sample) {
    const nonce = i >= 4; // the last two with their openssl nonce, which openssl then checks
    await writeFile(path.join(dir, `resp-${i}.der`), await ocspPost(baseUrl, nonce ? c.withNonce : c.plain));
    const text = await run([
      'ocsp', '-reqin', `${nonce ? 'nonce' : 'plain'}-${i}.der`, '-respin', `resp-${i}.der`,
      '-issuer', 'seal-ca.pem', '-CAfile', 'root.pem', ...(nonce ? [] : ['-no_nonce']), '-resp_text',
    ]);
    if (!text.includes('Response verify OK') || !text.includes(`Cert Status: ${expect(c)}`) || /nonce verify error/i.test(text)) {
      throw new Error(`openssl does not accept the OCSP response for ${c.serial}:\n${text}`);
    }
    if (c.revoked && !text.includes('Revocation Reason: keyCompromise')) throw new Error(`no revocation reason for ${c.serial}`);
  }
}

/** Writes the time-stamp queries, checks the answers to two of them with openssl. */
async function timeStampQueries(baseUrl: string, dir: string): Promise<Buffer[]> {
  const run = (args: string[]) => openssl(args, dir);
  const queries = await inParallel([...Array(TSA_QUERIES).keys()], 4, async (i) => {
    await writeFile(path.join(dir, `doc-${i}.txt`), `山西省电子证照 ${i} ${randomBytes(8).toString('hex')}\n`);
    await openssl(['ts', '-query', '-data', `doc-${i}.txt`, '-sha256', '-cert', '-out', `q-${i}.tsq`], dir);
    return readFile(path.join(dir, `q-${i}.tsq`));
  });
  for (const i of [0, TSA_QUERIES - 1]) {
    await writeFile(path.join(dir, `r-${i}.tsr`), await tsaPost(baseUrl, queries[i]!));
    const verify = await run(['ts', '-verify', '-queryfile', `q-${i}.tsq`, '-in', `r-${i}.tsr`, '-CAfile', 'root.pem']);
    if (!verify.includes('Verification: OK')) throw new Error(`openssl does not verify the time-stamp reply:\n${verify}`);
  }
  return queries;
}

interface LoadOptions {
  url: string;
  requests: autocannon.Request[];
  verifyBody: (body: unknown) => boolean;
}

/** Warm-up, then RUNS runs; throws unless every response was a 200 with a real answer. */
async function measure(options: LoadOptions): Promise<autocannon.Result[]> {
  const load = (duration: number) => autocannon({ ...options, connections: CONNECTIONS, duration });
  const runs = [await load(WARMUP_SECONDS)];
  for (let i = 0; i < RUNS; i++) runs.push(await load(RUN_SECONDS));
  for (const r of runs) {
    const failures = r.non2xx + r.errors + r.timeouts + r.mismatches;
    if (failures > 0 || r.requests.total === 0) {
      throw new Error(`${options.url}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts, ${r.mismatches} answers that were not real answers`);
    }
  }
  return runs.slice(1);
}

const rate = (runs: autocannon.Result[]) => median(runs.map((r) => r.requests.average));
const p99 = (runs: autocannon.Result[]) => median(runs.map((r) => r.latency.p99));

/** A copy of an openssl OCSP request with a new random nonce. */
function freshNonce(template: Buffer): Buffer {
  const copy = Buffer.from(template);
  randomFillSync(copy, copy.length - NONCE_LENGTH, NONCE_LENGTH);
  return copy;
}

async function ocspPost(baseUrl: string, body: Buffer): Promise<Buffer> {
  return fetchOk(`${baseUrl}/ocsp`, { method: 'POST', headers: { 'Content-Type': 'application/ocsp-request' }, body: new Uint8Array(body) });
}

async function tsaPost(baseUrl: string, body: Buffer): Promise<Buffer> {
  return fetchOk(`${baseUrl}/tsa`, { method: 'POST', headers: { 'Content-Type': 'application/timestamp-query' }, body: new Uint8Array(body) });
}

async function fetchOk(url: string, init?: RequestInit): Promise<Buffer> {
  const res = await fetch(url, init);
  if (res.status !== 200) throw new Error(`${init?.method ?? 'GET'} ${url} answered ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/** Serial, status and nonce of a one-certificate OCSP response; throws for an error response. */
function readOcspResponse(der: Buffer): { serial: string; status: string; nonce: string | null } {
  const response = pkijs.OCSPResponse.fromBER(new Uint8Array(der));
  const status = response.responseStatus.valueBlock.valueDec;
  if (status !== 0 || !response.responseBytes) throw new Error(`OCSP responseStatus ${status}`);
  const basic = pkijs.BasicOCSPResponse.fromBER(new Uint8Array(response.responseBytes.response.valueBlock.valueHexView));
  const [single, ...more] = basic.tbsResponseData.responses;
  if (!single || more.length > 0) throw new Error('expected one SingleResponse');
  const tag = (single.certStatus as asn1js.BaseBlock).idBlock.tagNumber;
  const nonce = basic.tbsResponseData.responseExtensions?.find((e) => e.extnID === OID_OCSP_NONCE);
  return {
    serial: Buffer.from(single.certID.serialNumber.valueBlock.valueHexView).toString('hex'),
    status: ['good', 'revoked', 'unknown'][tag] ?? `tag ${tag}`,
    // extnValue holds the DER of Nonce ::= OCTET STRING
    nonce: nonce ? Buffer.from(nonce.extnValue.valueBlock.valueHexView).subarray(2).toString('hex') : null,
  };
}

// ---------------------------------------------------------------------------------------
// Issuance and CRL, in-process
// ---------------------------------------------------------------------------------------

async function benchIssuanceAndCrl(): Promise<Figure[]> {
  const url = process.env.BENCH_DATABASE_URL;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'elt-bench-ca-'));
  const { config, secrets } = loadConfig({
    DATA_DIR: path.join(dir, 'data'),
    KEYS_DIR: path.join(dir, 'keys'),
    KEYS_PASSPHRASE: randomBytes(24).toString('hex'),
    CA_CONFIG: path.join(ROOT, 'ca-config', 'hierarchy.json'),
    PUBLIC_BASE_URL: 'http://127.0.0.1:8080',
    ...(url ? { DATABASE_URL: url } : {}),
  });
  let ctx: AppContext | undefined;
  let fakeRowsInserted = false;
  try {
    ctx = await createContext(config, secrets, pino({ level: 'silent' }));
    const chain = ['seal-ca', 'root'].map((id) => toPem(ctx!.hierarchy.authorities.get(id)!.der, 'CERTIFICATE'));
    await writeFile(path.join(dir, 'seal-ca.pem'), chain[0]!);
    await writeFile(path.join(dir, 'root.pem'), chain[1]!);
    await writeFile(path.join(dir, 'chain.pem'), chain.join(''));
    const issuance = await benchIssuance(ctx, dir);
    fakeRowsInserted = true;
    const crl = await benchCrl(ctx, dir, url ? 'postgres' : 'embedded');
    return [...issuance, ...crl];
  } finally {
    if (ctx) {
      // A shared PostgreSQL database keeps its rows: take the fake ones out, and publish a clean CRL.
      if (url && fakeRowsInserted) {
        await ctx.db.deleteFrom('certificates').where('profile', '=', FAKE_PROFILE).execute();
        await ctx.crls.publish('seal-ca');
      }
      await ctx.close();
    }
    await rm(dir, { recursive: true, force: true });
  }
}

async function benchIssuance(ctx: AppContext, dir: string): Promise<Figure[]> {
  const csrs = await inParallel([...Array(ISSUANCES).keys()], 4, async (i) => {
    const subject = `/CN=基准测试签发章${i}/O=基准测试单位/serialNumber=1400008${String(i).padStart(7, '0')}`;
    await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `k-${i}.pem`, '-utf8', '-subj', subject, '-out', `csr-${i}.pem`], dir);
    return readFile(path.join(dir, `csr-${i}.pem`), 'utf8');
  });
  const issue = (csr: string) => ctx.certificates.issue(SYSTEM_ACTOR, { caId: 'seal-ca', profile: 'seal', csr });
  for (const csr of csrs.slice(0, 30)) await issue(csr); // warm-up
  const rates: number[] = [];
  let last;
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    for (const csr of csrs) last = await issue(csr);
    rates.push(ISSUANCES / ((performance.now() - started) / 1000));
  }
  await writeFile(path.join(dir, 'issued.pem'), toPem(last!.der, 'CERTIFICATE'));
  const verify = await openssl(['verify', '-CAfile', 'root.pem', '-untrusted', 'seal-ca.pem', 'issued.pem'], dir);
  if (!verify.includes('issued.pem: OK')) throw new Error(`openssl does not verify an issued certificate:\n${verify}`);
  return [
    {
      name: 'certificates_issued',
      value: median(rates),
      unit: 'certs/s',
      note: `CertificateService.issue from ECDSA P-256 CSRs, seal profile, sequential, ${ctx.engine}, median of ${RUNS} x ${ISSUANCES}`,
    },
  ];
}

async function benchCrl(ctx: AppContext, dir: string, engine: string): Promise<Figure[]> {
  const now = ctx.clock.now();
  const countRevoked = async () =>
    Number(
      (
        await ctx.db
          .selectFrom('certificates')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('ca_id', '=', 'seal-ca')
          .where('status', '!=', 'valid')
          .where('not_after', '>', now)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const already = await countRevoked();
  const insertStarted = performance.now();
  await insertRevokedRows(ctx, now);
  const insertSeconds = (performance.now() - insertStarted) / 1000;
  const expected = already + CRL_ENTRIES;
  if ((await countRevoked()) !== expected) throw new Error('the fake revoked rows were not all inserted');

  const times: number[] = [];
  let crl;
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    crl = await ctx.crls.publish('seal-ca');
    times.push(performance.now() - started);
  }
  if (crl!.entries !== expected) throw new Error(`the CRL has ${crl!.entries} entries, expected ${expected}`);
  await writeFile(path.join(dir, 'seal-ca.crl'), crl!.der);
  const number = await openssl(['crl', '-inform', 'DER', '-in', 'seal-ca.crl', '-noout', '-crlnumber'], dir);
  if (number.trim().toLowerCase() !== `crlnumber=0x${crl!.crlNumber.toString(16)}`) throw new Error(`openssl reads ${number.trim()}, expected CRL number ${crl!.crlNumber}`);
  const verified = await openssl(['crl', '-inform', 'DER', '-in', 'seal-ca.crl', '-noout', '-CAfile', 'chain.pem'], dir);
  if (!verified.includes('verify OK')) throw new Error(`openssl does not verify the CRL signature:\n${verified}`);
  const text = await openssl(['crl', '-inform', 'DER', '-in', 'seal-ca.crl', '-noout', '-text'], dir);
  const listed = text.match(/Serial Number:/g)?.length ?? 0;
  if (listed !== expected) throw new Error(`openssl lists ${listed} serials in the CRL, expected ${expected}`);
  return [
    {
      name: 'crl_generation_100k',
      value: median(times),
      unit: 'ms',
      note: `CrlService.publish('seal-ca') with ${expected} revoked entries, ${engine}, median of ${RUNS}`,
    },
    { name: 'crl_size_100k', value: crl!.der.length, unit: 'bytes', note: `DER, ${expected} entries` },
    { name: 'crl_fixture_insert', value: insertSeconds, unit: 's', note: `${CRL_ENTRIES} rows, ${INSERT_BATCH} per INSERT, one transaction` },
  ];
}

/** 100,000 revoked rows for seal-ca in one transaction; fake DER, since a CRL needs only serial, time and reason. */
async function insertRevokedRows(ctx: AppContext, now: Date): Promise<void> {
  const reasons = ['keyCompromise', 'superseded', 'cessationOfOperation', 'affiliationChanged', 'unspecified', 'privilegeWithdrawn'];
  const day = 24 * 60 * 60 * 1000;
  const notBefore = new Date(now.getTime() - 400 * day);
  const notAfter = new Date(now.getTime() + 700 * day);
  const der = new Uint8Array([0x30, 0x00]);
  await ctx.db.transaction().execute(async (trx) => {
    for (let start = 0; start < CRL_ENTRIES; start += INSERT_BATCH) {
      const rows: NewCertificateRow[] = [];
      for (let i = start; i < Math.min(start + INSERT_BATCH, CRL_ENTRIES); i++) {
        const serial = randomBytes(16);
        serial[0] = (serial[0]! % 0x7f) + 1; // positive, no sign octet: as issued serials are
        const serialHex = serial.toString('hex');
        const held = i % 20 === 0;
        const revokedAt = new Date(now.getTime() - ((i * 7919) % (365 * 24 * 3600)) * 1000);
        rows.push({
          serial_hex: serialHex,
          ca_id: 'seal-ca',
          profile: FAKE_PROFILE,
          subject: `CN=bench ${i}`,
          not_before: notBefore,
          not_after: notAfter,
          status: held ? 'on-hold' : 'revoked',
          revoked_at: revokedAt,
          revocation_reason: held ? 'certificateHold' : reasons[i % reasons.length]!,
          status_changed_at: revokedAt,
          fingerprint_sha256: createHash('sha256').update(serial).digest('hex'),
          der,
          key_backend: null,
          key_alias: null,
          requested_by: null,
          created_at: notBefore,
        });
      }
      await trx.insertInto('certificates').values(rows).execute();
    }
  });
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

const execFileAsync = promisify(execFile);

/** Runs openssl in `cwd`; stdout and stderr together (openssl reports verification on stderr). Throws on failure. */
async function openssl(args: string[], cwd: string): Promise<string> {
  const { stdout, stderr } = await execFileAsync('openssl', args, { cwd, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  return stdout + stderr;
}

/** Maps with at most `limit` calls in flight; results in input order. */
async function inParallel<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
