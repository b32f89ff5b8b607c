import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import {
  MAX_CERT_IDS_PER_REQUEST,
  buildOcspErrorResponse,
  buildOcspResponse,
  certIdFor,
  issuerHashes,
  parseOcspRequest,
  prepareOcspResponder,
  serialHex,
  type CertIdRef,
  type OcspErrorStatus,
  type OcspResponder,
  type OcspSingleResponse,
} from '../../src/pki/ocsp.js';
import { openssl } from '../support/openssl.js';
import { missingTool } from '../support/outside-tools.js';

const GOOD_SERIAL = '0081020304'; // top bit set: the DER sign octet must survive
const REVOKED_SERIAL = '1001';
const UNKNOWN_SERIAL = '4242';
const REVOKED_AT = new Date('2025-01-02T03:04:05.678Z');
const KEY_COMPROMISE = 1;

/** openssl config: one extension section per certificate role. */
const OPENSSL_CNF = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[responder]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = OCSPSigning
noCheck = ignored
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

interface ResponderKind {
  name: string;
  genpkey: string[];
  importAlgorithm: EcKeyImportParams | RsaHashedImportParams;
  signatureHash?: 'SHA-256' | 'SHA-384';
  /** openssl's name for the signature algorithm in -resp_text. */
  signatureAlgorithm: string;
  /** The AlgorithmIdentifier DER: ECDSA without parameters (RFC 5758), RSA with NULL (RFC 4055 §5). */
  signatureAlgorithmDer: string;
}

const RESPONDER_KINDS: ResponderKind[] = [
  {
    name: 'ec-p256',
    genpkey: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
    importAlgorithm: { name: 'ECDSA', namedCurve: 'P-256' },
    signatureAlgorithm: 'ecdsa-with-SHA256',
    signatureAlgorithmDer: '300a06082a8648ce3d040302',
  },
  {
    name: 'ec-p384',
    genpkey: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
    importAlgorithm: { name: 'ECDSA', namedCurve: 'P-384' },
    signatureHash: 'SHA-384',
    signatureAlgorithm: 'ecdsa-with-SHA384',
    signatureAlgorithmDer: '300a06082a8648ce3d040303',
  },
  {
    name: 'rsa-2048',
    genpkey: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
    importAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    signatureAlgorithm: 'sha256WithRSAEncryption',
    signatureAlgorithmDer: '300d06092a864886f70d01010b0500',
  },
];

function pemToDer(pem: string): Uint8Array<ArrayBuffer> {
  const base64 = pem.replace(/-----(BEGIN|END) [^-]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(base64, 'base64'));
}

/** TLV with long-form lengths everywhere: valid BER, not DER. */
function ber(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const content = Buffer.concat(parts);
  if (content.length > 0xffff) throw new RangeError('test helper: content too long');
  return Uint8Array.from([tag, 0x82, content.length >> 8, content.length & 0xff, ...content]);
}

function expectMalformed(action: () => unknown): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidInputError);
  expect((caught as InvalidInputError).code).toBe('OcspMalformedRequest');
}

describe('serialHex: DER INTEGER content octets as lower-case hex', () => {
  it.each([
    { octets: [0x00], hex: '00' },
    { octets: [0x7f], hex: '7f' },
    { octets: [0x00, 0x81], hex: '0081' },
    { octets: [0x00, 0x00, 0x81], hex: '0081' },
    { octets: [0x00, 0x00, 0x01], hex: '01' },
    { octets: [0x81, 0x02], hex: '8102' },
    { octets: [0xff, 0x80], hex: '80' },
    { octets: [0xff, 0x7f], hex: 'ff7f' },
    { octets: [0x0a, 0xbc, 0xde], hex: '0abcde' },
  ])('$octets -> $hex', ({ octets, hex }) => {
    expect(serialHex(Uint8Array.from(octets))).toBe(hex);
  });

  it('rejects an INTEGER with no content octets', () => {
    expect(() => serialHex(new Uint8Array())).toThrow(RangeError);
  });
});

