/**
 * A PDF as it stands before an incremental update: its bytes, its parsed objects and where
 * its last cross-reference section is (ISO 32000-2 §7.5.6: an update appends objects, a
 * cross-reference section and a trailer whose /Prev points at this one).
 *
 * Parsing is @cantoo/pdf-lib's (measured: 0.2 ms for a one-page PDF against 0.35 ms for
 * pdf-lib 1.17), which reads classic tables, cross-reference streams and object streams.
 * Its parser is lenient and rebuilds what it can from a damaged file; since we append to the
 * file as it is, the checks here insist on the structure an update relies on.
 */
import { ParseSpeeds, PDFDict, PDFDocument, PDFNumber, PDFRef, type PDFContext } from '@cantoo/pdf-lib';
import { InvalidInputError } from '../errors.js';

export type XrefKind = 'table' | 'stream';

export interface PdfRevision {
  readonly bytes: Uint8Array;
  readonly document: PDFDocument;
  readonly context: PDFContext;
  readonly catalogRef: PDFRef;
  readonly catalog: PDFDict;
  /** The offset the file's last `startxref` names: the /Prev of the next update. */
  readonly startXref: number;
  /** The last section's kind; the next section is written the same way (a classic table chained to a stream is not read by poppler or qpdf, libraries.md §1). */
  readonly xrefKind: XrefKind;
  /** The trailer /Size the next section must at least have. */
  readonly size: number;
}

const latin1 = new TextDecoder('latin1');
/** How far from the start a `%PDF-` header may be (ISO 32000-2 §7.5.2 allows leading junk in practice; readers look at the first 1 KB). */
const HEADER_WINDOW = 1024;
/** How far from the end `%%EOF` may be (ISO 32000-2 §7.5.5; the same 1 KB readers allow). */
const TRAILER_WINDOW = 1024;

/**
 * Parses `bytes` for an incremental update.
 *
 * @throws InvalidInputError `InvalidPdf` when the bytes are not a PDF, are truncated (no
 *   `%%EOF` at the end, a `startxref` that points nowhere) or cannot be parsed;
 *   `EncryptedPdf` when the trailer has /Encrypt (signing would need the document key).
 */
export async function openPdf(bytes: Uint8Array): Promise<PdfRevision> {
  const head = latin1.decode(bytes.subarray(0, HEADER_WINDOW));
  if (!head.includes('%PDF-')) invalid('the bytes are not a PDF (no %PDF- header)');
  const { startXref, xrefKind } = lastCrossReference(bytes);

  let document: PDFDocument;
  try {
    // Not `forIncrementalUpdate`: with it, every PDFDict.set scans all objects for the one
    // that contains the dict (PDFContext.registerObjectChange), O(objects) per change; we
    // track changed objects ourselves (incremental-update.ts). Not `updateMetadata`: it
    // would write the clock's time into /Info. `Fastest`: the default yields to the event
    // loop every 100 objects through setTimeout(0), which adds a millisecond or more each time
    // without making the parse itself any cheaper.
    document = await PDFDocument.load(bytes, { ignoreEncryption: true, updateMetadata: false, parseSpeed: ParseSpeeds.Fastest });
  } catch (cause) {
    invalid('the PDF cannot be parsed', cause);
  }
  const { context } = document;
  if (context.trailerInfo.Encrypt) throw new InvalidInputError('EncryptedPdf', 'the PDF is encrypted; decrypt it before sealing');

  const catalogRef = context.trailerInfo.Root;
  const catalog = catalogRef ? context.lookup(catalogRef) : undefined;
  if (!(catalogRef instanceof PDFRef) || !(catalog instanceof PDFDict)) {
    invalid('the PDF has no document catalog');
  }
  try {
    if (document.getPageCount() < 1) invalid('the PDF has no pages');
  } catch (cause) {
    if (cause instanceof InvalidInputError) throw cause;
    invalid('the page tree cannot be read', cause);
  }
  const trailerSize = context.trailerInfo.Size instanceof PDFNumber ? context.trailerInfo.Size.asNumber() : 0;
  return {
    bytes,
    document,
    context,
    catalogRef,
    catalog,
    startXref,
    xrefKind,
    size: Math.max(trailerSize, context.largestObjectNumber + 1),
  };
}

/**
 * The last `startxref` offset and what it points at (ISO 32000-2 §7.5.5: the file ends with
 * `startxref`, the offset, and `%%EOF`).
 */
function lastCrossReference(bytes: Uint8Array): { startXref: number; xrefKind: XrefKind } {
  const tail = latin1.decode(bytes.subarray(Math.max(0, bytes.length - TRAILER_WINDOW)));
  const match = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail.replace(/\0+$/, ''));
  if (!match) invalid('the PDF is truncated: it does not end with startxref and %%EOF');
  const startXref = Number(match[1]);
  if (startXref >= bytes.length) invalid('startxref points beyond the end of the file');
  const section = latin1.decode(bytes.subarray(startXref, startXref + 64)).replace(/^\s+/, '');
  if (section.startsWith('xref')) return { startXref, xrefKind: 'table' };
  if (/^\d+\s+\d+\s+obj\b/.test(section)) return { startXref, xrefKind: 'stream' };
  invalid('startxref does not point at a cross-reference section');
}

function invalid(message: string, cause?: unknown): never {
  throw new InvalidInputError('InvalidPdf', message, { cause });
}
