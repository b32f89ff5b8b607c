/**
 * A PDF file as a sequence of revisions (ISO 32000-2 §7.5.6 incremental updates), each with
 * its own view of the objects. Validation needs this view, not a merged document: a signature
 * signs one revision, and everything appended after it must be judged separately.
 *
 * How revisions are found: the newest cross-reference chain is the one a reader uses (the
 * last `startxref … %%EOF` whose offset leads to a cross-reference section, ISO 32000-2
 * §7.5.5). Its sections, followed by /Prev (and /XRefStm for hybrid files, §7.5.8.4), are
 * the file's sections newest first. A revision is a suffix of that chain that some
 * `startxref N %%EOF` points at: its end is that %%EOF. So a `%%EOF` inside stream data (an
 * embedded file) or the first-page trailer of a linearized file (`startxref 0`) is not taken
 * for a revision, and a section no %%EOF points at belongs to the next newer revision.
 *
 * Objects are read lazily and cached by their location, so the same bytes are parsed once
 * however many revisions see them.
 */
import { decodeStream, UnsupportedStreamError } from './pdf-filters.js';
import {
  indexOfAscii,
  isInteger,
  latin1,
  lastIndexOfAscii,
  nameOf,
  PdfDict,
  PdfLexer,
  PdfRef,
  PdfStream,
  PdfSyntaxError,
  readIndirectObject,
  type IndirectObject,
  type PdfObject,
} from './pdf-syntax.js';

export interface PdfLimits {
  /** Cross-reference entries over all sections. */
  readonly maxObjects: number;
  /** Revisions (and cross-reference sections) followed. */
  readonly maxRevisions: number;
  /** Decoded size of one object or cross-reference stream. */
  readonly maxStreamBytes: number;
}

export class UnreadablePdfError extends Error {}

/** ISO 32000-2 §7.5.4 / §7.5.8.3: a free (0), in-use (1) or compressed (2) entry. */
export interface XrefEntry {
  readonly type: 0 | 1 | 2;
  /** Type 1: byte offset. Type 2: the object stream's number. */
  readonly offset: number;
  /** Type 1: generation. Type 2: index in the object stream. */
  readonly gen: number;
}

export interface XrefSection {
  readonly offset: number;
  readonly kind: 'table' | 'stream';
  readonly entries: ReadonlyMap<number, XrefEntry>;
  readonly trailer: PdfDict;
  readonly prev: number | null;
  /** A hybrid file's /XRefStm section (§7.5.8.4), consulted for objects the table does not have in use. */
  readonly hybrid: XrefSection | null;
  /** The cross-reference stream's own object number, or the hybrid stream's. */
  readonly streamObjects: readonly number[];
}

export interface Revision {
  /** 0 is the oldest. */
  readonly index: number;
  /** Sections newest first; the first is this revision's own. */
  readonly chain: readonly XrefSection[];
  /** The trailer: the newest section's trailer dictionary (or xref stream dictionary). */
  readonly trailer: PdfDict;
  /** Offset just after this revision's `%%EOF`. */
  readonly eofEnd: number;
  /** `eofEnd` plus the end-of-line marker after it, if any. */
  readonly end: number;
}

export type Lookup =
  | { readonly kind: 'ok'; readonly value: PdfObject; readonly entry: XrefEntry; readonly location: IndirectObject | null }
  | { readonly kind: 'free' | 'missing' }
  | { readonly kind: 'unreadable'; readonly error: string; readonly entry: XrefEntry };

interface ObjectStream {
  readonly data: Uint8Array;
  readonly numbers: readonly number[];
  readonly offsets: readonly number[];
  readonly first: number;
}

export class PdfFile {
  readonly revisions: readonly Revision[];
  readonly warnings: string[] = [];
  private readonly sections = new Map<number, XrefSection>();
  private readonly objectCache = new Map<number, IndirectObject | PdfSyntaxError>();
  private readonly objectStreamCache = new Map<number, ObjectStream | Error>();
  private readonly compressedCache = new Map<string, PdfObject | Error>();
  private entryCount = 0;

  private constructor(
    readonly bytes: Uint8Array,
    readonly limits: PdfLimits,
  ) {
    this.revisions = this.findRevisions();
  }

  /** @throws UnreadablePdfError when no cross-reference chain can be read. */
  static open(bytes: Uint8Array, limits: PdfLimits): PdfFile {
    return new PdfFile(bytes, limits);
  }

