/**
 * A bounded reader of PDF objects (ISO 32000-2 §7.2 lexical conventions, §7.3 objects) for
 * validation. Written here rather than taken from pdf-lib for two reasons: validation must
 * see every revision of a file separately (pdf-lib loads only the newest state and repairs
 * what it cannot read), and the whole validation must stay within about a millisecond
 * (performance.md §6: a pdf-lib `load()` alone costs 0.6 ms).
 *
 * Untrusted input: every loop is bounded by the input length, nesting by
 * {@link MAX_NESTING}, and container sizes by {@link MAX_CONTAINER_ITEMS}. Malformed syntax
 * throws {@link PdfSyntaxError}; callers decide whether that makes the file unusable or one
 * object unreadable.
 */

export class PdfSyntaxError extends Error {}

/** ISO 32000-2 §7.3.5: a name object; interned, so names compare by identity or value. */
export class PdfName {
  private static readonly interned = new Map<string, PdfName>();
  private constructor(readonly value: string) {}
  static of(value: string): PdfName {
    let name = PdfName.interned.get(value);
    if (!name) {
      name = new PdfName(value);
      // Names from untrusted files are unbounded in number; intern only the short ones.
      if (value.length <= 64 && PdfName.interned.size < 10_000) PdfName.interned.set(value, name);
    }
    return name;
  }
}

/** ISO 32000-2 §7.3.4: a literal or hexadecimal string, with where its token lies in the source. */
export class PdfString {
  constructor(
    readonly bytes: Uint8Array,
    readonly hex: boolean,
    /** Offset of `(` or `<` in the source buffer. */
    readonly start: number,
    /** One past `)` or `>`. */
    readonly end: number,
  ) {}

  /** A text string (§7.9.2.2): UTF-16BE with BOM, UTF-8 with BOM, else PDFDocEncoding (read as Latin-1). */
  text(): string {
    const b = this.bytes;
    if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) {
      const body = Buffer.from(b.subarray(2, 2 + ((b.length - 2) & ~1)));
      return body.swap16().toString('utf16le');
    }
    if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return Buffer.from(b.subarray(3)).toString('utf8');
    return Buffer.from(b).toString('latin1');
  }
}

/** ISO 32000-2 §7.3.10: an indirect reference. */
export class PdfRef {
  constructor(
    readonly num: number,
    readonly gen: number,
  ) {}
}

/** ISO 32000-2 §7.3.7: a dictionary. Keys are name values without the slash. */
export class PdfDict {
  constructor(
    readonly entries: Map<string, PdfObject>,
    /** Keys that occurred more than once (readers differ on which value wins). */
    readonly duplicateKeys: readonly string[] = [],
  ) {}
  get(key: string): PdfObject | undefined {
    return this.entries.get(key);
  }
}

/** ISO 32000-2 §7.3.8: a stream; the raw (still encoded) data is `source[start, end)`. */
export class PdfStream {
  constructor(
    readonly dict: PdfDict,
    readonly source: Uint8Array,
    readonly start: number,
    readonly end: number,
  ) {}
  raw(): Uint8Array {
    return this.source.subarray(this.start, this.end);
  }
}

export type PdfObject = null | boolean | number | PdfName | PdfString | PdfRef | PdfDict | PdfStream | PdfObject[];

/** Arrays and dictionaries nest at most this deep (pdf.js and qpdf use similar limits). */
export const MAX_NESTING = 64;
/** No array or dictionary holds more items than this. */
export const MAX_CONTAINER_ITEMS = 1_000_000;

// Character classes, ISO 32000-2 §7.2.3 Table 1 (white-space) and Table 2 (delimiters).
const WHITE = new Uint8Array(256);
for (const c of [0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]) WHITE[c] = 1;
const DELIM = new Uint8Array(256);
for (const c of '()<>[]{}/%') DELIM[c.charCodeAt(0)] = 1;
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_VALUE['0123456789ABCDEF'.charCodeAt(i)] = i;
}

export const isWhite = (c: number | undefined): boolean => c !== undefined && WHITE[c] === 1;
const isRegular = (c: number | undefined): boolean => c !== undefined && WHITE[c] === 0 && DELIM[c] === 0;

/** Keywords the object parser meets: returned as-is so callers can check them. */
export class Keyword {
  constructor(readonly value: string) {}
}

/**
 * A cursor over a buffer. `limit` bounds every read (for objects inside an object stream, or
 * a region of the file).
 */
