import { execFile, spawn } from 'node:child_process';
import { randomBytes, randomFillSync } from 'node:crypto';
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
import { openDatabase } from '../src/db/database.js';
import { toPem } from '../src/pki/pem.js';
import type { CrlJob, CrlMessage } from './ca-crl.child.js';
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
/** Publishing stops at this deadline: a CRL that takes longer is reported as "> budget". */
const CRL_PUBLISH_BUDGET_MS = 45_000;
/** Marks the fake revoked rows, so a shared PostgreSQL database can be cleaned afterwards. */
const FAKE_PROFILE = 'bench-crl';

const OID_OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';
/** openssl writes a 16-octet nonce as the request's last bytes: ... 04 10 <nonce>. */
const NONCE_LENGTH = 16;

/**
 * The certificate authority's hot paths. Over HTTP on loopback, against the real service in
 * a process of its own: OCSP for nonce-free (cacheable) requests by POST and by GET, OCSP
 * with a fresh nonce per request (signed each time), RFC 3161 time-stamps. Calling the
 * services directly: certificate issuance from CSRs, and CRL generation with 100,000 revoked
 * entries (in a child process, so that a CRL that never finishes can be stopped). Answers
 * are checked before they are timed (pkijs for every OCSP answer, openssl for a few, and for
 * the time-stamps, the issued certificate and the CRL), and every response under load must
 * be a 200 carrying a real answer, not an error.
 */
