/**
 * What each object of one revision is for: the roles and reachability of the objects of a
 * revision, from its trailer (ISO 32000-2 §7.7: catalog, page tree, pages, annotations;
 * §12.7 interactive form; §12.8.4.3 DSS). Modification analysis compares two revisions'
 * graphs to decide whether a changed object could change what a reader sees.
 *
 * Tags say through which structure an object is reached; an object may have several (a
 * form XObject used by a page and by a signature appearance has both `page-content` and
 * `sig-appearance`). Role objects (catalog, page tree nodes, pages, annotations, fields)
 * are recorded by number and not descended into by the generic walk, so their own diff
 * rules apply to them.
 */
import type { PdfFile, Revision } from './pdf-file.js';
import { rootOf } from './pdf-file.js';
import { MAX_NESTING, nameOf, PdfDict, PdfRef, PdfStream, PdfString, type PdfObject } from './pdf-syntax.js';

export type Tag =
  | 'catalog'
  | 'info'
  | 'metadata'
  | 'dss'
  | 'acroform'
  | 'form-resources'
  | 'sig-field'
  | 'sig-value'
  | 'timestamp-value'
  | 'sig-appearance'
  | 'form-field'
  | 'field-appearance'
  | 'page-tree'
  | 'page'
  | 'page-annots'
  | 'page-content'
  | 'annotation'
  | 'perms'
  | 'document';

export interface FieldRole {
  readonly name: string;
  /** For signature fields: whether it has a value (is signed), and the value's /Type. */
  readonly signed: boolean;
  readonly valueType: string | null;
}

const TAGS: readonly Tag[] = [
  'catalog',
  'info',
  'metadata',
  'dss',
  'acroform',
  'form-resources',
  'sig-field',
  'sig-value',
  'timestamp-value',
  'sig-appearance',
  'form-field',
  'field-appearance',
  'page-tree',
  'page',
  'page-annots',
  'page-content',
  'annotation',
  'perms',
  'document',
];
const BIT = new Map<Tag, number>(TAGS.map((t, i) => [t, 1 << i]));
const EMPTY: ReadonlySet<Tag> = new Set();

export interface DocumentGraph {
  /** The tags of object `num` (empty when nothing reaches it). */
  tagsOf(num: number): ReadonlySet<Tag>;
  /** How many objects are reachable. */
  readonly reachable: number;
  readonly catalog: number | null;
  readonly acroForm: number | null;
  readonly fieldsArray: number | null;
  readonly pageTreeNodes: ReadonlySet<number>;
  /** Page object number → 1-based page index. */
  readonly pages: ReadonlyMap<number, number>;
  /** Indirect /Annots array → the page it belongs to. */
  readonly annotsArrays: ReadonlyMap<number, number>;
  /** Signature fields and their widgets (merged or kids). */
  readonly signatureFields: ReadonlyMap<number, FieldRole>;
  /** Other form fields and their widgets. */
  readonly formFields: ReadonlyMap<number, FieldRole>;
  /** Annotations that are not widgets of a field. */
  readonly annotations: ReadonlySet<number>;
  /** Whether the walk stopped at its bound. */
  readonly truncated: boolean;
}

/** Keys that point back up a tree; the walk never follows them. */
const BACK_POINTERS = new Set(['Parent', 'P', 'Pg', 'IRT', 'Popup']);

