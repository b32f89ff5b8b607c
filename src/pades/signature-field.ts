/**
 * A new signature field (ISO 32000-2 §12.7.5.5) as one merged field/widget dictionary
 * (§12.7.1: a field with a single widget may share its dictionary), listed in the page's
 * /Annots and in the AcroForm's /Fields, with /SigFlags 3 (SignaturesExist | AppendOnly,
 * Table 225) so viewers save later changes incrementally.
 */
import { PDFArray, PDFHexString, PDFString, type PDFDict, type PDFPage, type PDFRef } from '@cantoo/pdf-lib';
import type { IncrementalUpdate } from './incremental-update.js';
import { arrayAt, dictAt, N, numberAt } from './pdf-objects.js';
import type { PdfRevision } from './pdf-revision.js';

/** Annotation flags Print (3) and Locked (8), ISO 32000-2 Table 167. */
const PRINT_AND_LOCKED = 4 | 128;
const SIG_FLAGS = 3;

export interface SignatureFieldParams {
  fieldName: string;
  /** The signature dictionary the field's /V points at. */
  signatureRef: PDFRef;
  page: PDFPage;
  /** [x1 y1 x2 y2] in default user space; [0 0 0 0] for an invisible signature. */
  rect: readonly [number, number, number, number];
  /** The widget's /AP /N, for a visible signature. */
  appearanceRef?: PDFRef;
}

/** Adds the field/widget to the update and returns its reference. The field name must be new (the caller checks). */
export function addSignatureField(update: IncrementalUpdate, revision: PdfRevision, params: SignatureFieldParams): PDFRef {
  const { context } = update;
  const widget = context.obj({
    Type: 'Annot',
    Subtype: 'Widget',
    FT: 'Sig',
    F: PRINT_AND_LOCKED,
    Rect: [...params.rect],
    P: params.page.ref,
  });
  widget.set(N('T'), /^[\x20-\x7e]*$/.test(params.fieldName) ? PDFString.of(escapeLiteral(params.fieldName)) : PDFHexString.fromText(params.fieldName));
  widget.set(N('V'), params.signatureRef);
  if (params.appearanceRef) widget.set(N('AP'), context.obj({ N: params.appearanceRef }));
  const widgetRef = context.register(widget);

  appendTo(update, params.page.ref, params.page.node, 'Annots', widgetRef);

  const { catalog, catalogRef } = revision;
  const acroFormValue = catalog.get(N('AcroForm'));
  const acroForm = dictAt(context, acroFormValue);
  if (!acroForm) {
    catalog.set(N('AcroForm'), context.register(context.obj({ Fields: [widgetRef], SigFlags: SIG_FLAGS })));
    update.changed(catalogRef);
    return widgetRef;
  }
  const acroFormOwner = update.ownerOf(catalogRef, acroFormValue);
  appendTo(update, acroFormOwner, acroForm, 'Fields', widgetRef);
  if (numberAt(context, acroForm.get(N('SigFlags'))) !== SIG_FLAGS) {
    acroForm.set(N('SigFlags'), context.obj(SIG_FLAGS));
    update.changed(acroFormOwner);
  }
  return widgetRef;
}

/** Appends to `holder[key]` (an array, direct or indirect, or absent) and records which object changed. */
function appendTo(update: IncrementalUpdate, holderRef: PDFRef, holder: PDFDict, key: string, ref: PDFRef): void {
  const value = holder.get(N(key));
  const array = arrayAt(update.context, value);
  if (array) {
    array.push(ref);
    update.changed(update.ownerOf(holderRef, value));
  } else {
    const created = PDFArray.withContext(update.context);
    created.push(ref);
    holder.set(N(key), created);
    update.changed(holderRef);
  }
}

/** PDFString.of writes its argument verbatim between parentheses (ISO 32000-2 §7.3.4.2). */
function escapeLiteral(value: string): string {
  return value.replace(/[\\()]/g, (c) => `\\${c}`);
}
