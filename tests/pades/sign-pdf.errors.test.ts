/**
 * Bad input to signPdf: every refusal has a stable code, and nothing is returned. The input
 * buffer is never changed, whatever happens.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, UnavailableError } from '../../src/errors.js';
import { inspectPdf, signPdf, timeStampTokenFromResponse, type SignPdfParams } from '../../src/pades/sign-pdf.js';
import { buildTimeStampRejection } from '../../src/pki/timestamp.js';
import { missingTool } from '../support/outside-tools.js';
import { makePadesFixtures, type PadesFixtures } from './fixtures.js';

const execFileAsync = promisify(execFile);

/** Rewrites the first /ByteRange of `pdf` through `change`, keeping the file's length. */
function withByteRange(pdf: Uint8Array, change: (range: number[]) => number[]): Uint8Array {
  const text = Buffer.from(pdf).toString('latin1');
  const match = /\/ByteRange \[[^\]]*\]\s*/.exec(text)!;
  const range = match[0].match(/\d+/g)!.map(Number);
  const replacement = `/ByteRange [${change(range).join(' ')}]`.padEnd(match[0].length, ' ');
  return Buffer.from(text.slice(0, match.index) + replacement + text.slice(match.index + match[0].length), 'latin1');
}

describe.skipIf(missingTool('openssl') || missingTool('qpdf'))('signPdf refuses bad input with a stable code', () => {
  let f: PadesFixtures;
  let sealed: Uint8Array;
  let certifiedNoChanges: Uint8Array;
  let encrypted: Uint8Array;

  beforeAll(async () => {
    f = await makePadesFixtures({ withNss: false });
    sealed = await signPdf(base({ pdf: f.pdfs.classic }));
    certifiedNoChanges = await signPdf(base({ pdf: f.pdfs.classic, certify: { permissions: 1 } }));
    const plain = path.join(f.dir, 'plain.pdf');
    await writeFile(plain, f.pdfs.classic);
    await execFileAsync('qpdf', ['--encrypt', '', 'owner-secret', '256', '--', plain, path.join(f.dir, 'encrypted.pdf')]);
    encrypted = await readFile(path.join(f.dir, 'encrypted.pdf'));
  });
  afterAll(async () => {
    await f?.cleanup();
  });

  function base(overrides: Partial<SignPdfParams> = {}): SignPdfParams {
    return { pdf: f.pdfs.objectStreams, signer: f.signer(f.seal), level: 'B-B', signingTime: f.now, ...overrides };
  }
  const placed = (placement: Partial<NonNullable<SignPdfParams['placement']>>) =>
    base({ placement: { page: 1, x: 50, y: 50, width: 100, height: 100, ...placement }, appearance: f.pdfs.appearance });

  const cases: [string, string, () => SignPdfParams | Promise<SignPdfParams>, RegExp?][] = [
    ['bytes that are not a PDF', 'InvalidPdf', () => base({ pdf: new TextEncoder().encode('Hello, this is not a PDF at all.') })],
    ['an empty file', 'InvalidPdf', () => base({ pdf: new Uint8Array(0) })],
    ['a PDF cut off in the middle', 'InvalidPdf', () => base({ pdf: f.pdfs.classic.subarray(0, Math.floor(f.pdfs.classic.length / 2)) }), /truncated/],
    ['a sealed PDF cut off in its signature', 'InvalidPdf', () => base({ pdf: sealed.subarray(0, sealed.length - 600) })],
    ['a startxref that points past the end', 'InvalidPdf', () => base({ pdf: Buffer.from(Buffer.from(f.pdfs.classic).toString('latin1').replace(/startxref\n\d+/, 'startxref\n99999999'), 'latin1') })],
    ['a PDF header followed by garbage', 'InvalidPdf', () => base({ pdf: Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(500, 0x41), Buffer.from('\nstartxref\n10\n%%EOF\n')]) })],
    ['an encrypted PDF (qpdf --encrypt, AES-256)', 'EncryptedPdf', () => base({ pdf: encrypted })],
    ['page 0', 'PageOutOfRange', () => placed({ page: 0 })],
    ['page 2 of a one-page document', 'PageOutOfRange', () => placed({ page: 2 })],
    ['page 1.5', 'PageOutOfRange', () => placed({ page: 1.5 })],
    ['a rectangle past the right edge', 'PlacementOutsidePage', () => placed({ x: 550, width: 100 })],
    ['a rectangle below the page', 'PlacementOutsidePage', () => placed({ y: -10 })],
    ['a rectangle of zero width', 'PlacementOutsidePage', () => placed({ width: 0 })],
    ['a rectangle at NaN', 'PlacementOutsidePage', () => placed({ x: Number.NaN })],
    ['a sealed PDF with a covered byte changed', 'BrokenExistingSignature', () => base({ pdf: Buffer.from(Buffer.from(sealed).toString('latin1').replace('595.28', '595.27'), 'latin1') }), /digest/],
    ['a /ByteRange that stops short of its %%EOF', 'BrokenExistingSignature', () => base({ pdf: withByteRange(sealed, ([a, b, c, d]) => [a!, b!, c!, d! - 3]) }), /%%EOF/],
    ['a /ByteRange whose gap is not the /Contents string', 'BrokenExistingSignature', () => base({ pdf: withByteRange(sealed, ([a, b, c, d]) => [a!, b! + 1, c!, d!]) }), /gap/],
    ['certifying a document that is already sealed', 'CertificationNotFirst', () => base({ pdf: sealed, certify: { permissions: 2 } })],
    ['sealing a document certified with DocMDP P=1', 'DocMdpForbidsSigning', () => base({ pdf: certifiedNoChanges })],
    ['a field name the document already has', 'FieldNameTaken', () => base({ pdf: sealed, fieldName: 'Seal1' })],
    ['a field name with a period', 'InvalidFieldName', () => base({ fieldName: 'a.b' })],
    ['an appearance that is not a PDF', 'InvalidAppearance', () => placed({})],
    ['B-T without services', 'InvalidSignParams', () => base({ level: 'B-T' })],
    ['a level that does not exist', 'InvalidSignParams', () => base({ level: 'B-X' as never })],
    ['an appearance without a placement', 'InvalidSignParams', () => base({ appearance: f.pdfs.appearance })],
    ['an invalid signing time', 'InvalidSignParams', () => base({ signingTime: new Date('not a date') })],
    ['the key of another certificate', 'SignerKeyMismatch', () => base({ signer: { ...f.signer(f.seal), privateKey: f.seal2.privateKey } })],
    ['an RSA key for an EC certificate', 'UnsupportedSignerKey', () => base({ signer: { ...f.signer(f.seal), privateKey: f.sealRsa.privateKey } })],
    ['an Ed25519 key', 'UnsupportedSignerKey', async () => base({ signer: { ...f.signer(f.seal), privateKey: ((await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair).privateKey } })],
    ['a signer certificate that is not DER', 'InvalidSignerCertificate', () => base({ signer: { ...f.signer(f.seal), certificate: new TextEncoder().encode('-----BEGIN CERTIFICATE-----') } })],
  ];

  it.each(cases)('%s: %s', async (_case, code, make, message) => {
    let params = await make();
    if (code === 'InvalidAppearance') params = { ...params, appearance: new TextEncoder().encode('not a PDF') };
    const before = Buffer.from(params.pdf);
    const error = await signPdf(params).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).code).toBe(code);
    if (message) expect((error as Error).message).toMatch(message);
    expect(Buffer.compare(Buffer.from(params.pdf), before)).toBe(0);
  });

  it.each<[string, () => Uint8Array, string]>([
    ['not a PDF', () => new TextEncoder().encode('nope'), 'InvalidPdf'],
    ['encrypted', () => encrypted, 'EncryptedPdf'],
  ])('inspectPdf refuses a file that is %s', async (_case, pdf, code) => {
    await expect(inspectPdf(pdf())).rejects.toMatchObject({ code });
  });

  it('refuses a time-stamp token over anything but the signature value, and returns nothing', async () => {
    const services = { ...f.services, timestamp: async () => f.services.timestamp(new Uint8Array(32).fill(7)) };
    await expect(signPdf(base({ level: 'B-T', services }))).rejects.toSatisfy(
      (e: unknown) => e instanceof UnavailableError && e.code === 'TimeStampTokenInvalid',
    );
  });

  it('turns a refused time-stamp request into TimeStampRefused', () => {
    expect(() => timeStampTokenFromResponse(buildTimeStampRejection('systemFailure'))).toThrow(
      expect.objectContaining({ code: 'TimeStampRefused' }) as Error,
    );
  });

  it('fails whole when the revocation service fails after signing (no B-T left behind)', async () => {
    const services = { ...f.services, revocationData: async () => Promise.reject(new Error('OCSP responder down')) };
    await expect(signPdf(base({ level: 'B-LT', services }))).rejects.toThrow('OCSP responder down');
  });
});