export function buildGraph(file: PdfFile, revision: Revision, maxObjects: number): DocumentGraph {
  /** Tags as bit masks: one number per object instead of a Set (this walk runs for every revision). */
  const masks = new Map<number, number>();
  const pageTreeNodes = new Set<number>();
  const pages = new Map<number, number>();
  const annotsArrays = new Map<number, number>();
  const signatureFields = new Map<number, FieldRole>();
  const formFields = new Map<number, FieldRole>();
  const annotations = new Set<number>();
  const roleObjects = new Set<number>();
  let visits = 0;
  let truncated = false;

  const tag = (ref: PdfObject | undefined, t: Tag): boolean => {
    if (!(ref instanceof PdfRef)) return false;
    const bit = BIT.get(t)!;
    const mask = masks.get(ref.num) ?? 0;
    if (mask & bit) return false;
    masks.set(ref.num, mask | bit);
    if (++visits > maxObjects) {
      truncated = true;
      return false;
    }
    return true;
  };
  const resolve = (object: PdfObject | undefined) => file.resolve(revision, object);
  const dictOf = (object: PdfObject | undefined) => file.dict(revision, object);
  const role = (ref: PdfObject | undefined) => {
    if (ref instanceof PdfRef) roleObjects.add(ref.num);
  };

  /** Deferred generic walks: every object reachable from `object` gets `t`. */
  const pending: [PdfObject | undefined, Tag][] = [];
  const later = (object: PdfObject | undefined, t: Tag) => pending.push([object, t]);

  const catalogRef = rootOf(revision);
  const catalog = dictOf(catalogRef);
  if (catalogRef) {
    tag(catalogRef, 'catalog');
    role(catalogRef);
  }
  const infoRef = revision.trailer.get('Info');
  later(infoRef, 'info');

  let acroFormNumber: number | null = null;
  let fieldsArrayNumber: number | null = null;
  if (catalog) {
    // The form first, so widgets met on pages are already known as fields.
    walkAcroForm(catalog.get('AcroForm'));
    for (const [key, value] of catalog.entries) {
      switch (key) {
        case 'Pages':
          walkPageTree(value, 0);
          break;
        case 'AcroForm':
          break;
        case 'DSS':
          later(value, 'dss');
          break;
        case 'Metadata':
          later(value, 'metadata');
          break;
        case 'Perms':
          later(value, 'perms');
          break;
        default:
          later(value, 'document');
      }
    }
  }

  function walkPageTree(node: PdfObject | undefined, depth: number): void {
    if (depth > MAX_NESTING || truncated) return;
    const dict = dictOf(node);
    if (!dict) return;
    const type = nameOf(dict.get('Type'));
    const isPage = type === 'Page' || (type !== 'Pages' && !dict.get('Kids'));
    if (node instanceof PdfRef) {
      if (!tag(node, isPage ? 'page' : 'page-tree')) return;
      role(node);
    }
    if (!isPage) {
      if (node instanceof PdfRef) pageTreeNodes.add(node.num);
      for (const [key, value] of dict.entries) {
        if (key === 'Kids') {
          const kids = file.array(revision, value);
          if (value instanceof PdfRef) tag(value, 'page-tree');
          for (const kid of kids ?? []) walkPageTree(kid, depth + 1);
        } else if (!BACK_POINTERS.has(key)) {
          later(value, 'page-content'); // inheritable Resources, MediaBox, ...
        }
      }
      return;
    }
    const pageNumber = pages.size + 1;
    if (node instanceof PdfRef) pages.set(node.num, pageNumber);
    for (const [key, value] of dict.entries) {
      if (key === 'Annots') {
        if (value instanceof PdfRef) {
          tag(value, 'page-annots');
          role(value);
          if (node instanceof PdfRef) annotsArrays.set(value.num, node.num);
        }
        for (const annotation of file.array(revision, value) ?? []) walkAnnotation(annotation);
      } else if (!BACK_POINTERS.has(key)) {
        later(value, 'page-content');
      }
    }
  }

  function walkAnnotation(ref: PdfObject): void {
    const dict = dictOf(ref);
    if (!dict || !(ref instanceof PdfRef)) {
      // A direct annotation dictionary is part of its page's /Annots value.
      if (dict) later(dict, 'annotation');
      return;
    }
    if (signatureFields.has(ref.num) || formFields.has(ref.num)) return; // walked with the form
    const isWidget = nameOf(dict.get('Subtype')) === 'Widget';
    const fieldType = isWidget ? inheritedFieldType(dict) : null;
    if (isWidget && fieldType !== null) {
      // A widget whose field is not in /Fields: judge it by what it is.
      const roleInfo: FieldRole = { name: fieldName(dict), signed: dict.get('V') !== undefined, valueType: nameOf(dictOf(dict.get('V'))?.get('Type')) };
      role(ref);
      if (fieldType === 'Sig') {
        signatureFields.set(ref.num, roleInfo);
        tag(ref, 'sig-field');
        walkFieldContents(dict, roleInfo, true);
      } else {
        formFields.set(ref.num, roleInfo);
        tag(ref, 'form-field');
        walkFieldContents(dict, roleInfo, false);
      }
      return;
    }
    role(ref);
    annotations.add(ref.num);
    if (!tag(ref, 'annotation')) return;
    for (const [key, value] of dict.entries) if (!BACK_POINTERS.has(key)) later(value, 'annotation');
  }

  function walkAcroForm(value: PdfObject | undefined): void {
    const acroForm = dictOf(value);
    if (!acroForm) return;
    if (value instanceof PdfRef) {
      acroFormNumber = value.num;
      tag(value, 'acroform');
      role(value);
    }
    for (const [key, entry] of acroForm.entries) {
      if (key === 'Fields') {
        if (entry instanceof PdfRef) {
          fieldsArrayNumber = entry.num;
          tag(entry, 'acroform');
          role(entry);
        }
        for (const field of file.array(revision, entry) ?? []) walkField(field, '', null, false, 0);
      } else {
        later(entry, key === 'DR' ? 'form-resources' : 'acroform');
      }
    }
  }

  function walkField(ref: PdfObject, parentName: string, inheritedType: string | null, parentSigned: boolean, depth: number): void {
    if (depth > 32 || truncated) return;
    const dict = dictOf(ref);
    if (!dict) return;
    const partial = dict.get('T');
    const name = partial instanceof PdfString ? (parentName ? `${parentName}.${partial.text()}` : partial.text()) : parentName;
    const type = nameOf(resolve(dict.get('FT'))) ?? inheritedType;
    const value = dict.get('V');
    const roleInfo: FieldRole = { name, signed: value !== undefined || parentSigned, valueType: nameOf(dictOf(value)?.get('Type')) };
    const isSignature = type === 'Sig';
    if (ref instanceof PdfRef) {
      if (signatureFields.has(ref.num) || formFields.has(ref.num)) return;
      role(ref);
      (isSignature ? signatureFields : formFields).set(ref.num, roleInfo);
      tag(ref, isSignature ? 'sig-field' : 'form-field');
    }
    walkFieldContents(dict, roleInfo, isSignature);
    const kids = dict.get('Kids');
    if (kids instanceof PdfRef) tag(kids, isSignature ? 'sig-field' : 'form-field');
    for (const kid of file.array(revision, kids) ?? []) walkField(kid, name, type, roleInfo.signed, depth + 1);
  }

  /** A field's own entries: its value, appearances and the rest. */
  function walkFieldContents(dict: PdfDict, roleInfo: FieldRole, isSignature: boolean): void {
    for (const [key, value] of dict.entries) {
      if (BACK_POINTERS.has(key) || key === 'Kids') continue;
      if (key === 'V' && isSignature) later(value, roleInfo.valueType === 'DocTimeStamp' ? 'timestamp-value' : 'sig-value');
      else if (key === 'AP' || key === 'MK') later(value, isSignature ? 'sig-appearance' : 'field-appearance');
      else later(value, isSignature ? 'sig-field' : 'form-field');
    }
  }

  function inheritedFieldType(dict: PdfDict): string | null {
    let current: PdfDict | undefined = dict;
    for (let depth = 0; current && depth < 32; depth++) {
      const type = nameOf(resolve(current.get('FT')));
      if (type) return type;
      current = dictOf(current.get('Parent'));
    }
    return null;
  }

  function fieldName(dict: PdfDict): string {
    const parts: string[] = [];
    let current: PdfDict | undefined = dict;
    for (let depth = 0; current && depth < 32; depth++) {
      const t = current.get('T');
      if (t instanceof PdfString) parts.unshift(t.text());
      current = dictOf(current.get('Parent'));
    }
    return parts.join('.');
  }

  // The generic walks: everything reachable, skipping role objects (judged by their own rules).
  for (let i = 0; i < pending.length && !truncated; i++) {
    const [start, t] = pending[i]!;
    const stack: [PdfObject | undefined, number][] = [[start, 0]];
    while (stack.length > 0 && !truncated) {
      const [object, depth] = stack.pop()!;
      if (object === undefined || object === null || depth > 256) continue;
      let value: PdfObject | undefined = object;
      if (object instanceof PdfRef) {
        if (roleObjects.has(object.num)) continue;
        if (!tag(object, t)) continue;
        value = resolve(object);
      }
      if (Array.isArray(value)) for (const item of value) stack.push([item, depth + 1]);
      else {
        const dict = value instanceof PdfStream ? value.dict : value instanceof PdfDict ? value : null;
        if (dict) for (const [key, item] of dict.entries) if (!BACK_POINTERS.has(key)) stack.push([item, depth + 1]);
      }
    }
  }

  const cache = new Map<number, ReadonlySet<Tag>>();
  return {
    tagsOf(num: number): ReadonlySet<Tag> {
      const mask = masks.get(num);
      if (!mask) return EMPTY;
      let set = cache.get(mask);
      if (!set) cache.set(mask, (set = new Set(TAGS.filter((t) => mask & BIT.get(t)!))));
      return set;
    },
    reachable: masks.size,
    catalog: catalogRef?.num ?? null,
    acroForm: acroFormNumber,
    fieldsArray: fieldsArrayNumber,
    pageTreeNodes,
    pages,
    annotsArrays,
    signatureFields,
    formFields,
    annotations,
    truncated,
  };
}
