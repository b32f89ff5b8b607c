/**
 * Finding signatures in a PDF and checking what they cover (ISO 32000-2 §12.7.5.5 signature
 * fields, §12.8.1 signature dictionaries and byte ranges), and reading the Document
 * Security Store (§12.8.4.3, ETSI EN 319 142-1 §5.4.2).
 *
 * Signatures are collected from the AcroForm of every revision, not only the newest: a
 * signature that a later update dropped from the form is still reported (and fails), so an
 * update cannot quietly make a signed document look unsigned-then-resigned.
 *
 * Byte range rules (defences against Universal Signature Forgery and Signature Wrapping,
 * Mladenov et al., "1 Trillion Dollar Refund", CCS 2019): /ByteRange is four non-negative
 * integers `[0 a b c]`; the gap `[a, b)` is exactly this dictionary's /Contents hex string
 * (delimiters included, nothing else in it); `b + c` ends a revision (right after its
 * %%EOF); the signature dictionary itself lies inside the signed bytes and is the
 * definition that revision's cross-reference uses.
 */
import { createHash } from 'node:crypto';
import type { PdfFile, Revision } from './pdf-file.js';
import { isInteger, nameOf, PdfDict, PdfRef, PdfStream, PdfString, type IndirectObject, type PdfObject } from './pdf-syntax.js';

export interface FoundSignature {
  readonly fieldName: string;
  /** The signature dictionary's object number, or null for a direct dictionary. */
  readonly dictionaryNumber: number | null;
  readonly dictionary: PdfDict;
  readonly location: IndirectObject | null;
  /** The field dictionary (for /Lock). */
  readonly field: PdfDict;
  readonly kind: 'signature' | 'document-timestamp';
  readonly subFilter: string | null;
  /** Whether the newest revision's form still has it. */
  readonly inLastRevision: boolean;
  /** The revision (index) whose form it was taken from. */
  readonly seenIn: number;
}

const MAX_FIELD_NODES = 20_000;

/** Signed signature fields of every revision, newest definition first, one per signature dictionary. */
export function findSignatures(file: PdfFile, maxSignatures: number): { signatures: FoundSignature[]; truncated: boolean } {
  const byKey = new Map<string, FoundSignature>();
  let truncated = false;
  for (let r = file.revisions.length - 1; r >= 0; r--) {
    const revision = file.revisions[r]!;
    for (const found of signatureFieldsOf(file, revision)) {
      const key = found.dictionaryNumber !== null ? `n${found.dictionaryNumber}` : `f${found.fieldName}@${found.location?.start ?? r}`;
      if (byKey.has(key)) continue;
      if (byKey.size >= maxSignatures) {
        truncated = true;
        break;
      }
      byKey.set(key, { ...found, inLastRevision: r === file.revisions.length - 1, seenIn: r });
    }
  }
  return { signatures: [...byKey.values()], truncated };
}

/** Walks /AcroForm /Fields and /Kids (ISO 32000-2 §12.7.4): /FT is inheritable, names join with `.`. */
function signatureFieldsOf(file: PdfFile, revision: Revision): Omit<FoundSignature, 'inLastRevision' | 'seenIn'>[] {
  const { dict: catalog } = file.catalog(revision);
  const acroForm = catalog ? file.dict(revision, catalog.get('AcroForm')) : undefined;
  const fields = acroForm ? file.array(revision, acroForm.get('Fields')) : undefined;
  const out: Omit<FoundSignature, 'inLastRevision' | 'seenIn'>[] = [];
  if (!fields) return out;
  const seen = new Set<PdfObject>();
  const visit = (entry: PdfObject, parentName: string, inheritedType: string | null, depth: number): void => {
    if (depth > 32 || seen.size >= MAX_FIELD_NODES) return;
    const field = file.dict(revision, entry);
    if (!field || seen.has(field)) return;
    seen.add(field);
    const partial = field.get('T');
    const partialName = partial instanceof PdfString ? partial.text() : null;
    const name = partialName === null ? parentName : parentName ? `${parentName}.${partialName}` : partialName;
    const type = nameOf(file.resolve(revision, field.get('FT'))) ?? inheritedType;
    for (const kid of file.array(revision, field.get('Kids')) ?? []) visit(kid, name, type, depth + 1);
    if (type !== 'Sig') return;
    const value = field.get('V');
    const dictionary = file.dict(revision, value);
    if (!dictionary) return;
    const lookup = value instanceof PdfRef ? file.lookup(revision, value.num) : null;
    const sigType = nameOf(dictionary.get('Type'));
    const subFilter = nameOf(dictionary.get('SubFilter'));
    out.push({
      fieldName: name,
      dictionaryNumber: value instanceof PdfRef ? value.num : null,
      dictionary,
      location: lookup?.kind === 'ok' ? lookup.location : null,
      field,
      kind: sigType === 'DocTimeStamp' || subFilter === 'ETSI.RFC3161' ? 'document-timestamp' : 'signature',
      subFilter,
    });
  };
  for (const entry of fields) visit(entry, '', null, 0);
  return out;
}

export type Coverage =
  | {
      readonly ok: true;
      readonly byteRange: readonly [number, number, number, number];
      readonly revision: Revision;
      /** The DER from /Contents (all its bytes; the first TLV is the CMS). */
      readonly contents: Uint8Array;
    }
  | { readonly ok: false; readonly byteRange: readonly number[]; readonly revision: Revision | null; readonly problem: string };

