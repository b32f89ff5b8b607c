import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { inspect, promisify } from 'node:util';
import * as x509 from '@peculiar/x509';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pkijsEngine } from '../../src/pki/pkijs-engine.js';
import {
  type BackendKeyPair,
  type KeyAlgorithmName,
  type KeyBackend,
  signingParams,
} from '../../src/signing/key-backend.js';
import { createPkcs11Backend, type Pkcs11BackendOptions } from '../../src/signing/pkcs11-backend.js';
import { openssl } from '../support/openssl.js';
import { initSoftHsmToken, missingSoftHsm, type SoftHsmToken } from '../support/softhsm.js';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const DATA = new TextEncoder().encode('电子证照 signed in the token');

/** Every algorithm the backend generates in SoftHSM2; RSA-4096 works the same way but takes seconds. */
const ALGORITHMS: KeyAlgorithmName[] = ['ECDSA-P256', 'ECDSA-P384', 'RSA-2048', 'RSA-3072'];

describe.skipIf(missingSoftHsm())('PKCS#11 key backend on SoftHSM2', () => {
  let dir: string;
  let token: SoftHsmToken;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'elt-softhsm-'));
    token = await initSoftHsmToken(dir);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function options(overrides: Partial<Pkcs11BackendOptions> = {}): Pkcs11BackendOptions {
    return { name: 'hsm', library: token.library, slot: token.slot, pin: token.pin, tokenLabel: token.tokenLabel, ...overrides };
  }

  /** Opens a backend for `use` and always closes it, so a failing test leaves no session behind. */
  async function withBackend<T>(use: (backend: KeyBackend) => Promise<T>): Promise<T> {
    const backend = await createPkcs11Backend(options());
    try {
      return await use(backend);
    } finally {
      await backend.close();
    }
  }

  test.each(ALGORITHMS)('generates a %s key pair in the token that signs, and Node verifies the signature', async (algorithm) => {
    await withBackend(async (backend) => {
      const keys = await backend.generateKeyPair(`sign-${algorithm}`, algorithm);
      const signature = await backend.crypto.subtle.sign(signingParams(algorithm), keys.privateKey, DATA);

      expect(await backend.crypto.subtle.verify(signingParams(algorithm), keys.publicKey, signature, DATA)).toBe(true);
      expect(await backend.crypto.subtle.verify(signingParams(algorithm), keys.publicKey, signature, new Uint8Array([1, 2, 3]))).toBe(false);
      // Node's own WebCrypto (OpenSSL) is the outside judge of the signature format.
      expect(await verifiesNatively(backend, keys, algorithm, signature, DATA)).toBe(true);
    });
  });

  test.each(ALGORITHMS)('keeps the %s private key in the token: sensitive, non-extractable, persistent', async (algorithm) => {
    await withBackend(async (backend) => {
      const { privateKey } = await backend.generateKeyPair(`locked-${algorithm}`, algorithm);

      expect(privateKey.extractable).toBe(false);
      expect(privateKey.usages).toEqual(['sign']);
      expect(privateKey.algorithm).toMatchObject({ token: true, sensitive: true, label: `locked-${algorithm}` });
      await expect(backend.crypto.subtle.exportKey('pkcs8', privateKey)).rejects.toThrow(/extractable/i);
      await expect(backend.crypto.subtle.exportKey('jwk', privateKey)).rejects.toThrow(/extractable/i);
    });
  });

  test('refuses a second key pair under an alias already in use and keeps the first', async () => {
    await withBackend(async (backend) => {
      const first = await backend.generateKeyPair('taken', 'ECDSA-P256');

      const second = backend.generateKeyPair('taken', 'ECDSA-P384');
      await expect(second).rejects.toThrow(/alias "taken" already exists/);
      await expect(second).rejects.toMatchObject({ code: 'KeyAliasInUse' });

      const found = await backend.findKeyPair('taken');
      expect(hex(await spki(backend, found!.publicKey))).toBe(hex(await spki(backend, first.publicKey)));
      expect(found!.privateKey.algorithm).toMatchObject({ namedCurve: 'P-256' });
    });
  });

  test('deletes a key pair: both objects go, the alias is free again, and deleting again finds nothing', async () => {
    await withBackend(async (backend) => {
      await backend.generateKeyPair('short-lived', 'ECDSA-P256');
      expect(await backend.deleteKeyPair('short-lived')).toBe(true);
      expect(await backend.findKeyPair('short-lived')).toBeNull();
      expect(await backend.deleteKeyPair('short-lived')).toBe(false);
      const again = await backend.generateKeyPair('short-lived', 'ECDSA-P384');
      expect(again.privateKey.algorithm).toMatchObject({ namedCurve: 'P-384' });
    });
  });

  test('finds nothing under an unknown alias', async () => {
    await withBackend(async (backend) => {
      expect(await backend.findKeyPair('never-generated')).toBeNull();
    });
  });

  test.each(ALGORITHMS)('a new backend after close finds the %s key pair by alias, and it verifies signatures made before', async (algorithm) => {
    const alias = `persist-${algorithm}`;
    const before = await withBackend(async (backend) => {
      const keys = await backend.generateKeyPair(alias, algorithm);
      return { signature: await backend.crypto.subtle.sign(signingParams(algorithm), keys.privateKey, DATA), spki: hex(await spki(backend, keys.publicKey)) };
    });

    await withBackend(async (backend) => {
      const keys = await backend.findKeyPair(alias);
      expect(keys).not.toBeNull();
      expect(keys!.privateKey.extractable).toBe(false);
      expect(hex(await spki(backend, keys!.publicKey))).toBe(before.spki);
      expect(await backend.crypto.subtle.verify(signingParams(algorithm), keys!.publicKey, before.signature, DATA)).toBe(true);
      const after = await backend.crypto.subtle.sign(signingParams(algorithm), keys!.privateKey, DATA);
      expect(await verifiesNatively(backend, keys!, algorithm, after, DATA)).toBe(true);
    });
  });

  test('another process finds the key pair by alias, signs with it, and exits after close', async () => {
    const keys = await withBackend(async (backend) => {
      const generated = await backend.generateKeyPair('shared-with-child', 'ECDSA-P256');
      return { spki: await spki(backend, generated.publicKey) };
    });

    const childScript = `
      const { createPkcs11Backend } = await import(process.env.BACKEND_MODULE);
      const backend = await createPkcs11Backend(JSON.parse(process.env.BACKEND_OPTIONS));
      const keys = await backend.findKeyPair('shared-with-child');
      const signature = await backend.crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keys.privateKey, Buffer.from(process.env.DATA, 'base64'));
      await backend.close();
      console.log(Buffer.from(signature).toString('base64'));
    `;
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', childScript], {
      cwd: ROOT,
      timeout: 30_000,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...token.env,
        BACKEND_MODULE: pathToFileURL(path.join(ROOT, 'src/signing/pkcs11-backend.ts')).href,
        BACKEND_OPTIONS: JSON.stringify(options()),
        DATA: Buffer.from(DATA).toString('base64'),
      },
    });

    const publicKey = await crypto.subtle.importKey('spki', keys.spki, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    const signature = Uint8Array.from(Buffer.from(stdout.trim(), 'base64'));
    expect(await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, publicKey, signature, DATA)).toBe(true);
  });

  test.each(['ECDSA-P256', 'RSA-2048'] as const)('signs a self-signed %s certificate with @peculiar/x509 that openssl verifies', async (algorithm) => {
    await withBackend(async (backend) => {
      const keys = await backend.generateKeyPair(`x509-${algorithm}`, algorithm);
      const certificate = await selfSignedCertificate(backend, keys, algorithm);
      const work = await mkdtemp(path.join(dir, 'x509-'));
      await writeFile(path.join(work, 'self.pem'), certificate.toString('pem'));

      const text = await openssl(['x509', '-noout', '-text', '-in', 'self.pem'], { cwd: work });
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(algorithm === 'ECDSA-P256' ? 'ecdsa-with-SHA256' : 'sha256WithRSAEncryption');
      expect(text.stdout).toContain('CN = HSM test root');

      const verify = await openssl(['verify', '-CAfile', 'self.pem', 'self.pem'], { cwd: work });
      expect(verify.stdout + verify.stderr).toContain('self.pem: OK');
      expect(verify.code).toBe(0);
    });
  });

  test('signs CMS with pkijs through pkijsEngine(backend.crypto), and openssl cms verifies it', async () => {
    await withBackend(async (backend) => {
      const keys = await backend.generateKeyPair('cms-signer', 'ECDSA-P256');
      const certificate = await selfSignedCertificate(backend, keys, 'ECDSA-P256');
      const cms = await signDetachedCms(backend, keys.privateKey, certificate.rawData, DATA);
      const work = await mkdtemp(path.join(dir, 'cms-'));
      await writeFile(path.join(work, 'signer.pem'), certificate.toString('pem'));
      await writeFile(path.join(work, 'data.bin'), DATA);
      await writeFile(path.join(work, 'data.p7s'), cms);

      const verify = await openssl(
        ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'data.p7s', '-content', 'data.bin', '-CAfile', 'signer.pem', '-out', '/dev/null'],
        { cwd: work },
      );
      expect(verify.stderr).toContain('Verification successful');
      expect(verify.code).toBe(0);
    });
  });

  // Regression: one PKCS#11 session runs one operation at a time; parallel signs failed
  // with CKR_OPERATION_ACTIVE before the backend queued them.
  test('concurrent signatures, digests and look-ups on one backend all succeed', async () => {
    await withBackend(async (backend) => {
      const keys = await backend.generateKeyPair('busy', 'ECDSA-P256');
      const params = signingParams('ECDSA-P256');

      const [signatures, digests, found] = await Promise.all([
        Promise.all(Array.from({ length: 40 }, () => backend.crypto.subtle.sign(params, keys.privateKey, DATA))),
        Promise.all(Array.from({ length: 10 }, () => backend.crypto.subtle.digest('SHA-256', DATA))),
        Promise.all(Array.from({ length: 5 }, () => backend.findKeyPair('busy'))),
      ]);

      const verified = await Promise.all(signatures.map((signature) => verifiesNatively(backend, keys, 'ECDSA-P256', signature, DATA)));
      expect(verified.every(Boolean)).toBe(true);
      expect(new Set(digests.map((digest) => Buffer.from(digest).toString('hex'))).size).toBe(1);
      expect(found.every((pair) => pair !== null)).toBe(true);
    });
  });

  // Regression: C_Finalize ends every session of the library in the process, so closing
  // one backend must not finalise while another is open.
  test('closing one of two backends on the same token leaves the other working', async () => {
    const first = await createPkcs11Backend(options());
    const second = await createPkcs11Backend(options());
    try {
      const keys = await first.generateKeyPair('two-open', 'ECDSA-P256');
      const generatedSpki = hex(await spki(first, keys.publicKey));
      await first.close();

      const found = await second.findKeyPair('two-open');
      expect(hex(await spki(second, found!.publicKey))).toBe(generatedSpki);
      const signature = await second.crypto.subtle.sign(signingParams('ECDSA-P256'), found!.privateKey, DATA);
      expect(await verifiesNatively(second, found!, 'ECDSA-P256', signature, DATA)).toBe(true);
    } finally {
      await first.close();
      await second.close();
    }
  });

  test('a closed backend refuses further use with a clear error, and closing again is harmless', async () => {
    const backend = await createPkcs11Backend(options());
    const keys = await backend.generateKeyPair('closed', 'ECDSA-P256');
    await backend.close();

    await expect(backend.crypto.subtle.sign(signingParams('ECDSA-P256'), keys.privateKey, DATA)).rejects.toThrow(/backend "hsm".* is closed/);
    await expect(backend.findKeyPair('closed')).rejects.toMatchObject({ code: 'KeyBackendClosed' });
    expect(() => backend.crypto.getRandomValues(new Uint8Array(8))).toThrow(/is closed/);
    await expect(backend.close()).resolves.toBeUndefined();
  });

  test('refuses empty or space-padded aliases', async () => {
    await withBackend(async (backend) => {
      await expect(backend.generateKeyPair('', 'ECDSA-P256')).rejects.toMatchObject({ code: 'InvalidKeyAlias' });
      await expect(backend.findKeyPair(' padded ')).rejects.toMatchObject({ code: 'InvalidKeyAlias' });
    });
  });

  test.each([
    { problem: 'a wrong PIN', overrides: () => ({ pin: '13572468' }), message: /login to token "elt-test-\w+" failed: wrong PIN \(CKR_PIN_INCORRECT\)/ },
    { problem: 'a missing library', overrides: () => ({ library: '/nonexistent/libpkcs11.so' }), message: /cannot open slot index \d+ of library \/nonexistent\/libpkcs11\.so/ },
    { problem: 'a slot index with no token', overrides: () => ({ slot: 9 }), message: /cannot open slot index 9 of library .*: Slot by index 9 is not found/ },
    { problem: 'another token at the slot index', overrides: () => ({ tokenLabel: 'other-token' }), message: /holds token "elt-test-\w+", not "other-token"/ },
  ])('fails to open with $problem, naming it and never the PIN', async ({ overrides, message }) => {
    const bad = options(overrides());
    const error: unknown = await createPkcs11Backend(bad).then(
      () => expect.unreachable('the backend opened'),
      (reason: unknown) => reason,
    );

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
    expect(error).toMatchObject({ code: 'KeyBackendUnavailable' });
    // The whole error as a logger would print it, cause chain included.
    const printed = inspect(error, { depth: 10 }) + JSON.stringify(error);
    expect(printed).not.toContain(bad.pin);
    expect(printed).not.toContain(token.pin);

    // The failed attempt left nothing open: the right options still work.
    await withBackend(async (backend) => expect(await backend.findKeyPair('never-generated')).toBeNull());
  });

  test('measures the time of a P-256 signature in SoftHSM2', async ({ annotate }) => {
    await withBackend(async (backend) => {
      const keys = await backend.generateKeyPair('timed', 'ECDSA-P256');
      const params = signingParams('ECDSA-P256');
      await backend.crypto.subtle.sign(params, keys.privateKey, DATA);

      const count = 200;
      const started = performance.now();
      for (let i = 0; i < count; i += 1) await backend.crypto.subtle.sign(params, keys.privateKey, DATA);
      const perSignature = (performance.now() - started) / count;

      await annotate(`${perSignature.toFixed(2)} ms per P-256 signature (${count} sequential signatures)`);
      // Generous: ~0.6 ms here. Only a pathological slowdown (e.g. a session per call) fails.
      expect(perSignature).toBeLessThan(25);
    });
  });
});