  get last(): Revision {
    return this.revisions[this.revisions.length - 1]!;
  }

  // -------------------------------------------------------------------------------------
  // Revisions
  // -------------------------------------------------------------------------------------

  private findRevisions(): Revision[] {
    const candidates = this.eofCandidates();
    let finalChain: XrefSection[] | null = null;
    let finalIndex = -1;
    for (let i = candidates.length - 1; i >= 0 && i >= candidates.length - 8; i--) {
      try {
        finalChain = this.chainFrom(candidates[i]!.startXref);
        finalIndex = i;
        break;
      } catch (error) {
        if (error instanceof UnreadablePdfError && /too many/.test(error.message)) throw error;
        // Try an earlier %%EOF: trailing junk or a broken last update.
      }
    }
    if (!finalChain) throw new UnreadablePdfError('no readable cross-reference section (truncated or not a PDF)');
    if (finalIndex !== candidates.length - 1) {
      this.warnings.push('the last startxref does not lead to a cross-reference section; the last readable revision is used');
    }
    const final = candidates[finalIndex]!;
    const tail = this.bytes.subarray(final.end);
    if (tail.some((byte) => byte !== 0x00 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d && byte !== 0x20)) {
      this.warnings.push(`${tail.length} bytes after the last revision's %%EOF belong to no revision`);
    }

    // Revision i = the suffix of the chain starting at a section some %%EOF points at.
    const byOffset = new Map(finalChain.map((section, position) => [section.offset, position]));
    const endOf = new Map<number, (typeof candidates)[number]>();
    for (const candidate of candidates.slice(0, finalIndex + 1)) {
      const position = byOffset.get(candidate.startXref);
      if (position === undefined || candidate.eofAt < candidate.startXref || endOf.has(position)) continue;
      endOf.set(position, candidate);
    }
    endOf.set(0, final);
    const revisions: Revision[] = [];
    let lastEnd = Infinity;
    // Newest first, so ends must decrease.
    for (let position = 0; position < finalChain.length; position++) {
      const eof = endOf.get(position);
      if (!eof) continue;
      if (eof.end >= lastEnd) {
        this.warnings.push(`the revision ending at ${eof.end} is out of order and is not treated as a revision`);
        continue;
      }
      lastEnd = eof.end;
      const chain = finalChain.slice(position);
      revisions.push({ index: 0, chain, trailer: chain[0]!.trailer, eofEnd: eof.eofEnd, end: eof.end });
    }
    revisions.reverse();
    return revisions.map((revision, index) => ({ ...revision, index }));
  }

  /** Every `startxref N %%EOF` in the file, in file order. */
  private eofCandidates(): { startXref: number; eofAt: number; eofEnd: number; end: number }[] {
    const b = this.bytes;
    const out: { startXref: number; eofAt: number; eofEnd: number; end: number }[] = [];
    for (let at = indexOfAscii(b, '%%EOF', 0); at >= 0; at = indexOfAscii(b, '%%EOF', at + 5)) {
      const keyword = lastIndexOfAscii(b, 'startxref', at);
      if (keyword < 0 || at - keyword > 64) continue;
      const between = latin1(b, keyword + 9, at);
      const match = /^[\0\t\n\f\r ]*(\d{1,15})[\0\t\n\f\r ]*$/.exec(between);
      if (!match) continue;
      const eofEnd = at + 5;
      let end = eofEnd;
      if (b[end] === 0x0d) end++;
      if (b[end] === 0x0a) end++;
      out.push({ startXref: Number(match[1]), eofAt: at, eofEnd, end });
      if (out.length > this.limits.maxRevisions * 4) throw new UnreadablePdfError('too many %%EOF markers');
    }
    return out;
  }

  private chainFrom(offset: number): XrefSection[] {
    const chain: XrefSection[] = [];
    const seen = new Set<number>();
    for (let next: number | null = offset; next !== null; ) {
      if (seen.has(next)) throw new UnreadablePdfError('the /Prev chain loops');
      if (chain.length >= this.limits.maxRevisions) throw new UnreadablePdfError('too many cross-reference sections');
      seen.add(next);
      const section = this.section(next);
      chain.push(section);
      next = section.prev;
    }
    return chain;
  }

  private section(offset: number): XrefSection {
    let section = this.sections.get(offset);
    if (!section) {
      section = this.readSection(offset, true);
      this.sections.set(offset, section);
    }
    return section;
  }

