/**
 * Reading helpers on top of the DER reader in pki/der.ts for the structures validation takes
 * apart: times (RFC 5280 §4.1.2.5), distinguished names (§4.1.2.4) as RFC 4514 strings, and
 * AlgorithmIdentifiers. All throw DerError on malformed input.
 */
import { children, content, DerError, oidString as oidStringSlow, readTlv, TAG, whole, type Tlv } from '../pki/der.js';

export { children, content, DerError, readTlv, TAG, whole, type Tlv };

const oidCache = new Map<string, string>();

/**
 * Dotted form of an OBJECT IDENTIFIER (X.690 §8.19), memoised: validation meets the same
 * few dozen OIDs in every document, and pki/der.ts decodes with BigInt for arbitrary arcs.
 */
export function oidString(t: Tlv): string {
  if (t.tag !== TAG.oid) throw new DerError('expected an OBJECT IDENTIFIER');
  const body = t.bytes.subarray(t.contentStart, t.contentEnd);
  const key = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1');
  let dotted = oidCache.get(key);
  if (dotted === undefined) {
    dotted = oidStringSlow(t);
    if (oidCache.size < 4096) oidCache.set(key, dotted);
  }
  return dotted;
}

export const UTC_TIME = 0x17;
export const GENERALIZED_TIME = 0x18;

/** Reads exactly one TLV spanning all of `bytes`. */
export function readWhole(bytes: Uint8Array, what: string): Tlv {
  const tlv = readTlv(bytes);
  if (tlv.end !== bytes.length) throw new DerError(`${what}: bytes after the value`);
  return tlv;
}

export function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv || tlv.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}`);
  return tlv;
}

export function sequenceItems(tlv: Tlv | undefined, what: string): Tlv[] {
  return children(expectTag(tlv, TAG.sequence, what));
}

/**
 * UTCTime (YYMMDDHHMMSSZ, years 1950–2049, RFC 5280 §4.1.2.5.1) or GeneralizedTime
 * (YYYYMMDDHHMMSS[.f]Z, §4.1.2.5.2; RFC 3161 genTime may carry fractions). Only `Z` times.
 */
export function readTime(tlv: Tlv | undefined, what: string): Date {
  if (!tlv) throw new DerError(`${what}: missing time`);
  const text = Buffer.from(content(tlv)).toString('latin1');
  let match: RegExpExecArray | null;
  let year: number;
  if (tlv.tag === UTC_TIME) {
    match = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(text);
    if (!match) throw new DerError(`${what}: bad UTCTime`);
    const yy = Number(match[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (tlv.tag === GENERALIZED_TIME) {
    match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:[.,](\d{1,9}))?Z$/.exec(text);
    if (!match) throw new DerError(`${what}: bad GeneralizedTime`);
    year = Number(match[1]);
  } else {
    throw new DerError(`${what}: not a time`);
  }
  const millis = tlv.tag === GENERALIZED_TIME && match[7] ? Math.floor(Number(`0.${match[7]}`) * 1000) : 0;
  const time = Date.UTC(year, Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6] ?? 0), millis);
  if (Number.isNaN(time)) throw new DerError(`${what}: bad time`);
  return new Date(time);
}

/** Short names of attribute types (RFC 4514 §3 plus the ones our certificates use). */
const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.42': 'GN',
  '2.5.4.97': 'organizationIdentifier',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

/** One attribute of a Name, in encoding order. */
export interface NameAttribute {
  readonly type: string;
  readonly value: string;
}

/** `Name ::= SEQUENCE OF RelativeDistinguishedName`, `RDN ::= SET OF AttributeTypeAndValue`. */
export function readName(tlv: Tlv): NameAttribute[] {
  const out: NameAttribute[] = [];
  for (const rdn of sequenceItems(tlv, 'Name')) {
    for (const atv of children(expectTag(rdn, TAG.set, 'RelativeDistinguishedName'))) {
      const [type, value] = sequenceItems(atv, 'AttributeTypeAndValue');
      if (!type || !value) throw new DerError('bad AttributeTypeAndValue');
      const oid = oidString(type);
      out.push({ type: ATTRIBUTE_NAMES[oid] ?? oid, value: directoryString(value) });
    }
  }
  return out;
}

/** DirectoryString and friends (RFC 5280 §4.1.2.4): UTF8, Printable, IA5, Teletex (as Latin-1), BMP, Universal. */
function directoryString(tlv: Tlv): string {
  const bytes = content(tlv);
  switch (tlv.tag) {
    case 0x0c: // UTF8String
      return Buffer.from(bytes).toString('utf8');
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x1a: // VisibleString
    case 0x12: // NumericString
    case 0x14: // TeletexString
      return Buffer.from(bytes).toString('latin1');
    case 0x1e: // BMPString
      return bytes.length % 2 === 0 ? Buffer.from(bytes).swap16().toString('utf16le') : `#${hex(whole(tlv))}`;
    case 0x1c: {
      // UniversalString (UCS-4 big-endian)
      let text = '';
      for (let i = 0; i + 4 <= bytes.length; i += 4) text += String.fromCodePoint(Buffer.from(bytes).readUInt32BE(i));
      return text;
    }
    default:
      return `#${Buffer.from(whole(tlv)).toString('hex')}`;
  }
}

/** RFC 4514 §2: RDNs most specific first, `,` between them, special characters escaped. */
export function nameToString(attributes: readonly NameAttribute[]): string {
  return [...attributes]
    .reverse()
    .map(({ type, value }) => `${type}=${escapeRfc4514(value)}`)
    .join(',');
}

function escapeRfc4514(value: string): string {
  return value
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, '\\ ');
}

/** `AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }`. */
export interface AlgorithmIdentifier {
  readonly oid: string;
  readonly parameters: Tlv | null;
}

export function readAlgorithm(tlv: Tlv | undefined, what: string): AlgorithmIdentifier {
  const [algorithm, parameters] = sequenceItems(tlv, what);
  if (!algorithm) throw new DerError(`${what}: empty AlgorithmIdentifier`);
  return { oid: oidString(algorithm), parameters: parameters ?? null };
}

/** Lower-case hex of INTEGER content octets, leading redundant sign octets dropped (X.690 §8.3.2). */
export function integerHex(tlv: Tlv | undefined, what: string): string {
  const octets = content(expectTag(tlv, TAG.integer, what));
  if (octets.length === 0) throw new DerError(`${what}: empty INTEGER`);
  let start = 0;
  while (start < octets.length - 1 && octets[start] === 0 && octets[start + 1]! < 0x80) start++;
  return Buffer.from(octets.subarray(start)).toString('hex');
}

/** A small non-negative INTEGER or ENUMERATED. */
export function smallInteger(tlv: Tlv | undefined, what: string): number {
  if (!tlv || (tlv.tag !== TAG.integer && tlv.tag !== 0x0a)) throw new DerError(`${what}: expected an INTEGER`);
  const octets = content(tlv);
  if (octets.length === 0 || octets.length > 4 || octets[0]! >= 0x80) throw new DerError(`${what}: out of range`);
  let value = 0;
  for (const octet of octets) value = value * 256 + octet;
  return value;
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

const ZEROS = new Uint8Array(65536);

/** Whether every octet is 0 (a zero-padded /Contents hole), by native comparison in 64 KB blocks. */
export function isAllZero(bytes: Uint8Array): boolean {
  for (let offset = 0; offset < bytes.length; offset += ZEROS.length) {
    const block = bytes.subarray(offset, offset + ZEROS.length);
    if (Buffer.compare(block, ZEROS.subarray(0, block.length)) !== 0) return false;
  }
  return true;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
