/**
 * The signature dictionary (ISO 32000-2 §12.8.1 Table 255) with its hole: /Contents is a
 * zero-filled hex string reserved before signing, and /ByteRange covers the whole file
 * except that hex string. Stages: {@link signatureDictionary} writes the dictionary with
 * placeholders; once the update is laid out, {@link locatePlaceholder} fills /ByteRange;
 * {@link digestByteRanges} hashes what is signed; {@link embedContents} writes the DER into
 * the hole.
 */
import { createHash } from 'node:crypto';
import { PDFHexString } from '@cantoo/pdf-lib';
import type { WrittenUpdate } from './incremental-update.js';

/** PAdES signatures (ETSI EN 319 142-1 §6.2.1) or document time-stamps (§5.4.3, ISO 32000-2 §12.8.5). */
export type SignatureDictionaryKind = 'signature' | 'document-timestamp';

export interface SignatureDictionaryParams {
  kind: SignatureDictionaryKind;
  /** Octets reserved for the DER in /Contents (the hex string has twice as many digits). */
  contentsCapacity: number;
  /** /M, the claimed signing time (ETSI EN 319 142-1 §6.3: not a CMS signing-time attribute). */
  signingTime?: Date;
  name?: string;
  reason?: string;
  location?: string;
  contactInfo?: string;
  /** The /Reference array of a certification signature, as PDF source. */
  reference?: string;
}

/** The dictionary's bytes and where, inside them, the placeholders are. */
export interface SignatureDictionary {
  readonly body: Uint8Array;
  /** Offset of the /ByteRange array's `[`. */
  readonly byteRangeAt: number;
  /** Offset of the /Contents string's `<`. */
  readonly contentsAt: number;
  readonly contentsCapacity: number;
}

/** `[0 a b c]` with room for three ten-digit numbers (files up to 9.3 GB). */
const BYTE_RANGE_PLACEHOLDER = `[0 ${'0'.repeat(10)} ${'0'.repeat(10)} ${'0'.repeat(10)}]`;

/**
 * The dictionary's source: /Type /Sig (or /DocTimeStamp), /Filter /Adobe.PPKLite, /SubFilter
 * /ETSI.CAdES.detached (or /ETSI.RFC3161, ETSI EN 319 142-1 §5.4.3), /ByteRange before
 * /Contents, then /M and the optional text strings.
 */
export function signatureDictionary(params: SignatureDictionaryParams): SignatureDictionary {
  const subFilter = params.kind === 'signature' ? 'ETSI.CAdES.detached' : 'ETSI.RFC3161';
  const type = params.kind === 'signature' ? 'Sig' : 'DocTimeStamp';
  const head = `<< /Type /${type} /Filter /Adobe.PPKLite /SubFilter /${subFilter} /ByteRange `;
  let tail = '';
  if (params.signingTime) tail += ` /M ${pdfDate(params.signingTime)}`;
  if (params.name !== undefined) tail += ` /Name ${textString(params.name)}`;
  if (params.reason !== undefined) tail += ` /Reason ${textString(params.reason)}`;
  if (params.location !== undefined) tail += ` /Location ${textString(params.location)}`;
  if (params.contactInfo !== undefined) tail += ` /ContactInfo ${textString(params.contactInfo)}`;
  if (params.reference) tail += ` /Reference ${params.reference}`;
  const source = `${head}${BYTE_RANGE_PLACEHOLDER} /Contents <${'0'.repeat(2 * params.contentsCapacity)}>${tail} >>`;
  return {
    body: Buffer.from(source, 'latin1'),
    byteRangeAt: head.length,
    contentsAt: head.length + BYTE_RANGE_PLACEHOLDER.length + ' /Contents '.length,
    contentsCapacity: params.contentsCapacity,
  };
}

/** A written update with its signature hole located and /ByteRange filled in. */
export interface PlacedSignature {
  readonly pdf: Buffer;
  /** [0, contentsStart, contentsEnd, tailLength] (ISO 32000-2 §12.8.1: the gap is exactly the /Contents string with its delimiters). */
  readonly byteRange: readonly [number, number, number, number];
  readonly contentsCapacity: number;
}

/** Finds the hole in the written file and fills /ByteRange (same width as the placeholder, space-padded). */
export function locatePlaceholder(written: WrittenUpdate, dictionaryNumber: number, dictionary: SignatureDictionary): PlacedSignature {
  const bodyAt = written.bodyOffsets.get(dictionaryNumber);
  if (bodyAt === undefined) throw new Error('the signature dictionary was not written');
  const gapStart = bodyAt + dictionary.contentsAt;
  const gapEnd = gapStart + 2 * dictionary.contentsCapacity + 2;
  const byteRange = [0, gapStart, gapEnd, written.pdf.length - gapEnd] as const;
  const text = `[${byteRange.join(' ')}]`.padEnd(BYTE_RANGE_PLACEHOLDER.length, ' ');
  written.pdf.write(text, bodyAt + dictionary.byteRangeAt, 'latin1');
  return { pdf: written.pdf, byteRange, contentsCapacity: dictionary.contentsCapacity };
}

/** The digest of the signed bytes: everything but the /Contents string. */
export function digestByteRanges(placed: PlacedSignature, nodeAlgorithm: string): Uint8Array {
  const [, gapStart, gapEnd] = placed.byteRange;
  return createHash(nodeAlgorithm).update(placed.pdf.subarray(0, gapStart)).update(placed.pdf.subarray(gapEnd)).digest();
}

/** Thrown when the DER is larger than the hole; the caller retries with a larger one. */
export class PlaceholderTooSmallError extends Error {
  constructor(readonly needed: number) {
    super(`the signature needs ${needed} octets of /Contents`);
  }
}

/** Writes the DER as hex into the hole; the zeros after it stay (they are padding, not part of the DER). */
export function embedContents(placed: PlacedSignature, der: Uint8Array): Buffer {
  if (der.length > placed.contentsCapacity) throw new PlaceholderTooSmallError(der.length);
  placed.pdf.write(Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('hex'), placed.byteRange[1] + 1, 'latin1');
  return placed.pdf;
}

/** A text string as UTF-16BE with a byte order mark (ISO 32000-2 §7.9.2.2), so CJK survives. */
function textString(value: string): string {
  return PDFHexString.fromText(value).toString();
}

/** ISO 32000-2 §7.9.4: `D:YYYYMMDDHHmmSS+00'00'` in UTC. */
export function pdfDate(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('signingTime is not a valid date');
  const iso = date.toISOString();
  return `(D:${iso.slice(0, 19).replace(/[-:T]/g, '')}+00'00')`;
}
