/**
 * Shared helpers for the validation tests: the PAdES test PKI (tests/pades/fixtures.ts), a
 * scriptable revocation source, time-stamp services with a chosen genTime, a writer of
 * hand-made incremental updates for the attack corpus, and a deliberately naive checker that
 * looks only at the signed revision (what the vulnerable viewers of Mladenov et al. and
 * Mainka et al. did).
 *
 * Files are read here with pdf-lib and pkijs, not with src/validation, so the attacks and
 * the naive check do not share our validator's parsing.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PDFArray, PDFDict, PDFDocument, PDFName, PDFNumber, PDFRef, type PDFObject } from '@cantoo/pdf-lib';
import * as pkijs from 'pkijs';
import { timeStampTokenFromResponse, type PadesServices } from '../../src/pades/sign-pdf.js';
import { buildTimeStampResponse } from '../../src/pki/timestamp.js';
import type { ParsedCertificate, RevocationAnswer, RevocationSource, ValidationPolicy } from '../../src/validation/validate-pdf.js';
import { TSA_POLICY, type Issued, type PadesFixtures } from '../pades/fixtures.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** A revocation source whose answers, delay and failures a test sets. */
export class ScriptedRevocationSource implements RevocationSource {
  readonly revoked = new Map<string, { revokedAt: Date; reason?: string }>();
  readonly unknown = new Set<string>();
  delayMs = 0;
  fail: Error | null = null;
  readonly asked: { subject: string; issuer: string; at: Date }[] = [];
  aborted = 0;

  async status(certificate: ParsedCertificate, issuer: ParsedCertificate, at: Date, signal?: AbortSignal): Promise<RevocationAnswer> {
    this.asked.push({ subject: certificate.subject, issuer: issuer.subject, at });
    if (this.delayMs > 0) {
      try {
        await sleep(this.delayMs, undefined, { signal });
      } catch {
        this.aborted++;
        throw new Error('aborted');
      }
    }
    if (this.fail) throw this.fail;
    const revoked = this.revoked.get(certificate.serialNumber);
    if (revoked) return { status: 'revoked', ...revoked };
    if (this.unknown.has(certificate.serialNumber)) return { status: 'unknown' };
    return { status: 'good', producedAt: at };
  }
}

/** The policy most tests use: the fixture root as the only anchor, a scripted source, one minute after signing. */
export function policyFor(f: PadesFixtures, overrides: Partial<ValidationPolicy> = {}): ValidationPolicy {
  return {
    trustAnchors: [{ certificateDer: f.root.der, name: 'Test region' }],
    revocation: new ScriptedRevocationSource(),
    now: new Date(f.now.getTime() + 60_000),
    revocationTimeoutMs: 2000,
    ...overrides,
  };
}

/** The fixture services, but with time-stamps at `genTime()` (and optionally another TSA). */
export function servicesAt(f: PadesFixtures, genTime: () => Date, tsa: Issued = f.tsa): PadesServices {
  return {
    async timestamp(digest) {
      const response = await buildTimeStampResponse({
        request: { hashAlgorithm: 'SHA-256', hashedMessage: digest, reqPolicy: null, nonce: null, certReq: true },
        policy: TSA_POLICY,
        serialNumber: randomBytes(8),
        genTime: genTime(),
        signer: { certificate: tsa.der, privateKey: tsa.privateKey, crypto },
        extraCerts: [f.root.der],
      });
      return timeStampTokenFromResponse(response);
    },
    revocationData: (certificates) => f.services.revocationData(certificates),
  };
}

// ---------------------------------------------------------------------------------------
// Hand-made incremental updates
// ---------------------------------------------------------------------------------------

export interface RawObject {
  num: number;
  gen?: number;
  /** What goes between `N G obj` and `endobj`. */
  body: string | Uint8Array;
}

export interface AppendOptions {
  objects?: RawObject[];
  /** Object numbers to free ('f' entries). */
  free?: number[];
  /** Entries that point at existing bytes (no new body), e.g. a re-pointed object. */
  pointers?: { num: number; offset: number; gen?: number }[];
  /** Replaces the trailer's /Root. */
  root?: number;
}

/**
 * Appends a revision with a classic cross-reference table (ISO 32000-2 §7.5.6), whatever the
 * previous section's kind: a forger's tool need not be tidy, and readers accept it.
 */
