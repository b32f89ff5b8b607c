/**
 * The outside judges of what src/pades emits: poppler's pdfsig (with NSS), qpdf and openssl,
 * plus a reader that cuts each signature's CMS and signed bytes out of a file the way a
 * verifier does: by /ByteRange, and the DER by its own length (asn1js, not our reader).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import * as asn1js from 'asn1js';
import { openssl } from '../support/openssl.js';

const execFileAsync = promisify(execFile);

export interface ToolOutput {
  code: number;
  output: string;
}

async function tool(binary: string, args: string[]): Promise<ToolOutput> {
  try {
    const { stdout, stderr } = await execFileAsync(binary, args, { maxBuffer: 32 * 1024 * 1024 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

/** One signature as pdfsig reports it. */
export interface PdfsigSignature {
  text: string;
  valid: boolean;
  trusted: boolean;
  totalDocumentSigned: boolean;
  signatureType: string | null;
  commonName: string | null;
}

/**
 * `pdfsig -nssdir <db> file`, the NSS database's root as the only trust anchor. Not
 * `-no-ocsp`: poppler 22.12 then answers "Unknown issue with Certificate or corrupted data"
 * for every chain, its own `-add-signature` signatures included (tried by hand). No network
 * is used regardless: the test certificates name no OCSP, CRL or AIA URL, and `-aia` is off.
 */
export async function pdfsig(file: string, nssDb: string): Promise<{ output: string; signatures: PdfsigSignature[] }> {
  const { output } = await tool('pdfsig', ['-nssdir', nssDb, file]);
  const signatures = output
    .split(/^Signature #\d+:$/m)
    .slice(1)
    .map((text) => ({
      text,
      valid: text.includes('Signature is Valid.'),
      trusted: text.includes('Certificate is Trusted.'),
      totalDocumentSigned: /- Total document signed/.test(text),
      signatureType: /Signature Type: (.*)/.exec(text)?.[1]?.trim() ?? null,
      commonName: /Signer Certificate Common Name: (.*)/.exec(text)?.[1]?.trim() ?? null,
    }));
  return { output, signatures };
}

export async function qpdfCheck(file: string): Promise<ToolOutput> {
  return tool('qpdf', ['--check', file]);
}

export async function qpdfJson(file: string): Promise<unknown> {
  const { output, code } = await tool('qpdf', ['--json=2', '--json-stream-data=inline', '--decode-level=none', file]);
  if (code !== 0 && code !== 3) throw new Error(`qpdf --json failed: ${output}`);
  return JSON.parse(output);
}

export async function pdftoppm(file: string, outputStem: string, page: number, format: 'png' | 'ppm'): Promise<ToolOutput> {
  return tool('pdftoppm', ['-r', '100', ...(format === 'png' ? ['-png'] : []), '-f', String(page), '-l', String(page), '-singlefile', file, outputStem]);
}

/** A signature as a verifier finds it in the bytes. */
export interface ExtractedSignature {
  byteRange: [number, number, number, number];
  /** The DER, cut by its own length. */
  der: Uint8Array;
  /** The /Contents hex digits after the DER: all zeros. */
  padding: string;
  /** The covered bytes: [0, a) and [b, b + c). */
  signedBytes: Uint8Array;
  subFilter: string | null;
}

/** Every /ByteRange in the file, in file order. */
export function extractSignatures(pdf: Uint8Array): ExtractedSignature[] {
  const text = Buffer.from(pdf).toString('latin1');
  const found: ExtractedSignature[] = [];
  for (const match of text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)) {
    const byteRange = match.slice(1, 5).map(Number) as [number, number, number, number];
    const [, a, b, c] = byteRange;
    const hex = text.slice(a + 1, b - 1);
    const all = Buffer.from(hex, 'hex');
    const decoded = asn1js.fromBER(new Uint8Array(all));
    if (decoded.offset === -1) throw new Error(`the /Contents at ${a} is not DER: ${decoded.result.error}`);
    const dictStart = text.lastIndexOf('obj', match.index);
    const subFilter = /\/SubFilter\s*\/([A-Za-z0-9.]+)/.exec(text.slice(dictStart, match.index))?.[1] ?? null;
    found.push({
      byteRange,
      der: new Uint8Array(all.subarray(0, decoded.offset)),
      padding: hex.slice(decoded.offset * 2),
      signedBytes: Buffer.concat([pdf.subarray(0, a), pdf.subarray(b, b + c)]),
      subFilter,
    });
  }
  return found;
}

/**
 * `openssl cms -verify -binary -inform DER -content <signed bytes> -CAfile root.pem -purpose any`
 * for a signature, and `openssl cms -cmsout -print` of it.
 */
export async function opensslCms(dir: string, name: string, signature: ExtractedSignature, caFile: string) {
  const cmsFile = path.join(dir, `${name}.p7s`);
  const contentFile = path.join(dir, `${name}.bin`);
  await writeFile(cmsFile, signature.der);
  await writeFile(contentFile, signature.signedBytes);
  const verify = await openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', cmsFile, '-content', contentFile, '-CAfile', caFile, '-purpose', 'any', '-out', '/dev/null']);
  const print = await openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', cmsFile]);
  return { verify: verify.stdout + verify.stderr, verifyCode: verify.code, print: print.stdout };
}

/**
 * An NSS database (for pdfsig) trusting `rootPem`, with `knownPems` (the seal CA and seal
 * certificates) added as untrusted entries: poppler 22.12 frees the certificates a signature's
 * CMS carries while NSS still points at them, so a second signature by the same certificate
 * fails with "Unknown issue" (SEC_ERROR_REUSED_ISSUER_AND_SERIAL, seen under valgrind) unless
 * NSS already knows them. Returns the `sql:` path to pass as `-nssdir`.
 */
export async function nssDatabase(dir: string, rootPem: string, knownPems: readonly string[]): Promise<string> {
  const folder = path.join(dir, 'nss');
  await mkdir(folder, { recursive: true });
  const nss = `sql:${folder}`;
  execFileSync('certutil', ['-N', '-d', nss, '--empty-password']);
  await writeFile(path.join(dir, 'root.pem'), rootPem);
  execFileSync('certutil', ['-A', '-d', nss, '-n', 'root', '-t', 'CT,C,C', '-i', path.join(dir, 'root.pem')]);
  for (const [i, pem] of knownPems.entries()) {
    await writeFile(path.join(dir, `known-${i}.pem`), pem);
    execFileSync('certutil', ['-A', '-d', nss, '-n', `known-${i}`, '-t', ',,', '-i', path.join(dir, `known-${i}.pem`)]);
  }
  return nss;
}
