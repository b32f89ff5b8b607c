/**
 * Just enough ASN.1 (X.690) for what we emit by hand (CAdES in PAdES, OCSP responses): a DER
 * writer, and a TLV reader for the CMS, certificates and time-stamp tokens we pick apart. Hand-written rather than pkijs
 * because this is the hot path: building a CAdES SignedData with pkijs/asn1js costs about
 * 4 ms (performance.md §6), these few functions about 20 µs.
 *
 * The reader accepts BER indefinite lengths (X.690 §8.1.3.6), since signatures already in a
 * PDF may come from any signer; the writer emits DER only (X.690 §10: definite, minimal lengths).
 */

// ---------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------

/** Octets in a plain ArrayBuffer, as WebCrypto wants them. */
export type Bytes = Uint8Array<ArrayBuffer>;

/** Universal tags and the context-specific tags used here. */
export const TAG = {
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  sequence: 0x30,
  set: 0x31,
  /** [n] constructed, context-specific: 0xa0 | n. */
  context: (n: number) => 0xa0 | n,
} as const;

/** One TLV with definite, minimal length octets. */
export function tlv(tag: number, ...contents: Uint8Array[]): Bytes {
  let length = 0;
  for (const part of contents) length += part.length;
  const header = lengthHeader(tag, length);
  const out = new Uint8Array(header.length + length);
  out.set(header);
  let offset = header.length;
  for (const part of contents) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function lengthHeader(tag: number, length: number): number[] {
  if (length < 0x80) return [tag, length];
  const octets: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  return [tag, 0x80 | octets.length, ...octets];
}

export const sequence = (...items: Uint8Array[]): Bytes => tlv(TAG.sequence, ...items);
export const octetString = (value: Uint8Array): Bytes => tlv(TAG.octetString, value);
/** INTEGER from its two's-complement content octets, written as given. */
export const integerFromOctets = (octets: Uint8Array): Bytes => tlv(TAG.integer, octets);
export const explicit = (tagNumber: number, inner: Uint8Array): Bytes => tlv(TAG.context(tagNumber), inner);
export const DER_NULL = Uint8Array.of(TAG.null, 0x00);

/** A small non-negative INTEGER (CMS versions). */
export function smallInteger(value: number): Bytes {
  if (!Number.isInteger(value) || value < 0 || value > 0x7f) throw new RangeError('only 0..127');
  return Uint8Array.of(TAG.integer, 1, value);
}

/** A non-negative INTEGER of any safe size, minimal (X.690 §8.3.2), with a 0x00 octet where the top bit is set. */
export function nonNegativeInteger(value: number): Bytes {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${value} is not a non-negative integer`);
  const octets: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  if (octets.length === 0 || octets[0]! & 0x80) octets.unshift(0);
  return tlv(TAG.integer, Uint8Array.from(octets));
}

/**
 * GeneralizedTime in UTC (X.690 §11.7): YYYYMMDDHHMMSS[.fff]Z. With `fraction` the
 * milliseconds are written without trailing zeros (and no point when they are zero), as DER
 * requires; without, the time is truncated to whole seconds.
 */
export function generalizedTime(date: Date, what: string, options: { fraction?: boolean } = {}): Bytes {
  if (Number.isNaN(date.getTime())) throw new RangeError(`${what} is not a valid date`);
  const iso = date.toISOString(); // YYYY-MM-DDTHH:mm:ss.sssZ for years 0000 to 9999
  if (!/^\d{4}-/.test(iso)) throw new RangeError(`${what} is outside the years 0000 to 9999`);
  const fraction = options.fraction ? iso.slice(19, 23).replace(/\.?0+$/, '') : '';
  return tlv(0x18, new TextEncoder().encode(`${iso.slice(0, 19).replace(/[-:T]/g, '')}${fraction}Z`));
}

/**
 * SET OF with its elements in ascending order of their encodings (X.690 §11.6). Signed
 * attributes are signed as DER (RFC 5652 §5.4), so a verifier that re-encodes sorts them.
 */
export function setOf(...elements: Uint8Array[]): Bytes {
  return tlv(TAG.set, ...[...elements].sort(compareOctets));
}

export function compareOctets(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

const oidCache = new Map<string, Uint8Array>();

/** OBJECT IDENTIFIER (X.690 §8.19), cached: the same dozen OIDs are written for every seal. */
export function oid(dotted: string): Uint8Array {
  let encoded = oidCache.get(dotted);
  if (!encoded) {
    const arcs = dotted.split('.').map((arc) => BigInt(arc));
    if (arcs.length < 2) throw new RangeError(`'${dotted}' is not an object identifier`);
    const body: number[] = [];
    const subidentifiers = [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)];
    for (const sub of subidentifiers) {
      const bytes = [Number(sub & 0x7fn)];
      for (let rest = sub >> 7n; rest > 0n; rest >>= 7n) bytes.unshift(Number(rest & 0x7fn) | 0x80);
      body.push(...bytes);
    }
    encoded = tlv(TAG.oid, Uint8Array.from(body));
    oidCache.set(dotted, encoded);
  }
  return encoded;
}

// ---------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------

/** One decoded TLV: where it lies in `bytes`. `end` is exclusive; for BER indefinite lengths it includes the end-of-contents octets. */
export interface Tlv {
  readonly bytes: Uint8Array;
  /** The identifier octet (single-octet tags only: tag numbers up to 30). */
  readonly tag: number;
  readonly start: number;
  /** First content octet. */
  readonly contentStart: number;
  /** One past the last content octet. */
  readonly contentEnd: number;
  /** One past the whole TLV. */
  readonly end: number;
}

export class DerError extends Error {}

/** Reads the TLV starting at `offset`; never reads beyond `limit`. */
export function readTlv(bytes: Uint8Array, offset = 0, limit = bytes.length, depth = 0): Tlv {
  if (depth > 64) throw new DerError('ASN.1 nested too deeply');
  if (offset + 2 > limit) throw new DerError('truncated ASN.1');
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-octet tags are not supported');
  let cursor = offset + 1;
  const first = bytes[cursor++]!;
  if (first === 0x80) {
    // BER indefinite length: the contents are TLVs up to an end-of-contents 00 00.
    if ((tag & 0x20) === 0) throw new DerError('indefinite length on a primitive');
    const contentStart = cursor;
    while (true) {
      if (cursor + 2 > limit) throw new DerError('missing end-of-contents');
      if (bytes[cursor] === 0 && bytes[cursor + 1] === 0) return { bytes, tag, start: offset, contentStart, contentEnd: cursor, end: cursor + 2 };
      cursor = readTlv(bytes, cursor, limit, depth + 1).end;
    }
  }
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count > 4 || cursor + count > limit) throw new DerError('bad length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[cursor++]!;
  }
  const contentEnd = cursor + length;
  if (contentEnd > limit) throw new DerError('truncated ASN.1');
  return { bytes, tag, start: offset, contentStart: cursor, contentEnd, end: contentEnd };
}

/** The TLVs inside a constructed TLV. */
export function children(parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let offset = parent.contentStart; offset < parent.contentEnd; ) {
    const child = readTlv(parent.bytes, offset, parent.contentEnd);
    out.push(child);
    offset = child.end;
  }
  return out;
}

/** The child TLVs, checking the parent's tag first. */
export function childrenOf(parent: Tlv | undefined, tag: number, what: string): Tlv[] {
  if (!parent || parent.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}`);
  return children(parent);
}

/** The whole TLV's bytes (a view, not a copy). */
export function whole(t: Tlv): Uint8Array {
  return t.bytes.subarray(t.start, t.end);
}

/** The content octets (a view). For a BER constructed string, the concatenated segments. */
export function content(t: Tlv): Uint8Array {
  if ((t.tag & 0x20) !== 0 && (t.tag === 0x24 || t.tag === 0x23)) {
    const parts = children(t).map(content);
    return Buffer.concat(parts);
  }
  return t.bytes.subarray(t.contentStart, t.contentEnd);
}

/** Dotted form of an OBJECT IDENTIFIER TLV. */
export function oidString(t: Tlv): string {
  if (t.tag !== TAG.oid) throw new DerError('expected an OBJECT IDENTIFIER');
  const body = content(t);
  const arcs: bigint[] = [];
  let value = 0n;
  for (const byte of body) {
    value = (value << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0n;
    }
  }
  if (arcs.length === 0) throw new DerError('empty OBJECT IDENTIFIER');
  const first = arcs[0]!;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}