export async function appendRevision(pdf: Uint8Array, options: AppendOptions): Promise<Uint8Array> {
  const info = await trailerInfo(pdf);
  const parts: Buffer[] = [Buffer.from('\n', 'latin1')];
  let offset = pdf.length + 1;
  const entries = new Map<number, string>();
  for (const object of options.objects ?? []) {
    const head = Buffer.from(`${object.num} ${object.gen ?? 0} obj\n`, 'latin1');
    const body = typeof object.body === 'string' ? Buffer.from(object.body, 'latin1') : Buffer.from(object.body);
    const tail = Buffer.from('\nendobj\n', 'latin1');
    entries.set(object.num, `${String(offset).padStart(10, '0')} ${String(object.gen ?? 0).padStart(5, '0')} n\r\n`);
    parts.push(head, body, tail);
    offset += head.length + body.length + tail.length;
  }
  for (const pointer of options.pointers ?? []) {
    entries.set(pointer.num, `${String(pointer.offset).padStart(10, '0')} ${String(pointer.gen ?? 0).padStart(5, '0')} n\r\n`);
  }
  for (const num of options.free ?? []) entries.set(num, `0000000000 00001 f\r\n`);
  const numbers = [...entries.keys()].sort((a, b) => a - b);
  let xref = 'xref\n';
  if (numbers.length === 0) xref += '0 1\n0000000000 65535 f\r\n';
  for (const group of groups(numbers)) {
    xref += `${group[0]} ${group.length}\n${group.map((n) => entries.get(n)).join('')}`;
  }
  const size = Math.max(info.size, ...numbers.map((n) => n + 1));
  const root = options.root ?? info.root;
  xref += `trailer\n<< /Size ${size} /Root ${root} 0 R /Prev ${info.startXref} >>\nstartxref\n${offset}\n%%EOF\n`;
  parts.push(Buffer.from(xref, 'latin1'));
  return Buffer.concat([Buffer.from(pdf), ...parts]);
}

/**
 * Appends a revision whose cross-reference section is a stream (ISO 32000-2 §7.5.8) numbered
 * `streamNumber`, uncompressed, with the new objects and itself as type-1 entries.
 */
export async function appendXrefStreamRevision(pdf: Uint8Array, objects: RawObject[], streamNumber: number): Promise<Uint8Array> {
  const info = await trailerInfo(pdf);
  const parts: Buffer[] = [Buffer.from('\n', 'latin1')];
  let offset = pdf.length + 1;
  const rows = new Map<number, number>();
  for (const object of objects) {
    const head = Buffer.from(`${object.num} 0 obj\n`, 'latin1');
    const body = typeof object.body === 'string' ? Buffer.from(object.body, 'latin1') : Buffer.from(object.body);
    rows.set(object.num, offset);
    parts.push(head, body, Buffer.from('\nendobj\n', 'latin1'));
    offset += head.length + body.length + 8;
  }
  rows.set(streamNumber, offset);
  const numbers = [...rows.keys()].sort((a, b) => a - b);
  const data = Buffer.alloc(numbers.length * 7);
  numbers.forEach((n, i) => {
    data[i * 7] = 1;
    data.writeUInt32BE(rows.get(n)!, i * 7 + 1);
  });
  const size = Math.max(info.size, ...numbers.map((n) => n + 1));
  const index = numbers.map((n) => `${n} 1`).join(' ');
  parts.push(
    Buffer.from(`${streamNumber} 0 obj\n<< /Type /XRef /Size ${size} /Root ${info.root} 0 R /Prev ${info.startXref} /Index [${index}] /W [1 4 2] /Length ${data.length} >>\nstream\n`, 'latin1'),
    data,
    Buffer.from(`\nendstream\nendobj\nstartxref\n${offset}\n%%EOF\n`, 'latin1'),
  );
  return Buffer.concat([Buffer.from(pdf), ...parts]);
}

function groups(numbers: number[]): number[][] {
  const out: number[][] = [];
  for (const n of numbers) {
    const last = out[out.length - 1];
    if (last && last[last.length - 1]! + 1 === n) last.push(n);
    else out.push([n]);
  }
  return out;
}

async function trailerInfo(pdf: Uint8Array): Promise<{ root: number; size: number; startXref: number }> {
  const doc = await PDFDocument.load(pdf, { ignoreEncryption: true, updateMetadata: false });
  const tail = Buffer.from(pdf.subarray(Math.max(0, pdf.length - 1024))).toString('latin1');
  const match = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail);
  if (!match) throw new Error('no startxref');
  return { root: (doc.context.trailerInfo.Root as PDFRef).objectNumber, size: doc.context.largestObjectNumber + 1, startXref: Number(match[1]) };
}

/** The newest state of a PDF through pdf-lib, for finding object numbers to attack. */
export async function inspect(pdf: Uint8Array) {
  const doc = await PDFDocument.load(pdf, { ignoreEncryption: true, updateMetadata: false });
  const context = doc.context;
  const page = doc.getPage(0);
  const lookup = (object: PDFObject | undefined) => (object instanceof PDFRef ? context.lookup(object) : object);
  const resources = lookup(page.node.get(PDFName.of('Resources'))) as PDFDict;
  const fonts = lookup(resources.get(PDFName.of('Font'))) as PDFDict;
  const fontRefs = fonts.entries().map(([, ref]) => ref as PDFRef);
  const contents = page.node.get(PDFName.of('Contents'));
  return {
    doc,
    context,
    pageRef: page.ref,
    page: page.node,
    contentRefs: contents instanceof PDFArray ? contents.asArray().map((ref) => ref as PDFRef) : [contents as PDFRef],
    fontRefs,
    catalogRef: context.trailerInfo.Root as PDFRef,
    largest: context.largestObjectNumber,
    /** The source of an object as pdf-lib would write it. */
    source(object: PDFObject): string {
      return object.toString();
    },
  };
}