export class PdfLexer {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    readonly limit = bytes.length,
  ) {
    this.pos = start;
  }

  /** Skips white-space and comments (§7.2.4). */
  skipWhite(): void {
    const b = this.bytes;
    while (this.pos < this.limit) {
      const c = b[this.pos]!;
      if (WHITE[c]) {
        this.pos++;
      } else if (c === 0x25 /* % */) {
        while (this.pos < this.limit && b[this.pos] !== 0x0a && b[this.pos] !== 0x0d) this.pos++;
      } else {
        return;
      }
    }
  }

  /** The next regular-character run (a number or keyword), without consuming delimiters. */
  private word(): string {
    const start = this.pos;
    while (this.pos < this.limit && isRegular(this.bytes[this.pos])) this.pos++;
    return latin1(this.bytes, start, this.pos);
  }

  /** Reads a non-negative integer token, or returns null (position restored). */
  peekUnsigned(): number | null {
    const saved = this.pos;
    this.skipWhite();
    const start = this.pos;
    let value = 0;
    while (this.pos < this.limit) {
      const c = this.bytes[this.pos]!;
      if (c < 0x30 || c > 0x39) break;
      value = value * 10 + (c - 0x30);
      this.pos++;
    }
    if (this.pos === start || this.pos - start > 15 || isRegular(this.bytes[this.pos])) {
      this.pos = saved;
      return null;
    }
    return value;
  }

  /** Expects `keyword` (after white-space); returns whether it was there (consumed if so). */
  expectKeyword(keyword: string): boolean {
    const saved = this.pos;
    this.skipWhite();
    const b = this.bytes;
    const n = keyword.length;
    if (this.pos + n > this.limit) {
      this.pos = saved;
      return false;
    }
    for (let i = 0; i < n; i++) {
      if (b[this.pos + i] !== keyword.charCodeAt(i)) {
        this.pos = saved;
        return false;
      }
    }
    if (this.pos + n < this.limit && isRegular(b[this.pos + n])) {
      this.pos = saved;
      return false;
    }
    this.pos += n;
    return true;
  }

  /**
   * Reads one object. References `N G R` are recognised by look-ahead. Returns a Keyword for
   * `stream`, `endobj`, `obj` etc. only when `allowKeyword` (the indirect-object reader uses it).
   */
  readObject(depth = 0, allowKeyword = false): PdfObject | Keyword {
    if (depth > MAX_NESTING) throw new PdfSyntaxError('objects nested too deeply');
    this.skipWhite();
    if (this.pos >= this.limit) throw new PdfSyntaxError('unexpected end of data');
    const b = this.bytes;
    const c = b[this.pos]!;
    switch (c) {
      case 0x2f /* / */:
        return this.readName();
      case 0x28 /* ( */:
        return this.readLiteralString();
      case 0x3c /* < */:
        if (b[this.pos + 1] === 0x3c) return this.readDict(depth);
        return this.readHexString();
      case 0x5b /* [ */: {
        this.pos++;
        const items: PdfObject[] = [];
        for (;;) {
          this.skipWhite();
          if (this.pos >= this.limit) throw new PdfSyntaxError('unterminated array');
          if (b[this.pos] === 0x5d /* ] */) {
            this.pos++;
            return items;
          }
          if (items.length >= MAX_CONTAINER_ITEMS) throw new PdfSyntaxError('array too large');
          const item = this.readObject(depth + 1);
          if (item instanceof Keyword) throw new PdfSyntaxError(`unexpected ${item.value} in array`);
          items.push(item);
        }
      }
      case 0x5d:
      case 0x3e:
      case 0x29:
      case 0x7b:
      case 0x7d:
        throw new PdfSyntaxError(`unexpected '${String.fromCharCode(c)}'`);
      default:
        break;
    }
    if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e) return this.readNumberOrRef();
    const start = this.pos;
    const word = this.word();
    if (word.length === 0) throw new PdfSyntaxError('unexpected character');
    switch (word) {
      case 'true':
        return true;
      case 'false':
        return false;
      case 'null':
        return null;
      default:
        if (allowKeyword) return new Keyword(word);
        this.pos = start;
        throw new PdfSyntaxError(`unexpected keyword '${word.slice(0, 20)}'`);
    }
  }

  /** ISO 32000-2 §7.3.3 numbers, and `N G R` references (§7.3.10) by look-ahead, without building strings. */
  private readNumberOrRef(): number | PdfRef {
    const b = this.bytes;
    const start = this.pos;
    let integer = 0;
    let digits = 0;
    let simple = true;
    if (b[this.pos] === 0x2b || b[this.pos] === 0x2d) {
      simple = false;
      this.pos++;
    }
    while (this.pos < this.limit) {
      const d = b[this.pos]!;
      if (d >= 0x30 && d <= 0x39) {
        integer = integer * 10 + (d - 0x30);
        digits++;
        this.pos++;
      } else if (d === 0x2e) {
        simple = false;
        this.pos++;
        while (this.pos < this.limit && b[this.pos]! >= 0x30 && b[this.pos]! <= 0x39) {
          digits++;
          this.pos++;
        }
        break;
      } else break;
    }
    if (digits === 0 || isRegular(b[this.pos])) throw new PdfSyntaxError('bad number');
    if (!simple) {
      const value = Number(latin1(b, start, this.pos));
      if (!Number.isFinite(value)) throw new PdfSyntaxError('bad number');
      return value;
    }
    if (digits <= 10) {
      const saved = this.pos;
      const gen = this.peekUnsigned();
      if (gen !== null && this.expectKeyword('R')) return new PdfRef(integer, gen);
      this.pos = saved;
    }
    return integer;
  }

  private readName(): PdfName {
    const b = this.bytes;
    this.pos++; // '/'
    const start = this.pos;
    let escaped = false;
    while (this.pos < this.limit && isRegular(b[this.pos])) {
      if (b[this.pos] === 0x23 /* # */) escaped = true;
      this.pos++;
    }
    if (this.pos - start > 4096) throw new PdfSyntaxError('name too long');
    if (!escaped) return PdfName.of(latin1(b, start, this.pos));
    const out: number[] = [];
    for (let i = start; i < this.pos; ) {
      const c = b[i]!;
      if (c === 0x23 && i + 2 < this.pos && HEX_VALUE[b[i + 1] ?? 0]! >= 0 && HEX_VALUE[b[i + 2] ?? 0]! >= 0) {
        out.push(HEX_VALUE[b[i + 1]!]! * 16 + HEX_VALUE[b[i + 2]!]!);
        i += 3;
      } else {
        out.push(c);
        i++;
      }
    }
    return PdfName.of(Buffer.from(out).toString('latin1'));
  }

  /** §7.3.4.2: balanced parentheses, backslash escapes, end-of-line normalisation. */
  private readLiteralString(): PdfString {
    const b = this.bytes;
    const start = this.pos;
    this.pos++;
    const out: number[] = [];
    let nesting = 1;
    while (this.pos < this.limit) {
      const c = b[this.pos++]!;
      if (c === 0x5c /* \ */) {
        if (this.pos >= this.limit) break;
        const e = b[this.pos++]!;
        switch (e) {
          case 0x6e: out.push(0x0a); break; // n
          case 0x72: out.push(0x0d); break; // r
          case 0x74: out.push(0x09); break; // t
          case 0x62: out.push(0x08); break; // b
          case 0x66: out.push(0x0c); break; // f
          case 0x0d: // line continuation
            if (b[this.pos] === 0x0a) this.pos++;
            break;
          case 0x0a:
            break;
          default:
            if (e >= 0x30 && e <= 0x37) {
              let value = e - 0x30;
              for (let i = 0; i < 2 && this.pos < this.limit && b[this.pos]! >= 0x30 && b[this.pos]! <= 0x37; i++) {
                value = value * 8 + (b[this.pos++]! - 0x30);
              }
              out.push(value & 0xff);
            } else {
              out.push(e);
            }
        }
      } else if (c === 0x28) {
        nesting++;
        out.push(c);
      } else if (c === 0x29) {
        if (--nesting === 0) return new PdfString(Uint8Array.from(out), false, start, this.pos);
        out.push(c);
      } else if (c === 0x0d) {
        out.push(0x0a);
        if (b[this.pos] === 0x0a) this.pos++;
      } else {
        out.push(c);
      }
    }
    throw new PdfSyntaxError('unterminated string');
  }

  /** §7.3.4.3: hex digits and white-space; an odd final digit is followed by 0. */
  private readHexString(): PdfString {
    const b = this.bytes;
    const start = this.pos;
    this.pos++;
    const end = indexOfByte(b, 0x3e, this.pos, this.limit);
    if (end < 0) throw new PdfSyntaxError('unterminated hex string');
    // Fast path (signature /Contents are kilobytes of hex): node decodes until the first
    // non-hex character, so a full-length result means every character was a hex digit.
    const digits = end - this.pos;
    if (digits % 2 === 0) {
      const decoded = Buffer.from(latin1(b, this.pos, end), 'hex');
      if (decoded.length * 2 === digits) {
        this.pos = end + 1;
        return new PdfString(decoded, true, start, this.pos);
      }
    }
    const out = new Uint8Array((end - this.pos + 1) >> 1);
    let n = 0;
    let high = -1;
    for (let i = this.pos; i < end; i++) {
      const c = b[i]!;
      const v = HEX_VALUE[c]!;
      if (v < 0) {
        if (WHITE[c]) continue;
        throw new PdfSyntaxError('bad character in hex string');
      }
      if (high < 0) high = v;
      else {
        out[n++] = high * 16 + v;
        high = -1;
      }
    }
    if (high >= 0) out[n++] = high * 16;
    this.pos = end + 1;
    return new PdfString(out.subarray(0, n), true, start, this.pos);
  }

  private readDict(depth: number): PdfDict {
    const b = this.bytes;
    this.pos += 2;
    const entries = new Map<string, PdfObject>();
    const seen = new Set<string>();
    let duplicates: string[] | undefined;
    for (;;) {
      this.skipWhite();
      if (this.pos >= this.limit) throw new PdfSyntaxError('unterminated dictionary');
      if (b[this.pos] === 0x3e && b[this.pos + 1] === 0x3e) {
        this.pos += 2;
        return new PdfDict(entries, duplicates);
      }
      if (b[this.pos] !== 0x2f) throw new PdfSyntaxError('dictionary key is not a name');
      if (entries.size >= MAX_CONTAINER_ITEMS) throw new PdfSyntaxError('dictionary too large');
      const key = this.readName().value;
      if (seen.has(key)) (duplicates ??= []).push(key);
      seen.add(key);
      const value = this.readObject(depth + 1);
      if (value instanceof Keyword) throw new PdfSyntaxError(`unexpected ${value.value} in dictionary`);
      // §7.3.7: a null value is the same as an absent entry. The last of duplicate keys wins
      // here; readers differ (a known ambiguity), so modification analysis compares whole values.
      if (value === null) entries.delete(key);
      else entries.set(key, value);
    }
  }
}

