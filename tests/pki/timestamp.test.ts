import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTimeStampRejection,
  buildTimeStampResponse,
  checkPolicy,
  parseTimeStampRequest,
  timeStampSerialNumber,
  timeStampingCertificateProblem,
  TIME_STAMP_FAILURE_BITS,
  type TimeStampFailureInfo,
  type TimeStampRequest,
  type TimeStampResponseParams,
  type TimeStampSigner,
} from '../../src/pki/timestamp.js';
import { pkijsEngine } from '../../src/pki/pkijs-engine.js';
import { openssl } from '../support/openssl.js';
import { missingTool } from '../support/outside-tools.js';

const TSA_POLICY = '1.2.3.4';
const FOREIGN_POLICY = '1.2.3.5';
const GEN_TIME = new Date('2026-11-23T14:00:00.250Z');
const SERIAL = Uint8Array.from([0x3a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77]);
const MESSAGE = '电子证照 licence 2026-0001: time-stamp me\n';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const MD5 = '1.2.840.113549.2.5';

/** A DER TimeStampReq built by hand, for the malformed requests openssl's client will not make. */
function craftedRequest(options: { version?: number; algorithmId?: string; params?: asn1js.AsnType | null; imprintLength?: number; extensions?: boolean } = {}): Uint8Array {
  const params = options.params === undefined ? new asn1js.Null() : options.params;
  const request = new pkijs.TimeStampReq({
    version: options.version ?? 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: options.algorithmId ?? SHA256, ...(params ? { algorithmParams: params } : {}) }),
      hashedMessage: new asn1js.OctetString({ valueHex: new Uint8Array(options.imprintLength ?? 32).fill(7) }),
    }),
    ...(options.extensions
      ? { extensions: [new pkijs.Extension({ extnID: '1.2.3.99', critical: false, extnValue: new asn1js.Null().toBER() })] }
      : {}),
  });
  return new Uint8Array(request.toSchema().toBER());
}