/** A dictionary's source with some entries replaced (values as PDF source). */
export function withEntries(dict: PDFDict, entries: Record<string, string | null>): string {
  const out: string[] = [];
  for (const [key, value] of dict.entries()) {
    const name = key.decodeText();
    if (name in entries) continue;
    out.push(`${key.toString()} ${value.toString()}`);
  }
  for (const [name, value] of Object.entries(entries)) if (value !== null) out.push(`/${name} ${value}`);
  return `<< ${out.join(' ')} >>`;
}

export function stream(content: string, dict = ''): string {
  return `<< ${dict} /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`;
}

export function numberOf(object: PDFObject | undefined): number {
  if (object instanceof PDFNumber) return object.asNumber();
  throw new Error('not a number');
}

// ---------------------------------------------------------------------------------------
// The naive check
// ---------------------------------------------------------------------------------------

/**
 * What a viewer that checks only the signed revision does (the flaw behind ISA, SWA and
 * shadow attacks): take each signature dictionary the newest revision's form shows, and
 * accept it when /ByteRange is `[0 a b c]` with a `<…>` gap that ends at a %%EOF, and the
 * CMS messageDigest equals SHA-256 of the two ranges. Nothing after the signed revision,
 * nothing about the gap's contents, nothing about the certificate.
 */
export async function naiveCheck(pdf: Uint8Array): Promise<{ passes: boolean; signatures: number; reasons: string[] }> {
  const reasons: string[] = [];
  let doc: PDFDocument;
  try {
    doc = await PDFDocument.load(pdf, { ignoreEncryption: true, updateMetadata: false, throwOnInvalidObject: false });
  } catch (error) {
    return { passes: false, signatures: 0, reasons: [`unreadable: ${String(error)}`] };
  }
  const context = doc.context;
  const lookup = (object: PDFObject | undefined) => (object instanceof PDFRef ? context.lookup(object) : object);
  const acroForm = lookup(doc.catalog.get(PDFName.of('AcroForm'))) as PDFDict | undefined;
  const fields = acroForm ? (lookup(acroForm.get(PDFName.of('Fields'))) as PDFArray | undefined) : undefined;
  const dicts: PDFDict[] = [];
  for (const field of fields?.asArray() ?? []) {
    const dict = lookup(field) as PDFDict | undefined;
    const value = dict ? (lookup(dict.get(PDFName.of('V'))) as PDFObject | undefined) : undefined;
    if (value instanceof PDFDict) dicts.push(value);
  }
  if (dicts.length === 0) return { passes: false, signatures: 0, reasons: ['no signature'] };
  for (const dict of dicts) {
    const range = lookup(dict.get(PDFName.of('ByteRange')));
    const values = range instanceof PDFArray ? range.asArray().map((v) => (v instanceof PDFNumber ? v.asNumber() : NaN)) : [];
    if (values.length !== 4 || values.some((v) => !Number.isInteger(v))) {
      reasons.push('no /ByteRange');
      continue;
    }
    const [start, a, b, c] = values as [number, number, number, number];
    const text = Buffer.from(pdf).toString('latin1');
    if (start !== 0 || text[a] !== '<' || text[b - 1] !== '>' || !text.slice(0, b + c).trimEnd().endsWith('%%EOF')) {
      reasons.push('bad /ByteRange');
      continue;
    }
    const digest = await crypto.subtle.digest('SHA-256', Buffer.concat([pdf.subarray(0, a), pdf.subarray(b, b + c)]));
    try {
      const hex = text.slice(a + 1, b - 1).replace(/\s+/g, '');
      const der = Buffer.from(hex, 'hex');
      const info = pkijs.ContentInfo.fromBER(new Uint8Array(der).buffer.slice(0, derLength(der)));
      const signedData = new pkijs.SignedData({ schema: info.content });
      const attribute = signedData.signerInfos[0]!.signedAttrs!.attributes.find((attr) => attr.type === '1.2.840.113549.1.9.4');
      const claimed = Buffer.from((attribute!.values[0] as { valueBlock: { valueHexView: Uint8Array } }).valueBlock.valueHexView);
      if (Buffer.compare(claimed, Buffer.from(digest)) !== 0) reasons.push('digest mismatch');
    } catch (error) {
      reasons.push(`CMS unreadable: ${String(error)}`);
    }
  }
  return { passes: reasons.length === 0, signatures: dicts.length, reasons };
}

/** The length of the first DER TLV (the /Contents hole is zero-padded). */
function derLength(der: Uint8Array): number {
  const first = der[1]!;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + der[2 + i]!;
  return 2 + count + length;
}
