/**
 * DocMDP, the certification signature's modification detection and prevention
 * (ISO 32000-2 §12.8.2.2): the catalog's /Perms /DocMDP names the certification signature,
 * whose /Reference holds a signature reference with /TransformMethod /DocMDP and the
 * permitted changes /P:
 * 1 no changes at all; 2 filling forms, instantiating page templates and signing;
 * 3 as 2, plus annotations.
 */
import { PDFDict, type PDFRef } from '@cantoo/pdf-lib';
import { arrayAt, dictAt, N, nameOf, numberAt } from './pdf-objects.js';
import type { PdfRevision } from './pdf-revision.js';

export type DocMdpPermission = 1 | 2 | 3;

/** The DocMDP permission of the document's certification signature, or null when it has none. */
export function docMdpPermission(revision: PdfRevision): DocMdpPermission | null {
  const { context } = revision;
  const perms = dictAt(context, revision.catalog.get(N('Perms')));
  const signature = perms ? dictAt(context, perms.get(N('DocMDP'))) : undefined;
  if (!signature) return null;
  const references = arrayAt(context, signature.get(N('Reference')));
  for (const entry of references?.asArray() ?? []) {
    const reference = dictAt(context, entry);
    if (!reference || nameOf(reference.get(N('TransformMethod'))) !== 'DocMDP') continue;
    const params = dictAt(context, reference.get(N('TransformParams')));
    const p = params ? numberAt(context, params.get(N('P'))) : undefined;
    // Table 257: P is optional and defaults to 2.
    return p === 1 || p === 3 ? p : 2;
  }
  return 2;
}

/**
 * The /Reference entry of a certification signature dictionary (ISO 32000-2 Table 255,
 * Table 256 signature reference, Table 257 DocMDP transform parameters; /V 1.2 is the only
 * version).
 */
export function docMdpReference(permission: DocMdpPermission): string {
  return `[<< /Type /SigRef /TransformMethod /DocMDP /TransformParams << /Type /TransformParams /P ${permission} /V /1.2 >> >>]`;
}

/**
 * Sets the catalog's /Perms /DocMDP to the certification signature's dictionary, keeping any
 * other permission (/UR3). The catalog is rewritten, so /Perms becomes a direct dictionary.
 */
export function setDocMdpSignature(catalog: PDFDict, signatureRef: PDFRef): void {
  const existing = dictAt(catalog.context, catalog.get(N('Perms')));
  const perms = PDFDict.withContext(catalog.context);
  for (const [key, value] of existing?.entries() ?? []) perms.set(key, value);
  perms.set(N('DocMDP'), signatureRef);
  catalog.set(N('Perms'), perms);
}
