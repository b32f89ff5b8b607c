/**
 * The visible signature's appearance (ISO 32000-2 §12.5.5 appearance streams, §8.10 form
 * XObjects): page 1 of a caller-supplied PDF, drawn scaled to fit the widget rectangle.
 *
 * Per appearance PDF, once: parse it, decode and concatenate page 1's content streams and
 * deflate them with Node's zlib (pdf-lib would use pako, about 3× slower, performance.md §4).
 * Per seal: copy page 1's resources (fonts, images) into the document being signed and write
 * two small form XObjects: the page itself, and the widget's /AP /N that scales it.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import {
  decodePDFRawStream,
  PDFArray,
  PDFDocument,
  PDFNumber,
  PDFObjectCopier,
  PDFRawStream,
  PDFStream,
  type PDFContext,
  type PDFDict,
  type PDFRef,
} from '@cantoo/pdf-lib';
import { InvalidInputError } from '../errors.js';
import { N } from './pdf-objects.js';

/** Page 1 of an appearance PDF, ready to copy. */
export interface AppearanceSource {
  readonly context: PDFContext;
  readonly resources: PDFDict | undefined;
  /** The page's crop box [x0 y0 x1 y1]: the part that is drawn. */
  readonly box: readonly [number, number, number, number];
  /** The page's content, deflated. */
  readonly content: Uint8Array;
}

const MAX_CACHED_SOURCES = 32;
const sources = new Map<string, Promise<AppearanceSource>>();

/**
 * The parsed appearance for these bytes, cached by their SHA-256 (callers usually pass the
 * same seal image for every document). Concurrent first calls share one parse.
 *
 * @throws InvalidInputError `InvalidAppearance` when the bytes are not a readable,
 *   unencrypted PDF with at least one page.
 */
export function appearanceSource(bytes: Uint8Array): Promise<AppearanceSource> {
  const key = createHash('sha256').update(bytes).digest('hex');
  let source = sources.get(key);
  if (!source) {
    source = parseAppearance(bytes);
    source.catch(() => sources.delete(key));
    if (sources.size >= MAX_CACHED_SOURCES) sources.delete(sources.keys().next().value!);
    sources.set(key, source);
  }
  return source;
}

async function parseAppearance(bytes: Uint8Array): Promise<AppearanceSource> {
  try {
    // A private copy: the cache outlives the caller's buffer.
    const document = await PDFDocument.load(new Uint8Array(bytes), { updateMetadata: false });
    const page = document.getPage(0);
    const crop = page.getCropBox();
    const contents = page.node.Contents();
    const streams = contents instanceof PDFArray ? contents.asArray().map((item) => document.context.lookup(item)) : [contents];
    const decoded = streams.map((stream) => {
      if (stream instanceof PDFRawStream) return decodePDFRawStream(stream).decode();
      if (stream instanceof PDFStream) return stream.getContents();
      return new Uint8Array(0);
    });
    const joined = Buffer.concat(decoded.flatMap((part) => [part, Buffer.from('\n')]));
    return Object.freeze({
      context: document.context,
      resources: page.node.Resources(),
      box: Object.freeze([crop.x, crop.y, crop.x + crop.width, crop.y + crop.height] as const),
      content: deflateSync(joined),
    });
  } catch (cause) {
    throw new InvalidInputError('InvalidAppearance', 'the appearance is not a readable PDF with a page', { cause });
  }
}

/**
 * Adds the widget's normal appearance to `context` and returns its reference: a form XObject
 * with BBox `[0 0 width height]` that draws the appearance page, uniformly scaled to fit and
 * centred. Without a source it is a thin frame, so a visible field still shows where it is.
 */
export function addAppearance(context: PDFContext, source: AppearanceSource | null, width: number, height: number): PDFRef {
  if (!source) {
    return context.register(formXObject(context, [0, 0, width, height], Buffer.from(`0.75 0 0 RG 1 w 0.5 0.5 ${num(width - 1)} ${num(height - 1)} re S`), undefined));
  }
  const resources = source.resources ? PDFObjectCopier.for(source.context, context).copy(source.resources) : undefined;
  const page = formXObject(context, source.box, source.content, resources);
  page.dict.set(N('Filter'), N('FlateDecode'));
  const pageRef = context.register(page);

  const [x0, y0, x1, y1] = source.box;
  const scale = Math.min(width / (x1 - x0), height / (y1 - y0));
  const tx = (width - (x1 - x0) * scale) / 2 - x0 * scale;
  const ty = (height - (y1 - y0) * scale) / 2 - y0 * scale;
  const drawing = Buffer.from(`q ${num(scale)} 0 0 ${num(scale)} ${num(tx)} ${num(ty)} cm /Seal Do Q`);
  const apResources = context.obj({ XObject: { Seal: pageRef } });
  return context.register(formXObject(context, [0, 0, width, height], drawing, apResources));
}

function formXObject(context: PDFContext, box: readonly number[], content: Uint8Array, resources: PDFDict | undefined): PDFRawStream {
  const dict = context.obj({ Type: 'XObject', Subtype: 'Form', BBox: box.map((v) => PDFNumber.of(v)) });
  if (resources) dict.set(N('Resources'), resources);
  return PDFRawStream.of(dict, content);
}

/** A number for a content stream: at most four decimals, no exponent. */
function num(value: number): string {
  return Number(value.toFixed(4)).toString();
}
