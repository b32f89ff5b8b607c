/**
 * Reading the interactive form (ISO 32000-2 §12.7): the fully qualified names of the fields
 * already there, and the signature fields with their signature dictionaries (§12.7.5.5,
 * §12.8.1).
 */
import { PDFNumber, PDFRef, type PDFArray, type PDFDict, type PDFObject } from '@cantoo/pdf-lib';
import { arrayAt, dictAt, N, nameOf, textOf } from './pdf-objects.js';
import type { PdfRevision } from './pdf-revision.js';

/** A signature field's value: a signature or document time-stamp dictionary. */
export interface SignatureEntry {
  readonly fieldName: string;
  /** The signature dictionary. */
  readonly dictionary: PDFDict;
  readonly dictionaryRef: PDFRef | null;
  /** /Type: `Sig` or `DocTimeStamp` (ISO 32000-2 Table 255). */
  readonly type: string | null;
  readonly subFilter: string | null;
  /** /ByteRange as read, or null when it is missing or not four numbers. */
  readonly byteRange: readonly number[] | null;
}

export interface FormFields {
  /** Fully qualified names of every field (§12.7.4.2). */
  readonly names: ReadonlySet<string>;
  /** Signed signature fields (those with a /V), in /Fields order. */
  readonly signatures: readonly SignatureEntry[];
}

/** Bounds the walk over /Kids, which untrusted files may make cyclic or huge. */
const MAX_FIELDS = 10_000;

/**
 * Walks /AcroForm /Fields and their /Kids. /FT is inheritable (ISO 32000-2 Table 226), so a
 * widget kid of a signature field counts as one. Signature dictionaries are taken as they
 * are in the latest revision; their bytes are checked in signature-integrity.ts.
 */
export function readFormFields(revision: PdfRevision): FormFields {
  const { context } = revision;
  const acroForm = dictAt(context, revision.catalog.get(N('AcroForm')));
  const names = new Set<string>();
  const signatures: SignatureEntry[] = [];
  const fields = acroForm ? arrayAt(context, acroForm.get(N('Fields'))) : undefined;
  if (!fields) return { names, signatures };

  const seen = new Set<PDFObject>();
  const visit = (entry: PDFObject, parentName: string, inheritedType: string | null): void => {
    const field = dictAt(context, entry);
    if (!field || seen.has(field) || seen.size >= MAX_FIELDS) return;
    seen.add(field);
    const partial = textOf(field.get(N('T')));
    const name = partial === null ? parentName : parentName ? `${parentName}.${partial}` : partial;
    const fieldType = nameOf(field.get(N('FT'))) ?? inheritedType;
    if (name) names.add(name);
    const kids = arrayAt(context, field.get(N('Kids')));
    if (kids) {
      for (let i = 0; i < kids.size(); i++) visit(kids.get(i), name, fieldType);
    }
    if (fieldType === 'Sig') {
      const value = field.get(N('V'));
      const dictionary = dictAt(context, value);
      if (dictionary) {
        signatures.push({
          fieldName: name,
          dictionary,
          dictionaryRef: value instanceof PDFRef ? value : null,
          type: nameOf(dictionary.get(N('Type'))),
          subFilter: nameOf(dictionary.get(N('SubFilter'))),
          byteRange: byteRangeOf(arrayAt(context, dictionary.get(N('ByteRange')))),
        });
      }
    }
  };
  for (let i = 0; i < fields.size(); i++) visit(fields.get(i), '', null);
  return { names, signatures };
}

function byteRangeOf(array: PDFArray | undefined): number[] | null {
  if (!array || array.size() !== 4) return null;
  const values = array.asArray().map((item) => (item instanceof PDFNumber ? item.asNumber() : NaN));
  return values.every((v) => Number.isSafeInteger(v) && v >= 0) ? values : null;
}