/** Applies the byte range rules of the module comment to one signature. */
export function checkCoverage(file: PdfFile, signature: FoundSignature): Coverage {
  const bytes = file.bytes;
  const rangeValue = signature.dictionary.get('ByteRange');
  const raw = Array.isArray(rangeValue) ? rangeValue.filter((v): v is number => typeof v === 'number') : [];
  const fail = (problem: string, revision: Revision | null = null): Coverage => ({ ok: false, byteRange: raw, revision, problem });
  if (!Array.isArray(rangeValue) || rangeValue.length !== 4 || !rangeValue.every((v) => isInteger(v) && v >= 0)) {
    return fail('/ByteRange is missing or is not four non-negative integers');
  }
  if (signature.dictionary.duplicateKeys.length > 0) {
    return fail(`the signature dictionary has duplicate keys (${signature.dictionary.duplicateKeys.map((k) => `/${k}`).join(' ')}): readers may disagree on its values`);
  }
  const [start, a, b, c] = rangeValue as [number, number, number, number];
  if (start !== 0) return fail('/ByteRange does not start at the beginning of the file');
  if (a <= 0 || b <= a + 1 || b + c > bytes.length) return fail('/ByteRange does not describe two ranges within the file around a gap');
  const end = b + c;
  const revision = file.revisions.find((candidate) => end >= candidate.eofEnd && end <= candidate.end) ?? null;
  if (!revision) return fail('/ByteRange does not end where a revision ends (right after a %%EOF)');

  const contents = signature.dictionary.get('Contents');
  if (!(contents instanceof PdfString)) return fail('/Contents is missing or is not a string', revision);
  if (!signature.location) return fail('the signature dictionary is not an indirect object in the file (it must not be in an object stream)', revision);
  if (contents.start !== a || contents.end !== b) return fail('the /ByteRange gap is not exactly this signature\'s /Contents string', revision);
  // The token [a, b) was read as a hexadecimal string, so the gap holds hex digits and
  // white-space only (the lexer refuses anything else): nothing else can hide in it.
  if (!contents.hex || bytes[a] !== 0x3c || bytes[b - 1] !== 0x3e) return fail('/Contents is not a hexadecimal string', revision);
  const { start: dictStart, end: dictEnd } = signature.location;
  if (!(dictStart < a && dictEnd > b && dictEnd <= end)) return fail('the signature dictionary (with its /ByteRange) is not inside the signed bytes', revision);
  if (signature.dictionaryNumber !== null) {
    const seen = file.lookup(revision, signature.dictionaryNumber);
    if (seen.kind !== 'ok' || seen.location?.start !== dictStart) {
      return fail('the signed revision uses another definition of the signature dictionary', revision);
    }
  }
  if (contents.bytes.length === 0) return fail('/Contents is empty', revision);
  return { ok: true, byteRange: [start, a, b, c], revision, contents: contents.bytes };
}

/** Document Security Store items, DER each. */
export interface DssContent {
  readonly certificates: readonly Uint8Array[];
  readonly ocspResponses: readonly Uint8Array[];
  readonly crls: readonly Uint8Array[];
  /** VRI keys (upper-case hex SHA-1 of a signature's /Contents). */
  readonly vriKeys: ReadonlySet<string>;
}

const EMPTY_DSS: DssContent = Object.freeze({ certificates: [], ocspResponses: [], crls: [], vriKeys: new Set<string>() });
const MAX_DSS_ITEMS = 10_000;

/**
 * The DSS of `revision` (ISO 32000-2 §12.8.4.3 Tables 260-261): /Certs, /OCSPs and /CRLs
 * of the DSS and of each /VRI entry, deduplicated. Unreadable streams are skipped.
 */
export function readDss(file: PdfFile, revision: Revision): DssContent {
  const { dict: catalog } = file.catalog(revision);
  const dss = catalog ? file.dict(revision, catalog.get('DSS')) : undefined;
  if (!dss) return EMPTY_DSS;
  const seen = new Set<string>();
  let count = 0;
  const collect = (holder: PdfDict | undefined, key: string, into: Uint8Array[]) => {
    for (const entry of (holder && file.array(revision, holder.get(key))) ?? []) {
      if (++count > MAX_DSS_ITEMS) return;
      const stream = file.resolve(revision, entry);
      if (!(stream instanceof PdfStream)) continue;
      try {
        const data = file.decode(revision, stream);
        const id = createHash('sha256').update(data).digest('base64');
        if (seen.has(id)) continue;
        seen.add(id);
        into.push(data);
      } catch {
        // An undecodable entry is simply not validation data.
      }
    }
  };
  const certificates: Uint8Array[] = [];
  const ocspResponses: Uint8Array[] = [];
  const crls: Uint8Array[] = [];
  collect(dss, 'Certs', certificates);
  collect(dss, 'OCSPs', ocspResponses);
  collect(dss, 'CRLs', crls);
  const vri = file.dict(revision, dss.get('VRI'));
  const vriKeys = new Set<string>();
  for (const [key, value] of vri?.entries ?? []) {
    if (vriKeys.size >= MAX_DSS_ITEMS) break;
    vriKeys.add(key.toUpperCase());
    const entry = file.dict(revision, value);
    collect(entry, 'Cert', certificates);
    collect(entry, 'OCSP', ocspResponses);
    collect(entry, 'CRL', crls);
  }
  return { certificates, ocspResponses, crls, vriKeys };
}

/** The claimed signing time /M (ISO 32000-2 §7.9.4 date string), or null. */
export function pdfDate(value: PdfObject | undefined): Date | null {
  if (!(value instanceof PdfString)) return null;
  const match = /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz+-])?(\d{2})?'?(\d{2})?'?/.exec(value.text());
  if (!match) return null;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', sign, oh = '00', om = '00'] = match;
  let time = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (sign === '+' || sign === '-') time -= (sign === '+' ? 1 : -1) * (Number(oh) * 60 + Number(om)) * 60_000;
  return Number.isNaN(time) ? null : new Date(time);
}
