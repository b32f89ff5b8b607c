/**
 * The Document Security Store (ISO 32000-2 §12.8.4.3, ETSI EN 319 142-1 §5.4.2): validation
 * data kept in the PDF so a signature can be validated after its certificates expire or the
 * revocation services go away. The catalog's /DSS holds /Certs, /OCSPs and /CRLs, arrays of
 * streams with one DER certificate, OCSPResponse or CertificateList each. Adding it is an
 * incremental update after the signature (PAdES B-LT, ETSI EN 319 142-1 §6.3).
 *
 * Items already in an existing DSS are kept and not added twice. No /VRI: it is optional
 * (§5.4.2.2) and validators find the data through the arrays.
 */
import { createHash } from 'node:crypto';
import { decodePDFRawStream, PDFArray, PDFRawStream, PDFRef, type PDFObject } from '@cantoo/pdf-lib';
import { IncrementalUpdate } from './incremental-update.js';
import { arrayAt, dictAt, N, resolve } from './pdf-objects.js';
import type { PdfRevision } from './pdf-revision.js';

export interface ValidationData {
  certificates: readonly Uint8Array[];
  ocspResponses: readonly Uint8Array[];
  crls: readonly Uint8Array[];
}

/** Appends an update that adds `data` to the DSS; returns the whole new file. */
export function appendDss(revision: PdfRevision, data: ValidationData): Buffer {
  const update = new IncrementalUpdate(revision);
  const { context } = update;
  const { catalog, catalogRef } = revision;
  const existingValue = catalog.get(N('DSS'));
  const existing = dictAt(context, existingValue);
  const dss = existing ?? context.obj({});

  for (const [key, items] of [
    ['Certs', data.certificates],
    ['OCSPs', data.ocspResponses],
    ['CRLs', data.crls],
  ] as const) {
    const array = arrayAt(context, dss.get(N(key))) ?? PDFArray.withContext(context);
    const present = new Set(array.asArray().map((entry) => streamHash(resolve(context, entry))));
    for (const item of items) {
      const hash = sha256(item);
      if (present.has(hash)) continue;
      present.add(hash);
      array.push(context.register(PDFRawStream.of(context.obj({}), item)));
    }
    // Written as a direct array in the DSS dictionary, which is rewritten anyway.
    if (array.size() > 0) dss.set(N(key), array);
  }

  if (existing && existingValue instanceof PDFRef) {
    update.changed(existingValue);
  } else {
    catalog.set(N('DSS'), context.register(dss));
    update.changed(catalogRef);
  }
  return update.write().pdf;
}

function streamHash(object: PDFObject | undefined): string | null {
  if (!(object instanceof PDFRawStream)) return null;
  try {
    return sha256(object.dict.get(N('Filter')) ? decodePDFRawStream(object).decode() : object.contents);
  } catch {
    return null;
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