describe('buildOcspErrorResponse: bare OCSPResponseStatus (RFC 6960 §4.2.1)', () => {
  it.each([
    { status: 'malformedRequest', value: 1 },
    { status: 'internalError', value: 2 },
    { status: 'tryLater', value: 3 },
    { status: 'sigRequired', value: 5 },
    { status: 'unauthorized', value: 6 },
  ] as Array<{ status: OcspErrorStatus; value: number }>)('$status is SEQUENCE { ENUMERATED $value }', ({ status, value }) => {
    expect(Buffer.from(buildOcspErrorResponse(status)).toString('hex')).toBe(`30030a010${value}`);
  });

  it('refuses successful, which needs responseBytes', () => {
    expect(() => buildOcspErrorResponse('successful' as OcspErrorStatus)).toThrow(RangeError);
  });
});

describe.skipIf(missingTool('openssl'))('OCSP against openssl', () => {
  let dir: string;
  let rootDer: Uint8Array;
  const responders = new Map<string, OcspResponder>();
  let leafKeyPkcs8: Uint8Array<ArrayBuffer>;

  /** Times around the real clock (openssl checks them against it), with milliseconds. */
  const producedAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000 + 456);
  const thisUpdate = new Date(producedAt.getTime() - 3_600_000);
  const nextUpdate = new Date(producedAt.getTime() + 86_400_000);

  async function run(args: string[]): Promise<string> {
    const result = await openssl(args, { cwd: dir });
    if (result.code !== 0) throw new Error(`openssl ${args.join(' ')} failed:\n${result.stderr}`);
    return result.stdout;
  }

  /** Runs `openssl ocsp` and returns stdout + stderr: verdicts go to both. */
  async function ocsp(args: string[]): Promise<{ code: number; output: string }> {
    const result = await openssl(['ocsp', ...args], { cwd: dir });
    return { code: result.code, output: result.stdout + result.stderr };
  }

  async function issue(name: string, subject: string, serial: string, extensions: string, genpkey: string[]): Promise<void> {
    await run(['genpkey', ...genpkey, '-out', `${name}.key`]);
    await run(['req', '-config', 'openssl.cnf', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`]);
    await run([
      'x509', '-req', '-in', `${name}.csr`, '-CA', 'root.pem', '-CAkey', 'root.key', '-set_serial', `0x${serial}`,
      '-days', '30', '-extfile', 'openssl.cnf', '-extensions', extensions, '-out', `${name}.pem`,
    ]);
  }

  async function der(file: string): Promise<Uint8Array<ArrayBuffer>> {
    return pemToDer(await readFile(path.join(dir, file), 'utf8'));
  }

  /** An OCSP request written by openssl, read back as bytes. */
  async function opensslRequest(name: string, args: string[]): Promise<Uint8Array> {
    await run(['ocsp', '-issuer', 'root.pem', ...args, '-reqout', `${name}.der`]);
    return new Uint8Array(await readFile(path.join(dir, `${name}.der`)));
  }

  async function writeResponse(name: string, bytes: Uint8Array): Promise<void> {
    await writeFile(path.join(dir, `${name}.der`), bytes);
  }

  /** The status the authority would give each of our fixture serials. */
  function answer(certId: CertIdRef): OcspSingleResponse {
    const status =
      certId.serialNumber === GOOD_SERIAL
        ? ({ kind: 'good' } as const)
        : certId.serialNumber === REVOKED_SERIAL
          ? ({ kind: 'revoked', revokedAt: REVOKED_AT, reason: KEY_COMPROMISE } as const)
          : ({ kind: 'unknown' } as const);
    return { certId, status, thisUpdate, nextUpdate };
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'elt-ocsp-'));
    await writeFile(path.join(dir, 'openssl.cnf'), OPENSSL_CNF);
    const p256 = RESPONDER_KINDS[0]!.genpkey;
    await run(['genpkey', ...p256, '-out', 'root.key']);
    await run([
      'req', '-config', 'openssl.cnf', '-x509', '-new', '-key', 'root.key', '-subj', '/CN=OCSP Test Root',
      '-days', '30', '-extensions', 'root', '-out', 'root.pem',
    ]);
    rootDer = await der('root.pem');
    await issue('good', '/CN=Good Leaf', GOOD_SERIAL, 'leaf', p256);
    await issue('revoked', '/CN=Revoked Leaf', REVOKED_SERIAL, 'leaf', p256);
    leafKeyPkcs8 = await der('good.key');

    for (const [index, kind] of RESPONDER_KINDS.entries()) {
      await issue(kind.name, `/CN=OCSP Responder ${kind.name}`, `7${index}`, 'responder', kind.genpkey);
      // genpkey writes PKCS#8; import it non-extractable, as a KMS or HSM key would be.
      const privateKey = await crypto.subtle.importKey('pkcs8', await der(`${kind.name}.key`), kind.importAlgorithm, false, ['sign']);
      responders.set(
        kind.name,
        await prepareOcspResponder({
          certificateDer: await der(`${kind.name}.pem`),
          privateKey,
          crypto,
          signatureHash: kind.signatureHash,
        }),
      );
    }
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('parseOcspRequest on openssl requests', () => {
    it.each([
      { option: '-sha1', algorithm: 'SHA-1' },
      { option: '-sha256', algorithm: 'SHA-256' },
      { option: '-sha384', algorithm: 'SHA-384' },
      { option: '-sha512', algorithm: 'SHA-512' },
    ] as const)('reads a $algorithm CertID with the issuer hashes openssl computed', async ({ option, algorithm }) => {
      const request = await opensslRequest(`parse${option}`, [option, '-cert', 'good.pem', '-no_nonce']);
      // openssl folds long hashes with a backslash-newline.
      const text = (await run(['ocsp', '-reqin', `parse${option}.der`, '-req_text'])).replaceAll('\\\n', '');
      const parsed = parseOcspRequest(request);

      expect(parsed.nonce).toBeNull();
      expect(parsed.requests).toHaveLength(1);
      const [certId] = parsed.requests;
      expect(certId).toMatchObject({ hashAlgorithm: algorithm, serialNumber: GOOD_SERIAL });
      // openssl is the judge of the hashes, and issuerHashes must agree with it.
      expect(certId!.issuerNameHash).toBe(/Issuer Name Hash: ([0-9A-F]+)/.exec(text)![1]!.toLowerCase());
      expect(certId!.issuerKeyHash).toBe(/Issuer Key Hash: ([0-9A-F]+)/.exec(text)![1]!.toLowerCase());
      expect(issuerHashes(rootDer, algorithm)).toEqual({
        issuerNameHash: certId!.issuerNameHash,
        issuerKeyHash: certId!.issuerKeyHash,
      });
    });

    it('marks a CertID hash it does not support (SHA-224) and still parses it', async () => {
      const parsed = parseOcspRequest(await opensslRequest('sha224', ['-sha224', '-cert', 'good.pem', '-no_nonce']));
      expect(parsed.requests[0]).toMatchObject({ hashAlgorithm: 'unsupported', hashAlgorithmOid: '2.16.840.1.101.3.4.2.4' });
    });

    it('reads several CertIDs in order and the 16-octet nonce openssl sends', async () => {
      const parsed = parseOcspRequest(
        await opensslRequest('several', ['-cert', 'good.pem', '-cert', 'revoked.pem', '-serial', `0x${UNKNOWN_SERIAL}`]),
      );
      expect(parsed.requests.map((r) => r.serialNumber)).toEqual([GOOD_SERIAL, REVOKED_SERIAL, UNKNOWN_SERIAL]);
      expect(parsed.nonce).toHaveLength(16);
    });

    it('reads a signed request (requestorName and optionalSignature are not checked)', async () => {
      const parsed = parseOcspRequest(
        await opensslRequest('signed', ['-cert', 'good.pem', '-signer', 'ec-p256.pem', '-signkey', 'ec-p256.key']),
      );
      expect(parsed.requests.map((r) => r.serialNumber)).toEqual([GOOD_SERIAL]);
      expect(parsed.nonce).toHaveLength(16);
    });

    it('keeps the CertID DER exactly as the request had it', async () => {
      const request = await opensslRequest('echo', ['-cert', 'revoked.pem', '-no_nonce']);
      const { der: certIdDer } = parseOcspRequest(request).requests[0]!;
      expect(Buffer.from(request).includes(Buffer.from(certIdDer))).toBe(true);
    });
  });

  describe('parseOcspRequest rejects what it cannot parse', () => {
    let valid: Uint8Array;
    beforeAll(async () => {
      valid = await opensslRequest('valid', ['-cert', 'good.pem']);
    });

    it.each([
      { name: 'empty input', bytes: () => new Uint8Array() },
      { name: 'text', bytes: () => new TextEncoder().encode('GET /ocsp HTTP/1.1') },
      { name: 'one byte', bytes: () => Uint8Array.of(0x30) },
      { name: 'truncated by one byte', bytes: () => valid.subarray(0, valid.length - 1) },
      { name: 'truncated to half', bytes: () => valid.subarray(0, valid.length >> 1) },
      { name: 'a trailing byte', bytes: () => Uint8Array.from([...valid, 0x00]) },
      { name: 'two requests back to back', bytes: () => Uint8Array.from([...valid, ...valid]) },
      { name: 'a certificate', bytes: () => rootDer },
      { name: 'an empty SEQUENCE', bytes: () => Uint8Array.of(0x30, 0x00) },
      { name: 'an OCSP response', bytes: () => buildOcspErrorResponse('malformedRequest') },
    ])('$name', ({ bytes }) => {
      expectMalformed(() => parseOcspRequest(bytes()));
    });

    /** Requests openssl will not write: built with pkijs, CertIDs for real fixtures. */
    function craftedRequest(options: {
      certIds?: number;
      version?: number;
      nonceExtnValues?: Uint8Array[];
      singleRequestExtension?: boolean;
    }): Uint8Array {
      const certId = certIdFor({ ...issuerHashes(rootDer, 'SHA-1'), serialNumber: REVOKED_SERIAL, hashAlgorithm: 'SHA-1' });
      const tbsRequest = new pkijs.TBSRequest({
        requestList: Array.from(
          { length: options.certIds ?? 1 },
          () =>
            new pkijs.Request({
              reqCert: new pkijs.CertID({ schema: asn1js.fromBER(certId.der).result }),
              // id-pkix-ocsp-service-locator (RFC 6960 §4.4.6), contents irrelevant here
              ...(options.singleRequestExtension
                ? { singleRequestExtensions: [new pkijs.Extension({ extnID: '1.3.6.1.5.5.7.48.1.7', extnValue: Uint8Array.of(0x30, 0x00).buffer })] }
                : {}),
            }),
        ),
      });
      if (options.version !== undefined) tbsRequest.version = options.version;
      if (options.nonceExtnValues) {
        tbsRequest.requestExtensions = options.nonceExtnValues.map(
          (extnValue) => new pkijs.Extension({ extnID: '1.3.6.1.5.5.7.48.1.2', extnValue: extnValue.slice().buffer }),
        );
      }
      // toSchema(true): a freshly built pkijs request has no cached TBS to reuse.
      return new Uint8Array(new pkijs.OCSPRequest({ tbsRequest }).toSchema(true).toBER(false));
    }
    const octetString = (length: number) => new Uint8Array(new asn1js.OctetString({ valueHex: new Uint8Array(length).fill(0x5a) }).toBER(false));

    it.each([
      { name: 'no CertID', options: { certIds: 0 } },
      { name: `${MAX_CERT_IDS_PER_REQUEST + 1} CertIDs`, options: { certIds: MAX_CERT_IDS_PER_REQUEST + 1 } },
      { name: 'version v2', options: { version: 1 } },
      { name: 'a nonce that is not an OCTET STRING', options: { nonceExtnValues: [new Uint8Array(16).fill(0x01)] } },
      { name: 'an empty nonce', options: { nonceExtnValues: [octetString(0)] } },
      { name: 'a 129-octet nonce', options: { nonceExtnValues: [octetString(129)] } },
      { name: 'two nonces', options: { nonceExtnValues: [octetString(16), octetString(16)] } },
    ])('crafted: $name', ({ options }) => {
      expectMalformed(() => parseOcspRequest(craftedRequest(options)));
    });

    it.each([1, 16, 32, 128])('crafted: accepts a %i-octet nonce', (length) => {
      const parsed = parseOcspRequest(craftedRequest({ certIds: MAX_CERT_IDS_PER_REQUEST, nonceExtnValues: [octetString(length)] }));
      expect(parsed.nonce).toEqual(new Uint8Array(length).fill(0x5a));
      expect(parsed.requests).toHaveLength(MAX_CERT_IDS_PER_REQUEST);
    });

    it('re-encodes a CertID sent with BER lengths as DER, keeping its contents', () => {
      const expected = certIdFor({ ...issuerHashes(rootDer, 'SHA-1'), serialNumber: REVOKED_SERIAL, hashAlgorithm: 'SHA-1' });
      const berCertId = ber(
        0x30,
        Buffer.from('300906052b0e03021a0500', 'hex'), // sha1 AlgorithmIdentifier, NULL parameters
        ber(0x04, Buffer.from(expected.issuerNameHash, 'hex')),
        ber(0x04, Buffer.from(expected.issuerKeyHash, 'hex')),
        ber(0x02, Buffer.from(REVOKED_SERIAL, 'hex')),
      );
      // OCSPRequest { TBSRequest { requestList { Request { CertID } } } }
      const request = ber(0x30, ber(0x30, ber(0x30, ber(0x30, berCertId))));
      const [certId] = parseOcspRequest(request).requests;
      expect(certId).toEqual(expected);
    });

    it('crafted: ignores singleRequestExtensions', () => {
      const parsed = parseOcspRequest(craftedRequest({ singleRequestExtension: true }));
      expect(parsed.requests.map((r) => r.serialNumber)).toEqual([REVOKED_SERIAL]);
    });

    it(`rejects an openssl request with ${MAX_CERT_IDS_PER_REQUEST + 1} CertIDs`, async () => {
      const serials = Array.from({ length: MAX_CERT_IDS_PER_REQUEST + 1 }, (_, i) => ['-serial', String(i + 1)]).flat();
      const request = await opensslRequest('too-many', serials);
      expectMalformed(() => parseOcspRequest(request));
    });
  });

  describe.each(RESPONDER_KINDS)('responses signed by the $name responder', (kind) => {
    it('good, revoked and unknown with the nonce echoed: openssl verifies against the root', async () => {
      const name = `${kind.name}-statuses`;
      const request = parseOcspRequest(
        await opensslRequest(`${name}-req`, ['-cert', 'good.pem', '-cert', 'revoked.pem', '-serial', `0x${UNKNOWN_SERIAL}`]),
      );
      expect(request.nonce).not.toBeNull();
      await writeResponse(
        `${name}-resp`,
        await buildOcspResponse({
          responder: responders.get(kind.name)!,
          producedAt,
          responses: request.requests.map(answer),
          nonce: request.nonce,
        }),
      );

      // The request as sent and the response: signature, delegated responder chain and nonce.
      const bound = await ocsp(['-reqin', `${name}-req.der`, '-respin', `${name}-resp.der`, '-CAfile', 'root.pem']);
      expect(bound.output).toContain('Response verify OK');
      expect(bound.output).not.toMatch(/nonce/i);
      expect(bound.code).toBe(0);

      // The statuses, per certificate (openssl builds its own CertIDs to look them up).
      const statuses = await ocsp([
        '-issuer', 'root.pem', '-cert', 'good.pem', '-cert', 'revoked.pem', '-serial', `0x${UNKNOWN_SERIAL}`,
        '-no_nonce', '-respin', `${name}-resp.der`, '-CAfile', 'root.pem',
      ]);
      expect(statuses.output).toContain('Response verify OK');
      expect(statuses.output).toContain('good.pem: good');
      expect(statuses.output).toContain('revoked.pem: revoked');
      expect(statuses.output).toContain('Reason: keyCompromise');
      expect(statuses.output).toContain('Revocation Time: Jan  2 03:04:05 2025 GMT');
      expect(statuses.output).toContain(`0x${UNKNOWN_SERIAL}: unknown`);
      expect(statuses.output).not.toContain('WARNING');

      const text = await run(['ocsp', '-respin', `${name}-resp.der`, '-resp_text', '-noverify']);
      expect(text).toContain('OCSP Response Status: successful (0x0)');
      expect(text).toContain('Response Type: Basic OCSP Response');
      expect(text).toContain(`Signature Algorithm: ${kind.signatureAlgorithm}`);
      expect(Buffer.from(responders.get(kind.name)!.signatureAlgorithmDer).toString('hex')).toBe(kind.signatureAlgorithmDer);
      expect(text).toMatch(/Responder Id: [0-9A-F]{40}/);
      expect(text).toContain(`OCSP Nonce: \n            0410${Buffer.from(request.nonce!).toString('hex').toUpperCase()}`);
    });

    it('verifies with the responder as the trusted -VAfile too', async () => {
      const name = `${kind.name}-vafile`;
      const request = parseOcspRequest(await opensslRequest(`${name}-req`, ['-sha256', '-cert', 'good.pem']));
      await writeResponse(
        `${name}-resp`,
        await buildOcspResponse({ responder: responders.get(kind.name)!, producedAt, responses: request.requests.map(answer), nonce: request.nonce }),
      );
      const verdict = await ocsp(['-reqin', `${name}-req.der`, '-respin', `${name}-resp.der`, '-VAfile', `${kind.name}.pem`]);
      expect(verdict.output).toContain('Response verify OK');
      expect(verdict.code).toBe(0);
    });
  });

  describe('nonce binding, with openssl as the judge', () => {
    async function respondTo(name: string, nonce: Uint8Array | null): Promise<{ code: number; output: string }> {
      const request = parseOcspRequest(await opensslRequest(`${name}-req`, ['-cert', 'good.pem']));
      await writeResponse(
        `${name}-resp`,
        await buildOcspResponse({ responder: responders.get('ec-p256')!, producedAt, responses: request.requests.map(answer), nonce }),
      );
      return ocsp(['-reqin', `${name}-req.der`, '-respin', `${name}-resp.der`, '-CAfile', 'root.pem']);
    }

    it('openssl notices a response that drops the nonce', async () => {
      expect((await respondTo('nonce-dropped', null)).output).toContain('WARNING: no nonce in response');
    });

    it('openssl rejects a response with another nonce', async () => {
      const verdict = await respondTo('nonce-other', new Uint8Array(16).fill(7));
      expect(verdict.output).toContain('Nonce Verify error');
      expect(verdict.code).not.toBe(0);
    });
  });

  describe('pre-produced (cacheable) responses', () => {
    it('a response built from certIdFor, before any request, answers an openssl request without nonce', async () => {
      const certId = certIdFor({ ...issuerHashes(rootDer, 'SHA-1'), serialNumber: GOOD_SERIAL, hashAlgorithm: 'SHA-1' });
      const cached = await buildOcspResponse({ responder: responders.get('ec-p256')!, producedAt, responses: [answer(certId)] });
      await writeResponse('cached-resp', cached);

      const request = parseOcspRequest(await opensslRequest('cached-req', ['-cert', 'good.pem', '-no_nonce']));
      const { der: requestedDer, ...requested } = request.requests[0]!;
      const { der: cachedDer, ...cachedKey } = certId;
      expect(requested).toEqual(cachedKey);
      expect(requestedDer).toEqual(cachedDer); // openssl also writes NULL hash parameters

      const verdict = await ocsp(['-reqin', 'cached-req.der', '-respin', 'cached-resp.der', '-CAfile', 'root.pem']);
      expect(verdict.output).toContain('Response verify OK');
      expect(verdict.code).toBe(0);
    });

    it('certIdFor refuses a serial that is not in serialHex form', () => {
      for (const serial of ['81020304', '0001', '0ABC', '', 'xyz']) {
        expect(() => certIdFor({ ...issuerHashes(rootDer, 'SHA-1'), serialNumber: serial, hashAlgorithm: 'SHA-1' }), serial).toThrow(RangeError);
      }
    });
  });

  describe('GeneralizedTime has whole seconds (NSS rejects fractions)', () => {
    /** Every GeneralizedTime as written, descending into the ResponseBytes OCTET STRING. */
    function generalizedTimes(block: asn1js.BaseBlock, found: string[] = []): string[] {
      if (block instanceof asn1js.GeneralizedTime) {
        found.push(Buffer.from(block.valueBlock.valueHexView).toString('latin1'));
      } else if (block instanceof asn1js.OctetString && !block.idBlock.isConstructed) {
        const inner = asn1js.fromBER(block.valueBlock.valueHexView);
        if (inner.offset === block.valueBlock.valueHexView.byteLength) generalizedTimes(inner.result, found);
      } else if (block instanceof asn1js.Constructed) {
        for (const child of block.valueBlock.value) generalizedTimes(child, found);
      }
      return found;
    }

    it('producedAt, thisUpdate, nextUpdate and revocationTime are truncated, not rounded', async () => {
      const certId = certIdFor({ ...issuerHashes(rootDer, 'SHA-1'), serialNumber: REVOKED_SERIAL, hashAlgorithm: 'SHA-1' });
      const response = await buildOcspResponse({
        responder: responders.get('ec-p256')!,
        producedAt: new Date('2026-03-01T10:20:30.999Z'),
        responses: [
          {
            certId,
            status: { kind: 'revoked', revokedAt: new Date('2026-02-01T00:00:00.500Z') },
            thisUpdate: new Date('2026-03-01T10:00:00.001Z'),
            nextUpdate: new Date('2026-03-08T10:00:00.999Z'),
          },
        ],
      });
      const parsed = asn1js.fromBER(response);
      expect(parsed.offset).toBe(response.byteLength);
      expect(generalizedTimes(parsed.result).sort()).toEqual(
        ['20260301102030Z', '20260301100000Z', '20260308100000Z', '20260201000000Z'].sort(),
      );

      await writeResponse('times-resp', response);
      const text = await run(['ocsp', '-respin', 'times-resp.der', '-resp_text', '-noverify']);
      expect(text).toContain('Produced At: Mar  1 10:20:30 2026 GMT');
      expect(text).not.toMatch(/\d\d:\d\d:\d\d\.\d/);
      expect(text).not.toContain('Reason:'); // revoked without a published reason
    });
  });

  describe('error responses', () => {
    it.each([
      { status: 'malformedRequest', shown: 'malformedrequest (1)' },
      { status: 'internalError', shown: 'internalerror (2)' },
      { status: 'tryLater', shown: 'trylater (3)' },
      { status: 'sigRequired', shown: 'sigrequired (5)' },
      { status: 'unauthorized', shown: 'unauthorized (6)' },
    ] as Array<{ status: OcspErrorStatus; shown: string }>)('openssl reads $status', async ({ status, shown }) => {
      await writeResponse(`error-${status}`, buildOcspErrorResponse(status));
      const verdict = await ocsp(['-respin', `error-${status}.der`, '-resp_text']);
      expect(verdict.output).toContain(`Responder Error: ${shown}`);
    });
  });

  describe('caller mistakes are refused', () => {
    const certId = () => certIdFor({ ...issuerHashes(rootDer, 'SHA-1'), serialNumber: GOOD_SERIAL, hashAlgorithm: 'SHA-1' });

    it.each([
      { name: 'no single response', responses: () => [] },
      { name: 'CRLReason 7 (unused)', responses: () => [{ ...answer(certId()), status: { kind: 'revoked', revokedAt: REVOKED_AT, reason: 7 } }] },
      { name: 'CRLReason 11', responses: () => [{ ...answer(certId()), status: { kind: 'revoked', revokedAt: REVOKED_AT, reason: 11 } }] },
      { name: 'nextUpdate before thisUpdate', responses: () => [{ ...answer(certId()), nextUpdate: new Date(thisUpdate.getTime() - 1000) }] },
      { name: 'an invalid date', responses: () => [{ ...answer(certId()), thisUpdate: new Date(Number.NaN) }] },
    ] as Array<{ name: string; responses: () => OcspSingleResponse[] }>)('$name', async ({ responses }) => {
      await expect(buildOcspResponse({ responder: responders.get('ec-p256')!, producedAt, responses: responses() })).rejects.toThrow(RangeError);
    });

    it('a key that is not the responder certificate’s', async () => {
      const otherKey = await crypto.subtle.importKey('pkcs8', leafKeyPkcs8, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
      await expect(
        prepareOcspResponder({ certificateDer: await der('ec-p256.pem'), privateKey: otherKey, crypto }),
      ).rejects.toMatchObject({ code: 'OcspResponderKeyMismatch' });
    });

    it('an RSA key asked to sign with a hash it is not bound to', async () => {
      const rsaKey = await crypto.subtle.importKey('pkcs8', await der('rsa-2048.key'), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
      await expect(
        prepareOcspResponder({ certificateDer: await der('rsa-2048.pem'), privateKey: rsaKey, crypto, signatureHash: 'SHA-384' }),
      ).rejects.toThrow(RangeError);
    });
  });
});