  private readSection(offset: number, allowHybrid: boolean): XrefSection {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= this.bytes.length) throw new UnreadablePdfError('startxref points outside the file');
    const lexer = new PdfLexer(this.bytes, offset);
    if (lexer.expectKeyword('xref')) return this.readTable(lexer, offset, allowHybrid);
    return this.readXrefStream(offset);
  }

  /** ISO 32000-2 §7.5.4: `xref`, subsections `first count` of `offset gen n|f`, then `trailer << … >>`. */
  private readTable(lexer: PdfLexer, offset: number, allowHybrid: boolean): XrefSection {
    const entries = new Map<number, XrefEntry>();
    for (;;) {
      const first = lexer.peekUnsigned();
      if (first === null) break;
      const count = lexer.peekUnsigned();
      if (count === null) throw new UnreadablePdfError('bad cross-reference subsection header');
      this.countEntries(count);
      for (let i = 0; i < count; i++) {
        const entryOffset = lexer.peekUnsigned();
        const gen = lexer.peekUnsigned();
        lexer.skipWhite();
        const kind = this.bytes[lexer.pos];
        if (entryOffset === null || gen === null || (kind !== 0x6e && kind !== 0x66)) throw new UnreadablePdfError('bad cross-reference entry');
        lexer.pos++;
        const num = first + i;
        if (num === 0 && kind === 0x6e) continue;
        entries.set(num, kind === 0x6e ? { type: 1, offset: entryOffset, gen } : { type: 0, offset: 0, gen });
      }
    }
    if (!lexer.expectKeyword('trailer')) throw new UnreadablePdfError('no trailer after the cross-reference table');
    let trailer: PdfObject;
    try {
      trailer = lexer.readObject() as PdfObject;
    } catch (cause) {
      throw new UnreadablePdfError('the trailer cannot be read', { cause });
    }
    if (!(trailer instanceof PdfDict)) throw new UnreadablePdfError('the trailer is not a dictionary');
    let hybrid: XrefSection | null = null;
    const xrefStm = trailer.get('XRefStm');
    if (allowHybrid && isInteger(xrefStm)) {
      try {
        hybrid = this.readSection(xrefStm, false);
      } catch {
        this.warnings.push('the /XRefStm of a hybrid cross-reference section cannot be read');
      }
    }
    return {
      offset,
      kind: 'table',
      entries,
      trailer,
      prev: prevOf(trailer),
      hybrid,
      streamObjects: hybrid ? hybrid.streamObjects : [],
    };
  }

  /** ISO 32000-2 §7.5.8: an object `<< /Type /XRef /W [..] /Index [..] /Size n >> stream`. */
  private readXrefStream(offset: number): XrefSection {
    const lexer = new PdfLexer(this.bytes, offset);
    const num = lexer.peekUnsigned();
    const gen = lexer.peekUnsigned();
    if (num === null || gen === null) throw new UnreadablePdfError('startxref does not point at a cross-reference section');
    let object: IndirectObject;
    try {
      object = readIndirectObject(this.bytes, offset, num, gen);
    } catch (cause) {
      throw new UnreadablePdfError('the cross-reference stream cannot be read', { cause });
    }
    const stream = object.value;
    if (!(stream instanceof PdfStream) || nameOf(stream.dict.get('Type')) !== 'XRef') {
      throw new UnreadablePdfError('startxref does not point at a cross-reference section');
    }
    const dict = stream.dict;
    const w = dict.get('W');
    if (!Array.isArray(w) || w.length !== 3 || !w.every((x) => isInteger(x) && x >= 0 && x <= 8)) throw new UnreadablePdfError('bad /W');
    const [w1, w2, w3] = w as [number, number, number];
    const size = dict.get('Size');
    if (!isInteger(size) || size < 0) throw new UnreadablePdfError('bad /Size');
    const indexValue = dict.get('Index') ?? [0, size];
    if (!Array.isArray(indexValue) || indexValue.length % 2 !== 0 || !indexValue.every((x) => isInteger(x) && x >= 0)) {
      throw new UnreadablePdfError('bad /Index');
    }
    let data: Uint8Array;
    try {
      // Filters of a cross-reference stream must be direct (§7.5.8.2).
      data = decodeStream(stream, this.limits.maxStreamBytes, (o) => o);
    } catch (cause) {
      throw new UnreadablePdfError('the cross-reference stream cannot be decoded', { cause });
    }
    const rowLength = w1 + w2 + w3;
    const entries = new Map<number, XrefEntry>();
    let row = 0;
    for (let i = 0; i < indexValue.length; i += 2) {
      const first = indexValue[i] as number;
      const count = indexValue[i + 1] as number;
      this.countEntries(count);
      for (let k = 0; k < count; k++, row++) {
        const at = row * rowLength;
        if (rowLength === 0 || at + rowLength > data.length) throw new UnreadablePdfError('cross-reference stream data too short');
        const type = w1 === 0 ? 1 : field(data, at, w1);
        const f2 = field(data, at + w1, w2);
        const f3 = w3 === 0 ? 0 : field(data, at + w1 + w2, w3);
        const objectNumber = first + k;
        if (type === 0) entries.set(objectNumber, { type: 0, offset: 0, gen: f3 });
        else if (type === 1) {
          if (objectNumber !== 0) entries.set(objectNumber, { type: 1, offset: f2, gen: f3 });
        } else if (type === 2) entries.set(objectNumber, { type: 2, offset: f2, gen: f3 });
        // Other types are reserved and read as null references (§7.5.8.3).
      }
    }
    return { offset, kind: 'stream', entries, trailer: dict, prev: prevOf(dict), hybrid: null, streamObjects: [num] };
  }

  private countEntries(count: number): void {
    this.entryCount += count;
    if (this.entryCount > this.limits.maxObjects) throw new UnreadablePdfError('too many cross-reference entries');
  }

  // -------------------------------------------------------------------------------------
  // Objects
  // -------------------------------------------------------------------------------------

  /** The cross-reference entry of object `num` as revision `revision` sees it. */
  entry(revision: Revision, num: number): XrefEntry | undefined {
    for (const section of revision.chain) {
      const own = section.entries.get(num);
      if (own && own.type !== 0) return own;
      const hybrid = section.hybrid?.entries.get(num);
      if (hybrid) return hybrid;
      if (own) return own;
    }
    return undefined;
  }

  /** Object `num` as `revision` sees it. Generation numbers of references are not compared (readers ignore them too). */
  lookup(revision: Revision, num: number): Lookup {
    const entry = this.entry(revision, num);
    if (!entry) return MISSING;
    if (entry.type === 0) return FREE;
    if (entry.type === 1) {
      const parsed = this.objectAt(entry.offset, num, entry.gen);
      return parsed instanceof Error ? { kind: 'unreadable', error: parsed.message, entry } : { kind: 'ok', value: parsed.value, entry, location: parsed };
    }
    const value = this.compressed(revision, num, entry);
    return value instanceof Error ? { kind: 'unreadable', error: value.message, entry } : { kind: 'ok', value, entry, location: null };
  }

  /** The value of `object`, following one reference at `revision`; undefined when free, missing or unreadable. */
  resolve(revision: Revision, object: PdfObject | undefined): PdfObject | undefined {
    if (!(object instanceof PdfRef)) return object;
    const found = this.lookup(revision, object.num);
    return found.kind === 'ok' ? found.value : undefined;
  }

  dict(revision: Revision, object: PdfObject | undefined): PdfDict | undefined {
    const value = this.resolve(revision, object);
    if (value instanceof PdfDict) return value;
    return value instanceof PdfStream ? value.dict : undefined;
  }

  array(revision: Revision, object: PdfObject | undefined): PdfObject[] | undefined {
    const value = this.resolve(revision, object);
    return Array.isArray(value) ? value : undefined;
  }

  /** The document catalog of a revision (trailer /Root). */
  catalog(revision: Revision): { ref: PdfRef | null; dict: PdfDict | undefined } {
    const root = rootOf(revision);
    return { ref: root, dict: root ? this.dict(revision, root) : undefined };
  }

  /** A stream's decoded data, resolving indirect filter parameters at `revision`. */
  decode(revision: Revision, stream: PdfStream): Uint8Array {
    return decodeStream(stream, this.limits.maxStreamBytes, (object) => this.resolve(revision, object));
  }

  private objectAt(offset: number, num: number, gen: number): IndirectObject | PdfSyntaxError {
    let parsed = this.objectCache.get(offset);
    if (!parsed) {
      try {
        if (offset < 0 || offset >= this.bytes.length) throw new PdfSyntaxError(`object ${num} lies outside the file`);
        parsed = readIndirectObject(this.bytes, offset, num, gen);
      } catch (error) {
        parsed = error instanceof PdfSyntaxError ? error : new PdfSyntaxError(String(error));
      }
      this.objectCache.set(offset, parsed);
    }
    if (!(parsed instanceof Error) && (parsed.num !== num || parsed.gen !== gen)) {
      return new PdfSyntaxError(`offset ${offset} holds object ${parsed.num} ${parsed.gen}, not ${num} ${gen}`);
    }
    return parsed;
  }

  /** ISO 32000-2 §7.5.7: object `num` at index `entry.gen` of object stream `entry.offset`. */
  private compressed(revision: Revision, num: number, entry: XrefEntry): PdfObject | Error {
    const container = this.entry(revision, entry.offset);
    if (!container || container.type !== 1) return new PdfSyntaxError(`object stream ${entry.offset} of object ${num} is missing`);
    const key = `${container.offset}:${entry.gen}`;
    let value = this.compressedCache.get(key);
    if (value !== undefined) return value;
    const stream = this.objectStream(revision, entry.offset, container);
    if (stream instanceof Error) value = stream;
    else if (stream.numbers[entry.gen] !== num) value = new PdfSyntaxError(`object stream ${entry.offset} does not hold object ${num} at index ${entry.gen}`);
    else {
      try {
        const start = stream.first + stream.offsets[entry.gen]!;
        const end = entry.gen + 1 < stream.offsets.length ? stream.first + stream.offsets[entry.gen + 1]! : stream.data.length;
        if (start < stream.first || start > stream.data.length || end < start) throw new PdfSyntaxError('bad object stream offset');
        const parsed = new PdfLexer(stream.data, start, Math.min(end, stream.data.length)).readObject();
        value = parsed as PdfObject;
      } catch (error) {
        value = error instanceof Error ? error : new PdfSyntaxError(String(error));
      }
    }
    this.compressedCache.set(key, value);
    return value;
  }

  private objectStream(revision: Revision, num: number, container: XrefEntry): ObjectStream | Error {
    let cached = this.objectStreamCache.get(container.offset);
    if (cached) return cached;
    try {
      const parsed = this.objectAt(container.offset, num, container.gen);
      if (parsed instanceof Error) throw parsed;
      const stream = parsed.value;
      if (!(stream instanceof PdfStream) || nameOf(stream.dict.get('Type')) !== 'ObjStm') throw new PdfSyntaxError(`object ${num} is not an object stream`);
      const n = stream.dict.get('N');
      const first = stream.dict.get('First');
      if (!isInteger(n) || !isInteger(first) || n < 0 || first < 0) throw new PdfSyntaxError(`object stream ${num} has a bad /N or /First`);
      this.countEntries(n);
      const data = this.decode(revision, stream);
      const header = new PdfLexer(data, 0, Math.min(first, data.length));
      const numbers: number[] = [];
      const offsets: number[] = [];
      for (let i = 0; i < n; i++) {
        const objectNumber = header.peekUnsigned();
        const offset = header.peekUnsigned();
        if (objectNumber === null || offset === null) throw new PdfSyntaxError(`object stream ${num} has a bad header`);
        numbers.push(objectNumber);
        offsets.push(offset);
      }
      cached = { data, numbers, offsets, first };
    } catch (error) {
      cached = error instanceof UnsupportedStreamError || error instanceof Error ? error : new Error(String(error));
    }
    this.objectStreamCache.set(container.offset, cached);
    return cached;
  }
}

const MISSING: Lookup = Object.freeze({ kind: 'missing' });
const FREE: Lookup = Object.freeze({ kind: 'free' });

function field(data: Uint8Array, at: number, width: number): number {
  let value = 0;
  for (let i = 0; i < width; i++) value = value * 256 + data[at + i]!;
  return value;
}

function prevOf(trailer: PdfDict): number | null {
  const prev = trailer.get('Prev');
  return isInteger(prev) && prev >= 0 ? prev : null;
}

/** The trailer's /Root reference; searched down the chain when the newest trailer lacks one. */
export function rootOf(revision: Revision): PdfRef | null {
  for (const section of revision.chain) {
    const root = section.trailer.get('Root');
    if (root instanceof PdfRef) return root;
  }
  return null;
}