async function spki(backend: KeyBackend, publicKey: CryptoKey): Promise<ArrayBuffer> {
  return backend.crypto.subtle.exportKey('spki', publicKey);
}

function hex(bytes: ArrayBuffer): string {
  return Buffer.from(bytes).toString('hex');
}

/** Verifies with Node's native WebCrypto, from the public key exported by the backend. */
async function verifiesNatively(
  backend: KeyBackend,
  keys: BackendKeyPair,
  algorithm: KeyAlgorithmName,
  signature: ArrayBuffer,
  data: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  const importParams = algorithm.startsWith('ECDSA')
    ? { name: 'ECDSA', namedCurve: algorithm === 'ECDSA-P256' ? 'P-256' : 'P-384' }
    : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const publicKey = await crypto.subtle.importKey('spki', await spki(backend, keys.publicKey), importParams, false, ['verify']);
  return crypto.subtle.verify(signingParams(algorithm), publicKey, signature, data);
}

/** A CA-like self-signed certificate, built with the backend's provider (RFC 5280 §4.2.1.9, §4.2.1.3). */
function selfSignedCertificate(backend: KeyBackend, keys: BackendKeyPair, algorithm: KeyAlgorithmName): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: '01',
      name: 'CN=HSM test root, O=Test',
      notBefore: new Date('2025-01-01T00:00:00Z'),
      notAfter: new Date('2035-01-01T00:00:00Z'),
      keys,
      signingAlgorithm: signingParams(algorithm),
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      ],
    },
    backend.crypto,
  );
}

/** CMS SignedData (RFC 5652 §5) over detached `data`, no signed attributes, signed by pkijs with the token's key. */
async function signDetachedCms(backend: KeyBackend, privateKey: CryptoKey, certificateDer: ArrayBuffer, data: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  // DER, not objects, crosses from @peculiar/x509 to pkijs: they use different asn1js copies.
  const certificate = pkijs.Certificate.fromBER(certificateDer);
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: pkijs.ContentInfo.DATA }),
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: certificate.issuer, serialNumber: certificate.serialNumber }),
      }),
    ],
    certificates: [certificate],
  });
  await signedData.sign(privateKey, 0, 'SHA-256', data, pkijsEngine(backend.crypto));
  const contentInfo = new pkijs.ContentInfo({ contentType: pkijs.ContentInfo.SIGNED_DATA, content: signedData.toSchema(true) });
  return new Uint8Array(contentInfo.toSchema().toBER(false));
}