/** `bytes.indexOf(byte, from)` bounded by `limit`. */
export function indexOfByte(bytes: Uint8Array, byte: number, from: number, limit: number): number {
  const at = bytes.indexOf(byte, from);
  return at >= 0 && at < limit ? at : -1;
}

/** The first occurrence of an ASCII pattern in `[from, limit)`, or -1. */
export function indexOfAscii(bytes: Uint8Array, pattern: string, from: number, limit = bytes.length): number {
  const needle = Buffer.from(pattern, 'latin1');
  const haystack = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = haystack.indexOf(needle, from);
  return at >= 0 && at + needle.length <= limit ? at : -1;
}

/** The last occurrence of an ASCII pattern starting before `before`, or -1. */
export function lastIndexOfAscii(bytes: Uint8Array, pattern: string, before: number): number {
  const haystack = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return before < 0 ? -1 : haystack.lastIndexOf(Buffer.from(pattern, 'latin1'), before);
}

export function latin1(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 32) {
    // Names and keywords: cheaper than a Buffer view for a few characters.
    let out = '';
    for (let i = start; i < end; i++) out += String.fromCharCode(bytes[i]!);
    return out;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

/** A parsed indirect object and where it lies in the file. */
export interface IndirectObject {
  readonly num: number;
  readonly gen: number;
  readonly value: PdfObject;
  /** Offset of `N G obj`. */
  readonly start: number;
  /** One past the object's value (or `endstream`). */
  readonly end: number;
}

/**
 * Reads `N G obj … endobj` at `offset` (ISO 32000-2 §7.3.10), including a stream (§7.3.8.1:
 * `stream` then CRLF or LF, the data, EOL, `endstream`). The data's extent comes from a
 * direct /Length when `endstream` follows it, else from the next `endstream`; an indirect
 * /Length is not followed (it could point anywhere, including into the stream itself).
 *
 * @throws PdfSyntaxError when the bytes at `offset` are not object `expectedNum expectedGen`.
 */
export function readIndirectObject(bytes: Uint8Array, offset: number, expectedNum: number, expectedGen: number): IndirectObject {
  const lexer = new PdfLexer(bytes, offset);
  const num = lexer.peekUnsigned();
  const gen = num === null ? null : lexer.peekUnsigned();
  if (num === null || gen === null || !lexer.expectKeyword('obj')) throw new PdfSyntaxError(`no object at offset ${offset}`);
  if (num !== expectedNum || gen !== expectedGen) {
    throw new PdfSyntaxError(`offset ${offset} holds object ${num} ${gen}, not ${expectedNum} ${expectedGen}`);
  }
  const value = lexer.readObject(0, true);
  if (value instanceof Keyword) throw new PdfSyntaxError(`object ${num} starts with '${value.value}'`);
  const afterValue = lexer.pos;
  if (value instanceof PdfDict && lexer.expectKeyword('stream')) {
    let dataStart = lexer.pos;
    if (bytes[dataStart] === 0x0d && bytes[dataStart + 1] === 0x0a) dataStart += 2;
    else if (bytes[dataStart] === 0x0a || bytes[dataStart] === 0x0d) dataStart += 1;
    const declared = value.get('Length');
    let dataEnd = -1;
    if (typeof declared === 'number' && Number.isSafeInteger(declared) && declared >= 0 && dataStart + declared <= bytes.length) {
      const after = new PdfLexer(bytes, dataStart + declared);
      if (after.expectKeyword('endstream')) dataEnd = dataStart + declared;
    }
    if (dataEnd < 0) {
      const endstream = indexOfAscii(bytes, 'endstream', dataStart);
      if (endstream < 0) throw new PdfSyntaxError(`stream of object ${num} has no endstream`);
      dataEnd = endstream;
      if (bytes[dataEnd - 1] === 0x0a) dataEnd--;
      if (bytes[dataEnd - 1] === 0x0d) dataEnd--;
      if (dataEnd < dataStart) dataEnd = dataStart;
    }
    const endstreamAt = indexOfAscii(bytes, 'endstream', dataEnd);
    return { num, gen, value: new PdfStream(value, bytes, dataStart, dataEnd), start: offset, end: endstreamAt + 'endstream'.length };
  }
  return { num, gen, value, start: offset, end: afterValue };
}

// ---------------------------------------------------------------------------------------
// Small accessors
// ---------------------------------------------------------------------------------------

export function nameOf(object: PdfObject | undefined): string | null {
  return object instanceof PdfName ? object.value : null;
}

export function isInteger(object: PdfObject | undefined): object is number {
  return typeof object === 'number' && Number.isSafeInteger(object);
}

/** Deep structural equality of two objects (references compare by number and generation, streams by dictionary and raw bytes). */
export function sameObject(a: PdfObject | undefined, b: PdfObject | undefined, depth = 0): boolean {
  if (depth > MAX_NESTING) return false;
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (a instanceof PdfName || b instanceof PdfName) return a instanceof PdfName && b instanceof PdfName && a.value === b.value;
  if (a instanceof PdfString) return b instanceof PdfString && Buffer.compare(a.bytes, b.bytes) === 0;
  if (a instanceof PdfRef) return b instanceof PdfRef && a.num === b.num && a.gen === b.gen;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameObject(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (a instanceof PdfStream) {
    return b instanceof PdfStream && sameDict(a.dict, b.dict, depth, ['Length']) && Buffer.compare(a.raw(), b.raw()) === 0;
  }
  if (a instanceof PdfDict) return b instanceof PdfDict && sameDict(a, b, depth, []);
  return false;
}

function sameDict(a: PdfDict, b: PdfDict, depth: number, ignore: string[]): boolean {
  const keys = (d: PdfDict) => [...d.entries.keys()].filter((key) => !ignore.includes(key));
  const ka = keys(a);
  if (ka.length !== keys(b).length) return false;
  for (const key of ka) if (!sameObject(a.get(key), b.get(key), depth + 1)) return false;
  return true;
}

/** Keys whose values differ between two dictionaries (present in one only, or unequal). */
export function changedKeys(a: PdfDict, b: PdfDict): string[] {
  const keys = new Set([...a.entries.keys(), ...b.entries.keys()]);
  return [...keys].filter((key) => !sameObject(a.get(key), b.get(key)));
}
