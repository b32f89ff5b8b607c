/**
 * The one place that loads the CJK font (Noto Sans SC Regular, SIL OFL 1.1, from
 * @expo-google-fonts/noto-sans-sc) and hands it to pdf-lib.
 *
 * Why upstream fontkit 2 and not the @pdf-lib/fontkit fork that pdf-lib documents: the fork
 * (about fontkit 1.7) lacks upstream fixes, and its subsets of CJK fonts are broken. For this
 * TTF it writes a short `loca` table whenever the subset is under 64 KiB, which truncates the
 * odd-length glyph offsets, so most glyphs go missing (foliojs/fontkit#191, pdf-lib #1232,
 * #808, #494). Embedding the whole font instead costs 6-7 MB and seconds per document.
 * Upstream fontkit 2.0.4 subsets correctly (about 10 KB for a page of Chinese text).
 *
 * Parsing the 10.5 MB font takes about 70 ms, and pdf-lib calls `fontkit.create(bytes)` once
 * per document. The adapter below therefore hands back the already parsed font for bytes it
 * has seen, so that cost is paid once per process.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as fontkit from 'fontkit';
import type { Font, FontCollection } from 'fontkit';

const NOTO_SANS_SC_REGULAR = '@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf';

let fontBytes: Uint8Array | undefined;

/**
 * The raw TTF, read on first use. Shared and cached: treat it as read-only. Pass these very
 * bytes to `embedFont` so the adapter from {@link registerFontkit} reuses the parsed font.
 */
export function cjkFontBytes(): Uint8Array {
  fontBytes ??= readFileSync(createRequire(import.meta.url).resolve(NOTO_SANS_SC_REGULAR));
  return fontBytes;
}

/** Parsed fonts by the buffer they came from, so each buffer is parsed once. */
const parsedFonts = new WeakMap<Uint8Array, Font>();

function parseOnce(bytes: Uint8Array): Font {
  let font = parsedFonts.get(bytes);
  if (!font) {
    const parsed: Font | FontCollection = fontkit.create(asBuffer(bytes));
    if (!('glyphForCodePoint' in parsed)) throw new Error('font collections (.ttc) are not supported here');
    font = parsed;
    parsedFonts.set(bytes, font);
  }
  return font;
}

/** The parsed CJK font (fontkit 2), for measuring text and drawing glyph outlines. */
export function cjkFont(): Font {
  return parseOnce(cjkFontBytes());
}

/** True when the CJK font has a real glyph (not .notdef) for every character of `text`. */
export function cjkFontCovers(text: string): boolean {
  const font = cjkFont();
  return Array.from(text).every((ch) => font.glyphForCodePoint(ch.codePointAt(0)!).id !== 0);
}

/**
 * A pdf-lib or @cantoo/pdf-lib document. Each library types `registerFontkit` with its own
 * idea of a fontkit Font, and neither matches @types/fontkit, hence `never` here and one
 * cast in {@link registerFontkit}: at run time fontkit 2 fonts have everything both use.
 */
export interface FontkitRegistrable {
  registerFontkit(fontkit: never): void;
}

/** The object registered on a document; see {@link registerFontkit}. */
export interface CjkFontkitAdapter {
  create(bytes: Uint8Array): Font;
}

/**
 * pdf-lib 1.17 reads a subset through the Node-style `subset.encodeStream()` of the fork;
 * fontkit 2 only has `subset.encode()`. This emits `encode()` as one chunk, after the caller
 * has attached its listeners (pdf-lib chains `.on('data').on('end').on('error')`).
 */
function encodeStreamOf(subset: { encode(): Uint8Array }): EventEmitter {
  const stream = new EventEmitter();
  queueMicrotask(() => {
    let bytes: Uint8Array;
    try {
      bytes = subset.encode();
    } catch (error) {
      stream.emit('error', error);
      return;
    }
    stream.emit('data', bytes);
    stream.emit('end');
  });
  return stream;
}

/**
 * A view of the parsed font whose subsets also offer `encodeStream()`. A Proxy rather than a
 * patched font: fontkit caches lazily decoded tables on the font itself, and the Proxy reads
 * through to it with the real font as `this`, so that cache keeps working.
 */
function withEncodeStream(font: Font): Font {
  return new Proxy(font, {
    get(target, property) {
      if (property === 'layout') return layoutWithoutShaping(target);
      if (property !== 'createSubset') return Reflect.get(target, property, target);
      return () => {
        const subset = target.createSubset();
        return Object.assign(subset, { encodeStream: () => encodeStreamOf(subset) });
      };
    },
  });
}

/**
 * pdf-lib lays out every string it measures or draws with `font.layout()`, which runs the
 * OpenType GSUB/GPOS machinery: about a third of the time it takes to build a licence page.
 * Chinese text needs no shaping (no ligatures, no contextual forms), and pdf-lib reads only
 * `glyphs` from the result, so the character map alone gives the same glyphs.
 */
function layoutWithoutShaping(font: Font) {
  return (text: string) => ({ glyphs: font.glyphsForString(text) });
}

const pdfLibViews = new WeakMap<Font, Font>();

/**
 * fontkit 2 for pdf-lib: parses each buffer once and gives its subsets the `encodeStream()`
 * that pdf-lib 1.17 needs. @cantoo/pdf-lib calls `encode()` itself and ignores the extra method,
 * so the same adapter serves both libraries.
 */
export const cjkFontkit: CjkFontkitAdapter = {
  create(bytes: Uint8Array): Font {
    const font = parseOnce(bytes);
    let view = pdfLibViews.get(font);
    if (!view) {
      view = withEncodeStream(font);
      pdfLibViews.set(font, view);
    }
    return view;
  },
};

/**
 * Registers fontkit 2 (through {@link cjkFontkit}) on a pdf-lib or @cantoo/pdf-lib document.
 * For the CJK font prefer {@link embedCjkFont}, which also names the subset properly.
 */
export function registerFontkit(doc: FontkitRegistrable): void {
  doc.registerFontkit(cjkFontkit as never);
}

/**
 * The PDF name of a subset of the CJK font: a six-letter tag, `+`, the PostScript name
 * (ISO 32000-1 §9.6.4). The tag is what marks a font as a subset (pdffonts "sub yes"), and
 * different subsets in one file need different tags. It is derived from `seed` rather than
 * drawn at random, so the same input gives the same bytes: seed with whatever identifies the
 * subset's content (the text drawn, a document id).
 */
export function cjkSubsetFontName(seed: string): string {
  const digest = createHash('sha256').update(seed).digest();
  const tag = Array.from(digest.subarray(0, 6), (byte) => String.fromCharCode(0x41 + (byte % 26))).join('');
  return `${tag}+${cjkFont().postscriptName}`;
}

/**
 * Registers fontkit 2 and embeds the CJK font as a subset: only the glyphs drawn end up in
 * the PDF. Never `subset: false` for this font (6-7 MB and seconds per document).
 *
 * @param subsetSeed names the subset, see {@link cjkSubsetFontName}.
 */
export async function embedCjkFont<PdfFont>(
  doc: FontkitRegistrable & {
    embedFont(font: Uint8Array, options: { subset: boolean; customName: string }): Promise<PdfFont>;
  },
  subsetSeed: string,
): Promise<PdfFont> {
  registerFontkit(doc);
  return doc.embedFont(cjkFontBytes(), { subset: true, customName: cjkSubsetFontName(subsetSeed) });
}

/** fontkit's typings ask for a Buffer; wrap without copying. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