describe('parseTimeStampRequest: requests that are refused (RFC 3161 §2.4.2 PKIFailureInfo)', () => {
  const good = craftedRequest();

  it('accepts a plain v1 SHA-256 request and applies the defaults', () => {
    const parsed = parseTimeStampRequest(good);
    expect(parsed).toEqual({
      ok: true,
      request: { hashAlgorithm: 'SHA-256', hashedMessage: new Uint8Array(32).fill(7), reqPolicy: null, nonce: null, certReq: false },
    });
  });

  it('accepts absent hash parameters as well as NULL', () => {
    expect(parseTimeStampRequest(craftedRequest({ params: null })).ok).toBe(true);
  });

  it.each<[string, TimeStampFailureInfo, Uint8Array, RegExp]>([
    ['garbage bytes', 'badDataFormat', new TextEncoder().encode('this is not DER at all'), /decoded|TimeStampReq/],
    ['an empty body', 'badDataFormat', new Uint8Array(0), /decoded/],
    ['a truncated request', 'badDataFormat', good.subarray(0, good.length - 5), /decoded/],
    ['trailing bytes after the request', 'badDataFormat', Uint8Array.from([...good, 0x00, 0x00]), /after/],
    ['a SEQUENCE that is not a TimeStampReq', 'badDataFormat', new Uint8Array(new asn1js.Sequence({ value: [new asn1js.Utf8String({ value: 'x' })] }).toBER()), /not a TimeStampReq/],
    ['a SHA-256 imprint of 20 bytes', 'badDataFormat', craftedRequest({ imprintLength: 20 }), /32 bytes, not 20/],
    ['version 2', 'badRequest', craftedRequest({ version: 2 }), /version 2/],
    ['an MD5 imprint', 'badAlg', craftedRequest({ algorithmId: MD5, imprintLength: 16 }), /MD5 is too weak/],
    ['an unknown hash algorithm', 'badAlg', craftedRequest({ algorithmId: '1.2.3.4.5' }), /1\.2\.3\.4\.5 is not supported/],
    ['hash parameters that are not NULL', 'badAlg', craftedRequest({ params: new asn1js.Integer({ value: 1 }) }), /NULL parameters/],
    ['a request extension', 'unacceptedExtension', craftedRequest({ extensions: true }), /1\.2\.3\.99/],
  ])('answers %s with %s', (_case, failInfo, der, message) => {
    const parsed = parseTimeStampRequest(der);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.failure.failInfo).toBe(failInfo);
    expect(parsed.failure.message).toMatch(message);
  });

  it.each<[string | null, boolean]>([
    [null, true],
    [TSA_POLICY, true],
    [FOREIGN_POLICY, false],
  ])('checkPolicy with reqPolicy %s accepts: %s', (reqPolicy, accepted) => {
    const request: TimeStampRequest = { hashAlgorithm: 'SHA-256', hashedMessage: new Uint8Array(32), reqPolicy, nonce: null, certReq: false };
    const refusal = checkPolicy(request, TSA_POLICY);
    expect(refusal === null).toBe(accepted);
    if (refusal) expect(refusal).toMatchObject({ failInfo: 'unacceptedPolicy', message: expect.stringContaining(FOREIGN_POLICY) });
  });

  it.each([
    [[0x00, 0x01, 0x02], [0x01, 0x01, 0x02]],
    [[0x80, 0x01], [0x01, 0x01]],
    [[0xff, 0x01], [0x7f, 0x01]],
    [[0x9a], [0x1a]],
    [[0x7f, 0xff], [0x7f, 0xff]],
    [[0x01], [0x01]],
  ])('normalises serial %j to the positive minimal %j', (random, expected) => {
    const serial = timeStampSerialNumber(Uint8Array.from(random));
    expect([...serial]).toEqual(expected);
    expect([...timeStampSerialNumber(serial)]).toEqual(expected); // idempotent
  });

  it.each([0, 21])('refuses a serial of %i octets', (length) => {
    expect(() => timeStampSerialNumber(new Uint8Array(length).fill(1))).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------
// openssl as the outside judge
// ---------------------------------------------------------------------------------------

const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[root_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[tsa_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[eku_not_critical]
extendedKeyUsage = timeStamping
[eku_extra_purpose]
extendedKeyUsage = critical,timeStamping,codeSigning
[key_usage_too_wide]
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = critical,timeStamping
`;

/** The DER inside a PEM file; `openssl genpkey` writes PKCS#8 ("PRIVATE KEY"). */
function pemBody(pem: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'));
}

interface TsaProfile {
  name: string;
  genpkey: string[];
  importAlgorithm: EcKeyImportParams | RsaHashedImportParams;
  /** The signature algorithm openssl should name for the token. */
  signatureAlgorithm: RegExp;
}

const TSA_PROFILES: TsaProfile[] = [
  { name: 'ec-p256', genpkey: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], importAlgorithm: { name: 'ECDSA', namedCurve: 'P-256' }, signatureAlgorithm: /ecdsa-with-SHA256/ },
  { name: 'ec-p384', genpkey: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'], importAlgorithm: { name: 'ECDSA', namedCurve: 'P-384' }, signatureAlgorithm: /ecdsa-with-SHA384/ },
  { name: 'rsa-3072', genpkey: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'], importAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, signatureAlgorithm: /sha256WithRSAEncryption/ },
];

describe.skipIf(missingTool('openssl'))('RFC 3161 responses, judged by openssl ts', () => {
  let dir: string;
  const signers = new Map<string, TimeStampSigner>();
  let rootDer: Uint8Array<ArrayBuffer>;

  /** Runs openssl in the fixture directory and fails loudly when it does. */
  async function ok(args: string[]): Promise<string> {
    const result = await openssl(args, { cwd: dir });
    if (result.code !== 0) throw new Error(`openssl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result.stdout;
  }

  async function makeTsa(profile: TsaProfile): Promise<TimeStampSigner> {
    const name = profile.name;
    await ok(['genpkey', ...profile.genpkey, '-out', `${name}.key`]);
    await ok(['req', '-new', '-config', 'openssl.cnf', '-key', `${name}.key`, '-subj', `/C=CN/O=Test Trust Service/CN=Test TSA ${name}`, '-out', `${name}.csr`]);
    // A serial with the top bit set: its DER has a leading 0x00 that issuerSerial must keep.
    await ok(['x509', '-req', '-in', `${name}.csr`, '-CA', 'root.pem', '-CAkey', 'root.key', '-set_serial', '0x8a5f3c2e11d04b77', '-days', '365', '-extfile', 'openssl.cnf', '-extensions', 'tsa_ext', '-out', `${name}.pem`]);
    await ok(['x509', '-in', `${name}.pem`, '-outform', 'DER', '-out', `${name}.der`]);
    const privateKey = await crypto.subtle.importKey('pkcs8', pemBody(await readFile(path.join(dir, `${name}.key`), 'utf8')), profile.importAlgorithm, false, ['sign']);
    return { certificate: new Uint8Array(await readFile(path.join(dir, `${name}.der`))), privateKey, crypto };
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'elt-tsa-'));
    await writeFile(path.join(dir, 'openssl.cnf'), OPENSSL_CONFIG);
    await writeFile(path.join(dir, 'msg.txt'), MESSAGE);
    await ok(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'root.key']);
    await ok(['req', '-x509', '-new', '-config', 'openssl.cnf', '-extensions', 'root_ext', '-key', 'root.key', '-subj', '/C=CN/O=Test Trust Service/CN=Test Root CA', '-days', '3650', '-out', 'root.pem']);
    await ok(['x509', '-in', 'root.pem', '-outform', 'DER', '-out', 'root.der']);
    rootDer = new Uint8Array(await readFile(path.join(dir, 'root.der')));
    for (const profile of TSA_PROFILES) signers.set(profile.name, await makeTsa(profile));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function signer(name = 'ec-p256'): TimeStampSigner {
    return signers.get(name)!;
  }

  /** `openssl ts -query` over msg.txt with the given options, parsed by us. */
  async function query(file: string, options: string[]): Promise<{ file: string; request: TimeStampRequest }> {
    await ok(['ts', '-query', '-data', 'msg.txt', ...options, '-out', file]);
    const parsed = parseTimeStampRequest(await readFile(path.join(dir, file)));
    if (!parsed.ok) throw new Error(`our parser refused openssl's request: ${parsed.failure.message}`);
    return { file, request: parsed.request };
  }

  async function respond(file: string, request: TimeStampRequest, overrides: Partial<TimeStampResponseParams> = {}): Promise<string> {
    const der = await buildTimeStampResponse({ request, policy: TSA_POLICY, serialNumber: SERIAL, genTime: GEN_TIME, accuracy: { seconds: 1 }, signer: signer(), ...overrides });
    await writeFile(path.join(dir, file), der);
    return file;
  }

  async function verify(args: string[]) {
    return openssl(['ts', '-verify', ...args, '-CAfile', 'root.pem'], { cwd: dir });
  }

  function line(text: string, label: string): string | undefined {
    return text.split('\n').find((l) => l.startsWith(`${label}:`));
  }

  describe.each(TSA_PROFILES.map((profile) => [profile.name, profile] as const))('signed by the %s TSA', (name, profile) => {
    it.each([
      ['SHA-256, nonce, certReq', ['-sha256', '-cert'], 'sha256'],
      ['no nonce', ['-sha256', '-cert', '-no_nonce'], 'sha256'],
      ['SHA-512', ['-sha512', '-cert'], 'sha512'],
      ['reqPolicy equal to the TSA policy', ['-sha256', '-cert', '-tspolicy', TSA_POLICY], 'sha256'],
      ['SHA-384 without certReq', ['-sha384'], 'sha384'],
    ])('%s: verifies against the request and the data, and prints what we put in', async (label, options, opensslHash) => {
      const stem = `${name}-${label.replace(/\W+/g, '-')}`;
      const { file: reqFile, request } = await query(`${stem}.tsq`, options);
      expect(request.hashedMessage).toEqual(new Uint8Array(createHash(opensslHash).update(MESSAGE).digest()));
      expect(request.certReq).toBe(options.includes('-cert'));
      expect(request.nonce === null).toBe(options.includes('-no_nonce'));
      expect(request.reqPolicy).toBe(options.includes('-tspolicy') ? TSA_POLICY : null);
      const respFile = await respond(`${stem}.tsr`, request, { signer: signer(name) });

      for (const against of [['-queryfile', reqFile], ['-data', 'msg.txt']]) {
        const result = await verify([...against, '-in', respFile, '-untrusted', `${name}.pem`]);
        expect(result.stdout + result.stderr, `verify ${against.join(' ')}`).toContain('Verification: OK');
      }

      const reply = await ok(['ts', '-reply', '-in', respFile, '-text']);
      expect(reply).toContain('Status: Granted.');
      expect(line(reply, 'Version')).toBe('Version: 1');
      expect(line(reply, 'Policy OID')).toBe(`Policy OID: ${TSA_POLICY}`);
      expect(line(reply, 'Hash Algorithm')).toBe(`Hash Algorithm: ${opensslHash}`);
      expect(line(reply, 'Serial number')).toBe('Serial number: 0x3A11223344556677');
      expect(line(reply, 'Time stamp')).toBe('Time stamp: Nov 23 14:00:00.25 2026 GMT');
      expect(line(reply, 'Accuracy')).toBe('Accuracy: 0x01 seconds, unspecified millis, unspecified micros');
      expect(line(reply, 'Ordering')).toBe('Ordering: no');
      expect(line(reply, 'TSA')).toBe(`TSA: DirName:/C=CN/O=Test Trust Service/CN=Test TSA ${name}`);
      const requestText = await ok(['ts', '-query', '-in', reqFile, '-text']);
      expect(line(reply, 'Nonce')).toBe(line(requestText, 'Nonce'));
      if (request.nonce === null) expect(line(reply, 'Nonce')).toBe('Nonce: unspecified');

      await ok(['ts', '-reply', '-in', respFile, '-token_out', '-out', `${stem}.tok`]);
      const cms = await ok(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', `${stem}.tok`]);
      expect(cms).toContain('id-smime-ct-TSTInfo');
      expect(cms).toContain('id-smime-aa-signingCertificateV2');
      expect(cms).toMatch(profile.signatureAlgorithm);
      expect(/certificates:\s*<ABSENT>/.test(cms)).toBe(!request.certReq);
    });
  });

  it('puts the TSA certificate (and extraCerts) in the token only when certReq is set', async () => {
    const withCert = await query('certreq.tsq', ['-sha256', '-cert']);
    await respond('certreq.tsr', withCert.request, { extraCerts: [rootDer] });
    const alone = await verify(['-queryfile', 'certreq.tsq', '-in', 'certreq.tsr']);
    expect(alone.stdout).toContain('Verification: OK');
    await ok(['ts', '-reply', '-in', 'certreq.tsr', '-token_out', '-out', 'certreq.tok']);
    const certs = await ok(['pkcs7', '-inform', 'DER', '-in', 'certreq.tok', '-print_certs', '-noout']);
    expect(certs.match(/^subject=/gm)).toHaveLength(2);

    const without = await query('nocert.tsq', ['-sha256']);
    await respond('nocert.tsr', without.request, { extraCerts: [rootDer] });
    const missing = await verify(['-queryfile', 'nocert.tsq', '-in', 'nocert.tsr']);
    expect(missing.stdout).not.toContain('Verification: OK');
    const given = await verify(['-queryfile', 'nocert.tsq', '-in', 'nocert.tsr', '-untrusted', 'ec-p256.pem']);
    expect(given.stdout).toContain('Verification: OK');
  });

  it('fails verification for other data, so the OK above means something', async () => {
    const { request } = await query('other.tsq', ['-sha256', '-cert']);
    await respond('other.tsr', request);
    await writeFile(path.join(dir, 'other.txt'), `${MESSAGE}tampered`);
    const result = await verify(['-data', 'other.txt', '-in', 'other.tsr']);
    expect(result.stdout).not.toContain('Verification: OK');
    expect(result.stderr).toMatch(/message imprint mismatch/);
  });

  it.each<[string, string, number[]]>([
    ['leading 0x00', '0x019C421700000001', [0x00, 0x9c, 0x42, 0x17, 0x00, 0x00, 0x00, 0x01]],
    ['leading 0x80', '0x0100000000000000', [0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]],
    ['leading 0xFF', '0x7FFFFFFFFFFFFFFF', [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ['leading 0xC3', '0x4301020304050607', [0xc3, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]],
    ['two leading zero octets', '0x0100010203040506', [0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06]],
    ['20 octets (160 bits)', `0x60${'AB'.repeat(19)}`, [0xe0, ...new Array<number>(19).fill(0xab)]],
  ])('serial with %s still verifies and prints as %s', async (_case, printed, random) => {
    const { request } = await query('serial.tsq', ['-sha256', '-cert']);
    await respond('serial.tsr', request, { serialNumber: Uint8Array.from(random), signer: signer('rsa-3072') });
    const result = await verify(['-queryfile', 'serial.tsq', '-in', 'serial.tsr']);
    expect(result.stdout + result.stderr).toContain('Verification: OK');
    const reply = await ok(['ts', '-reply', '-in', 'serial.tsr', '-text']);
    expect(line(reply, 'Serial number')).toBe(`Serial number: ${printed}`);
  });

  it('writes whole-second genTime without a fraction and millis/micros accuracy', async () => {
    const { request } = await query('time.tsq', ['-sha256', '-cert']);
    await respond('time.tsr', request, { genTime: new Date('2026-11-23T14:00:07Z'), accuracy: { millis: 500, micros: 1 } });
    expect((await verify(['-queryfile', 'time.tsq', '-in', 'time.tsr'])).stdout).toContain('Verification: OK');
    const reply = await ok(['ts', '-reply', '-in', 'time.tsr', '-text']);
    expect(line(reply, 'Time stamp')).toBe('Time stamp: Nov 23 14:00:07 2026 GMT');
    expect(line(reply, 'Accuracy')).toBe('Accuracy: unspecified seconds, 0x01F4 millis, 0x01 micros');
  });

  it('produces a token pkijs verifies once parsed back from DER', async () => {
    const { request } = await query('pkijs.tsq', ['-sha256', '-cert']);
    const der = await buildTimeStampResponse({ request, policy: TSA_POLICY, serialNumber: SERIAL, genTime: GEN_TIME, signer: signer() });
    const response = pkijs.TimeStampResp.fromBER(der);
    const verified = await response.verify(
      { signer: 0, trustedCerts: [pkijs.Certificate.fromBER(rootDer)], data: new TextEncoder().encode(MESSAGE).buffer as ArrayBuffer },
      pkijsEngine(crypto),
    );
    expect(verified).toBe(true);
  });

  describe('rejections', () => {
    it.each(Object.entries(TIME_STAMP_FAILURE_BITS) as [TimeStampFailureInfo, number][])('%s (bit %i) reads back in openssl', async (failInfo) => {
      const file = `rej-${failInfo}.tsr`;
      await writeFile(path.join(dir, file), buildTimeStampRejection(failInfo, `refused: ${failInfo}`));
      const text = await ok(['ts', '-reply', '-in', file, '-text']);
      expect(text).toContain('Status: Rejected.');
      expect(line(text, 'Status description')).toBe(`Status description: refused: ${failInfo}`);
      expect(line(text, 'Failure info')).toBe(`Failure info: ${OPENSSL_FAILURE_TEXT[failInfo]}`);
    });

    it('garbage bytes: badDataFormat', async () => {
      const parsed = parseTimeStampRequest(new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'));
      expect(parsed.ok).toBe(false);
      if (parsed.ok) return;
      await writeFile(path.join(dir, 'garbage.tsr'), buildTimeStampRejection(parsed.failure));
      const text = await ok(['ts', '-reply', '-in', 'garbage.tsr', '-text']);
      expect(text).toContain('Status: Rejected.');
      expect(line(text, 'Failure info')).toBe(`Failure info: ${OPENSSL_FAILURE_TEXT.badDataFormat}`);
    });

    it('a SHA-1 request from openssl: badAlg', async () => {
      await ok(['ts', '-query', '-data', 'msg.txt', '-sha1', '-cert', '-out', 'sha1.tsq']);
      const parsed = parseTimeStampRequest(new Uint8Array(await readFile(path.join(dir, 'sha1.tsq'))));
      expect(parsed).toMatchObject({ ok: false, failure: { failInfo: 'badAlg', message: expect.stringMatching(/SHA-1/) } });
      if (parsed.ok) return;
      await writeFile(path.join(dir, 'sha1.tsr'), buildTimeStampRejection(parsed.failure));
      const text = await ok(['ts', '-reply', '-in', 'sha1.tsr', '-text']);
      expect(line(text, 'Failure info')).toBe(`Failure info: ${OPENSSL_FAILURE_TEXT.badAlg}`);
    });

    it('a foreign reqPolicy: unacceptedPolicy, and the builder refuses to sign it', async () => {
      const { request } = await query('foreign.tsq', ['-sha256', '-cert', '-tspolicy', FOREIGN_POLICY]);
      const refusal = checkPolicy(request, TSA_POLICY);
      expect(refusal?.failInfo).toBe('unacceptedPolicy');
      await writeFile(path.join(dir, 'foreign.tsr'), buildTimeStampRejection(refusal!));
      const text = await ok(['ts', '-reply', '-in', 'foreign.tsr', '-text']);
      expect(text).toContain('Status: Rejected.');
      expect(line(text, 'Failure info')).toBe(`Failure info: ${OPENSSL_FAILURE_TEXT.unacceptedPolicy}`);
      // openssl as a client also refuses a rejection where it expected a token.
      expect((await verify(['-queryfile', 'foreign.tsq', '-in', 'foreign.tsr'])).stdout).not.toContain('Verification: OK');
      await expect(respond('foreign-signed.tsr', request)).rejects.toThrow(/checkPolicy/);
    });
  });

  describe('signer checks (configuration errors throw)', () => {
    it('refuses a certificate without the critical timeStamping EKU (RFC 3161 §2.3)', async () => {
      expect(timeStampingCertificateProblem(signer().certificate)).toBeNull();
      expect(timeStampingCertificateProblem(rootDer)).toBe('no extendedKeyUsage extension');
      const { request } = await query('badcert.tsq', ['-sha256']);
      await expect(respond('badcert.tsr', request, { signer: { ...signer(), certificate: rootDer } })).rejects.toThrow(/not a TSA certificate.*extendedKeyUsage/);
    });

    it.each([
      ['eku_not_critical', 'extendedKeyUsage is not critical'],
      ['eku_extra_purpose', 'extendedKeyUsage must be id-kp-timeStamping only, not 1.3.6.1.5.5.7.3.8, 1.3.6.1.5.5.7.3.3'],
      ['key_usage_too_wide', 'keyUsage must be digitalSignature and/or nonRepudiation only'],
    ])('refuses a certificate made with [%s], as openssl verify -purpose timestampsign does', async (section, problem) => {
      await ok(['x509', '-req', '-in', 'ec-p256.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-set_serial', '7', '-days', '30', '-extfile', 'openssl.cnf', '-extensions', section, '-out', `${section}.pem`]);
      await ok(['x509', '-in', `${section}.pem`, '-outform', 'DER', '-out', `${section}.der`]);
      expect(timeStampingCertificateProblem(new Uint8Array(await readFile(path.join(dir, `${section}.der`))))).toBe(problem);
      const judged = await openssl(['verify', '-CAfile', 'root.pem', '-purpose', 'timestampsign', `${section}.pem`], { cwd: dir });
      expect(judged.code).not.toBe(0);
      expect((await openssl(['verify', '-CAfile', 'root.pem', '-purpose', 'timestampsign', 'ec-p256.pem'], { cwd: dir })).code).toBe(0);
    });

    it('refuses a key whose type does not match the certificate', async () => {
      const { request } = await query('mismatch.tsq', ['-sha256']);
      const mixed = { ...signer('ec-p256'), privateKey: signer('rsa-3072').privateKey };
      await expect(respond('mismatch.tsr', request, { signer: mixed })).rejects.toThrow(/RSASSA-PKCS1-v1_5 key cannot sign/);
    });

    it.each<[string, Partial<TimeStampResponseParams>, RegExp]>([
      ['an empty serial', { serialNumber: new Uint8Array(0) }, /1 to 20 octets/],
      ['a policy that is not an OID', { policy: 'gold' }, /not an object identifier/],
      ['an invalid genTime', { genTime: new Date(Number.NaN) }, /genTime/],
      ['millis of 1000', { accuracy: { millis: 1000 } }, /millis/],
    ])('refuses %s', async (_case, overrides, message) => {
      const request: TimeStampRequest = { hashAlgorithm: 'SHA-256', hashedMessage: new Uint8Array(32), reqPolicy: null, nonce: null, certReq: false };
      await expect(respond('never.tsr', request, overrides)).rejects.toThrow(message);
    });
  });
});

/** What `openssl ts -reply -text` prints for each failure bit (crypto/ts/ts_rsp_print.c). */
const OPENSSL_FAILURE_TEXT: Record<TimeStampFailureInfo, string> = {
  badAlg: 'unrecognized or unsupported algorithm identifier',
  badRequest: 'transaction not permitted or supported',
  badDataFormat: 'the data submitted has the wrong format',
  timeNotAvailable: "the TSA's time source is not available",
  unacceptedPolicy: 'the requested TSA policy is not supported by the TSA',
  unacceptedExtension: 'the requested extension is not supported by the TSA',
  addInfoNotAvailable: 'the additional information requested could not be understood or is not available',
  systemFailure: 'the request cannot be handled due to system failure',
};