export async function benchCa(): Promise<Figure[]> {
  return [...(await benchProtocols()), ...(await benchIssuance()), ...(await benchCrl())];
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
    progress('starting the service');
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

    progress(`issuing ${OCSP_CERTIFICATES} certificates through the API, revoking a quarter`);
    const certificates = await issueAndRevoke(baseUrl, token, dir);
    progress('checking every OCSP answer');
    const before = await checkOcspAnswers(baseUrl, certificates, dir);
    const ocspOk = (body: unknown) => typeof body === 'string' && body.length > 64; // an error response is 5 bytes
    const ocspHeaders = { 'Content-Type': 'application/ocsp-request' };

    progress('OCSP load: POST and GET without nonce, then POST with a fresh nonce each');
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
    // Nonce-free answers come from the cache, re-signed at half their 60 min validity: the
    // same bytes before and after the runs, unless something evicted them meanwhile.
    let resigned = 0;
    for (const c of certificates) {
      if (!(await ocspPost(baseUrl, c.plain)).equals(before.get(c.serial)!)) resigned++;
    }
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

    progress('time-stamp load');
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
      {
        name: 'ocsp_cached_resigned',
        value: resigned,
        unit: 'responses',
        note: `of ${OCSP_CERTIFICATES} nonce-free responses, re-signed between before and after the cached runs; 0 when the cache holds`,
      },
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
async function checkOcspAnswers(baseUrl: string, certificates: IssuedForOcsp[], dir: string): Promise<Map<string, Buffer>> {
  const run = (args: string[]) => openssl(args, dir);
  const expect = (c: IssuedForOcsp) => (c.revoked ? 'revoked' : 'good');
  const answers = new Map<string, Buffer>();
  for (const c of certificates) {
    const byPost = await ocspPost(baseUrl, c.plain);
    answers.set(c.serial, byPost);
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
  return answers;
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

/** Certificates issued per second, sequentially, through CertificateService.issue. */
async function benchIssuance(): Promise<Figure[]> {
  const url = process.env.BENCH_DATABASE_URL;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'elt-bench-ca-'));
  let ctx: AppContext | undefined;
  try {
    const { config, secrets } = loadConfig({
      DATA_DIR: path.join(dir, 'data'),
      KEYS_DIR: path.join(dir, 'keys'),
      KEYS_PASSPHRASE: randomBytes(24).toString('hex'),
      CA_CONFIG: path.join(ROOT, 'ca-config', 'hierarchy.json'),
      PUBLIC_BASE_URL: 'http://127.0.0.1:8080',
      ...(url ? { DATABASE_URL: url } : {}),
    });
    ctx = await createContext(config, secrets, pino({ level: 'silent' }));
    await writeFile(path.join(dir, 'seal-ca.pem'), toPem(ctx.hierarchy.authorities.get('seal-ca')!.der, 'CERTIFICATE'));
    await writeFile(path.join(dir, 'root.pem'), toPem(ctx.hierarchy.authorities.get('root')!.der, 'CERTIFICATE'));

    progress(`issuance: ${ISSUANCES} ECDSA P-256 CSRs from openssl`);
    const csrs = await inParallel([...Array(ISSUANCES).keys()], 4, async (i) => {
      const subject = `/CN=基准测试签发章${i}/O=基准测试单位/serialNumber=1400008${String(i).padStart(7, '0')}`;
      const args = ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `k-${i}.pem`, '-utf8', '-subj', subject, '-out', `csr-${i}.pem`];
      await openssl(args, dir);
      return readFile(path.join(dir, `csr-${i}.pem`), 'utf8');
    });
    const issue = (csr: string) => ctx!.certificates.issue(SYSTEM_ACTOR, { caId: 'seal-ca', profile: 'seal', csr });
    progress(`issuance: ${RUNS} x ${ISSUANCES}, sequential`);
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
  } finally {
    await ctx?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * CRL generation with CRL_ENTRIES revoked entries: ctx.crls.publish('seal-ca'), in a child
 * process (ca-crl.child.ts) that is killed when publishing overruns CRL_PUBLISH_BUDGET_MS.
 * The CRL is then checked with openssl: CRL number, signature up to the root, entry count.
 */
async function benchCrl(): Promise<Figure[]> {
  const url = process.env.BENCH_DATABASE_URL ?? null;
  const engine = url ? 'postgres' : 'embedded';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'elt-bench-ca-'));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('bench', 'ca-crl.child.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { PATH: process.env.PATH },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let finished = false;
  try {
    const messages: CrlMessage[] = [];
    let wake = () => {};
    child.on('message', (message: CrlMessage) => {
      messages.push(message);
      wake();
    });
    void exited.then(() => wake());
    const next = async (deadline: number): Promise<CrlMessage | 'timeout' | 'exited'> => {
      while (messages.length === 0) {
        if (child.exitCode !== null || child.signalCode !== null) return 'exited';
        const remaining = deadline - Date.now();
        if (remaining <= 0) return 'timeout';
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, remaining);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      return messages.shift()!;
    };
    const fail = (what: CrlMessage | 'timeout' | 'exited', during: string): never => {
      throw new Error(`CRL benchmark, ${during}: ${typeof what === 'string' ? what : what.type === 'failed' ? what.message : `unexpected ${what.type}`}`);
    };

    progress(`CRL: inserting ${CRL_ENTRIES} revoked rows`);
    const job: CrlJob = {
      dir,
      databaseUrl: url,
      keysPassphrase: randomBytes(24).toString('hex'),
      entries: CRL_ENTRIES,
      batch: INSERT_BATCH,
      runs: RUNS,
      publishBudgetMs: CRL_PUBLISH_BUDGET_MS,
      fakeProfile: FAKE_PROFILE,
    };
    child.send(job);
    const inserted = await next(Date.now() + 120_000);
    if (typeof inserted === 'string' || inserted.type !== 'inserted') return fail(inserted, 'inserting rows');

    progress(`CRL: publishing, at most ${CRL_PUBLISH_BUDGET_MS / 1000} s`);
    const publishDeadline = Date.now() + CRL_PUBLISH_BUDGET_MS;
    const runs: Extract<CrlMessage, { type: 'published' }>[] = [];
    for (;;) {
      const message = await next(publishDeadline + (runs.length > 0 ? 60_000 : 0));
      if (message === 'timeout' && runs.length === 0) {
        progress(`CRL: the first publication of ${inserted.expected} entries did not finish within ${CRL_PUBLISH_BUDGET_MS / 1000} s; stopped`);
        return [
          {
            name: 'crl_generation_100k',
            value: CRL_PUBLISH_BUDGET_MS,
            unit: 'ms',
            atLeast: true,
            note: `CrlService.publish('seal-ca') with ${inserted.expected} revoked entries, ${engine}: did not finish, stopped at the deadline`,
          },
          { name: 'crl_fixture_insert', value: inserted.seconds, unit: 's', note: `${CRL_ENTRIES} rows, ${INSERT_BATCH} per INSERT, one transaction` },
        ];
      }
      if (typeof message === 'string') return fail(message, 'publishing');
      if (message.type === 'published') runs.push(message);
      else if (message.type === 'done') break;
      else return fail(message, 'publishing');
    }
    finished = true;

    const last = runs[runs.length - 1]!;
    if (last.entries !== inserted.expected) throw new Error(`the CRL has ${last.entries} entries, expected ${inserted.expected}`);
    const number = await openssl(['crl', '-inform', 'DER', '-in', 'seal-ca.crl', '-noout', '-crlnumber'], dir);
    if (Number.parseInt(/^crlNumber=0x([0-9a-f]+)$/i.exec(number.trim())?.[1] ?? '', 16) !== last.crlNumber) {
      throw new Error(`openssl reads ${number.trim()}, expected CRL number ${last.crlNumber}`);
    }
    const verified = await openssl(['crl', '-inform', 'DER', '-in', 'seal-ca.crl', '-noout', '-CAfile', 'chain.pem'], dir);
    if (!verified.includes('verify OK')) throw new Error(`openssl does not verify the CRL signature:\n${verified}`);
    const text = await openssl(['crl', '-inform', 'DER', '-in', 'seal-ca.crl', '-noout', '-text'], dir);
    const listed = text.match(/Serial Number:/g)?.length ?? 0;
    if (listed !== inserted.expected) throw new Error(`openssl lists ${listed} serials in the CRL, expected ${inserted.expected}`);
    return [
      {
        name: 'crl_generation_100k',
        value: median(runs.map((r) => r.ms)),
        unit: 'ms',
        note: `CrlService.publish('seal-ca') with ${inserted.expected} revoked entries, ${engine}, median of ${runs.length}`,
      },
      { name: 'crl_size_100k', value: last.bytes, unit: 'bytes', note: `DER, ${inserted.expected} entries` },
      { name: 'crl_fixture_insert', value: inserted.seconds, unit: 's', note: `${CRL_ENTRIES} rows, ${INSERT_BATCH} per INSERT, one transaction` },
    ];
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    // Stopped early on a shared PostgreSQL database: its fake rows are still there.
    if (url && !finished) {
      const opened = await openDatabase({ engine: 'postgres', url });
      try {
        await opened.db.deleteFrom('certificates').where('profile', '=', FAKE_PROFILE).execute();
      } finally {
        await opened.close();
      }
    }
    await rm(dir, { recursive: true, force: true });
  }
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

/** A progress line on stderr: the whole benchmark takes a few minutes. */
const benchStarted = performance.now();
function progress(message: string): void {
  process.stderr.write(`[ca ${Math.round((performance.now() - benchStarted) / 1000)} s] ${message}\n`);
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
