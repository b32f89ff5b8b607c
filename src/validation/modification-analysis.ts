/**
 * What the incremental updates after a signed revision changed, and whether a signature
 * allows it (ISO 32000-2 §12.8.2.2 DocMDP, §12.8.2.4 FieldMDP; ETSI EN 319 142-1 §5.4 for DSS
 * and document time-stamps). Reject by default, as pyHanko's difference analysis: every
 * object an update adds, replaces or frees must be explained by a rule, else the change is
 * disallowed.
 *
 * Each update is compared with the revision before it, object by object (by value: an
 * update that re-points an object at identical bytes changes nothing), and each changed
 * object is judged by its role in the two revisions (see document-graph.ts):
 *
 * | change | permission |
 * |---|---|
 * | DSS dictionary, its arrays, streams and /VRI; catalog /DSS, /Extensions | always |
 * | a new document time-stamp field, its widget and its signature dictionary | always |
 * | /Info, catalog /Metadata, /Version; AcroForm /SigFlags | always |
 * | objects nothing references (before or after) | always |
 * | a new signature field with widget, value and appearance; /Fields and page /Annots gaining it; an empty signature field being signed | P ≥ 2 (any signature but a DocMDP P=1 certification) |
 * | form field values (/V, /AS, /AP, /I, /RV of an existing non-signature field) and new appearance streams for them | P ≥ 2, unless the field is locked by FieldMDP |
 * | annotations other than signature widgets: added, changed, removed | P = 3 only |
 * | anything else: page content, resources, fonts, XObjects, page objects beyond /Annots, page tree, new pages, new form fields, changes to signed signature fields or their dictionaries and appearances, catalog /OpenAction, /AA, /Names (JavaScript, embedded files), /Outlines, /Perms, a new catalog, freed objects that were in use, unreadable objects | never |
 *
 * Decisions worth stating:
 * - No certification signature means P = 2 for every signature (ISO 32000-2 itself restricts
 *   nothing then; we follow what readers show as "changes allowed").
 * - /Outlines changes are disallowed: bookmarks carry actions (JavaScript, launch, URI) and
 *   pyHanko's rules do not allow them either.
 * - Under P = 1 only DSS updates and document time-stamps may follow (ISO 32000-2 §12.8.2.2.2
 *   with ETSI EN 319 142-1 §5.4: validation data and archive time-stamps do not modify the
 *   document).
 * - Shadow attacks (Mainka et al., NDSS 2021) are covered without special cases: "hide" and
 *   "replace" redefine objects the signed revision used (content, XObjects, fonts), and
 *   "hide-and-replace" re-points objects or the catalog at content that was already in the
 *   signed revision but unused, which is still a change of a used object (or of /Root).
 */
import type { Lookup, PdfFile, Revision } from './pdf-file.js';
import { rootOf } from './pdf-file.js';
import { buildGraph, type DocumentGraph, type FieldRole, type Tag } from './document-graph.js';
import { changedKeys, nameOf, PdfDict, PdfRef, PdfString, PdfStream, sameObject, type PdfObject } from './pdf-syntax.js';
import type { ModificationKind, ModificationReport } from './validation-report.js';

export type Permission = 'always' | 'signing' | 'form-fill' | 'annotation' | 'never';

export interface Change {
  readonly revision: number;
  readonly kind: ModificationKind;
  readonly description: string;
  readonly objectNumbers: readonly number[];
  readonly permission: Permission;
  /** For form fills: the field's fully qualified name ('' when unknown). */
  readonly fieldName?: string;
}

/** A FieldMDP lock (ISO 32000-2 Table 235 /Lock, Table 258 transform parameters). */
export interface FieldLock {
  readonly action: 'All' | 'Include' | 'Exclude';
  readonly fields: ReadonlySet<string>;
}

export type DocMdpPermission = 1 | 2 | 3;

const FORM_FILL_KEYS = new Set(['V', 'AS', 'AP', 'I', 'RV']);
const SIGNING_KEYS = new Set(['V', 'AP']);

export class ModificationAnalysis {
  private readonly graphs = new Map<number, DocumentGraph>();
  private readonly changes = new Map<number, Change[]>();
  readonly warnings: string[] = [];

  constructor(
    private readonly file: PdfFile,
    private readonly maxObjects: number,
  ) {}

  graph(revision: Revision): DocumentGraph {
    let graph = this.graphs.get(revision.index);
    if (!graph) {
      graph = buildGraph(this.file, revision, this.maxObjects);
      if (graph.truncated) this.warnings.push(`revision ${revision.index} has too many objects to analyse completely`);
      this.graphs.set(revision.index, graph);
    }
    return graph;
  }

  /** The changes revision `index` made to revision `index - 1`. */
  changesIn(index: number): readonly Change[] {
    let found = this.changes.get(index);
    if (!found) {
      found = merge(this.compute(index));
      this.changes.set(index, found);
    }
    return found;
  }

  private compute(index: number): Change[] {
    const file = this.file;
    const prev = file.revisions[index - 1]!;
    const cur = file.revisions[index]!;
    const out: Change[] = [];
    const change = (kind: ModificationKind, permission: Permission, description: string, objectNumbers: number[] = [], fieldName?: string) =>
      out.push({ revision: index, kind, permission, description, objectNumbers, ...(fieldName !== undefined ? { fieldName } : {}) });

    const continues = cur.chain.length === prev.chain.length + 1 && cur.chain.slice(1).every((section, i) => section === prev.chain[i]);
    // Cross-reference and object streams are judged like any object: unused containers are
    // ignored in classify(), but one that takes the number of an object in use is a change.
    const numbers = new Set<number>();
    for (const section of continues ? [cur.chain[0]!] : [...cur.chain, ...prev.chain]) {
      for (const n of section.entries.keys()) numbers.add(n);
      for (const n of section.hybrid?.entries.keys() ?? []) numbers.add(n);
    }
    if (!continues) change('structure', 'always', 'the update does not continue the previous revision\'s cross-reference chain; every object was compared');

    const rootBefore = rootOf(prev);
    const rootAfter = rootOf(cur);
    if (rootBefore?.num !== rootAfter?.num) {
      change('catalog', 'never', `the trailer names another document catalog (object ${rootAfter?.num ?? 'none'} instead of ${rootBefore?.num ?? 'none'})`, rootAfter ? [rootAfter.num] : []);
    }
    if (cur.trailer.get('Encrypt') !== undefined && prev.trailer.get('Encrypt') === undefined) change('structure', 'never', 'the update encrypts the document');

    const context: DiffContext = { file, prev, cur, gPrev: null, gCur: null, analysis: this, change };
    for (const n of [...numbers].sort((a, b) => a - b)) {
      const before = file.lookup(prev, n);
      const after = file.lookup(cur, n);
      if (sameLookup(before, after)) continue;
      classify(n, before, after, context);
    }
    return out;
  }
}

interface DiffContext {
  readonly file: PdfFile;
  readonly prev: Revision;
  readonly cur: Revision;
  gPrev: DocumentGraph | null;
  gCur: DocumentGraph | null;
  readonly analysis: ModificationAnalysis;
  readonly change: (kind: ModificationKind, permission: Permission, description: string, objectNumbers?: number[], fieldName?: string) => void;
}

function graphs(context: DiffContext): { gPrev: DocumentGraph; gCur: DocumentGraph } {
  context.gPrev ??= context.analysis.graph(context.prev);
  context.gCur ??= context.analysis.graph(context.cur);
  return { gPrev: context.gPrev, gCur: context.gCur };
}

function sameLookup(a: Lookup, b: Lookup): boolean {
  if (a.kind === 'ok' && b.kind === 'ok') {
    if (a.entry.type === b.entry.type && a.entry.offset === b.entry.offset && a.entry.gen === b.entry.gen) return true;
    return sameObject(a.value, b.value);
  }
  if ((a.kind === 'free' || a.kind === 'missing') && (b.kind === 'free' || b.kind === 'missing')) return true;
  return false;
}

function classify(n: number, before: Lookup, after: Lookup, context: DiffContext): void {
  const { gPrev, gCur } = graphs(context);
  const { change } = context;
  const tagsBefore = gPrev.tagsOf(n);
  const tagsAfter = gCur.tagsOf(n);
  const unused = tagsBefore.size === 0 && tagsAfter.size === 0 && !isRole(gPrev, n) && !isRole(gCur, n);

  if (before.kind === 'unreadable' || after.kind === 'unreadable') {
    if (unused) change('unreferenced-object', 'always', 'unused objects that cannot be read', [n]);
    else change('structure', 'never', `object ${n} cannot be read (${after.kind === 'unreadable' ? after.error : 'its earlier definition'})`, [n]);
    return;
  }
  if (after.kind !== 'ok') {
    // Freed (ISO 32000-2 §7.5.4 'f' entries) or dropped.
    if (unused) change('unreferenced-object', 'always', 'unused objects freed', [n]);
    else if (subset(tagsBefore, ['dss'])) change('dss', 'always', 'DSS data replaced', [n]);
    else if (gPrev.annotations.has(n)) change('annotation', 'annotation', 'an annotation deleted', [n]);
    else change('deleted-object', 'never', `object ${n} (${describeTags(tagsBefore, gPrev, n)}) was deleted`, [n]);
    return;
  }
  if (before.kind !== 'ok') {
    if (isContainer(after.value) && unused) return;
    classifyAdded(n, after.value, tagsAfter, context);
    return;
  }
  if (isContainer(after.value) && isContainer(before.value) && unused) return;
  classifyReplaced(n, before.value, after.value, tagsBefore, tagsAfter, context);
}

function classifyAdded(n: number, value: PdfObject, tags: ReadonlySet<Tag>, context: DiffContext): void {
  const { gPrev, gCur } = graphs(context);
  const { change, file, prev, cur } = context;
  const signatureField = gCur.signatureFields.get(n);
  if (signatureField) return signatureFieldAdded(signatureField, [n], context);
  if (n === gCur.acroForm) {
    // Judged through the catalog when its /AcroForm entry changed; else the entry pointed at nothing before.
    const { dict: oldCatalog } = file.catalog(prev);
    if (refNum(oldCatalog?.get('AcroForm')) === n) acroFormDiff(undefined, file.dict(cur, new PdfRef(n, 0)), n, context);
    return;
  }
  if (n === gCur.fieldsArray) {
    const acroForm = file.dict(prev, file.catalog(prev).dict?.get('AcroForm'));
    if (refNum(acroForm?.get('Fields')) === n) fieldsDiff([], file.array(cur, value) ?? [], context);
    return;
  }
  const annotsPage = gCur.annotsArrays.get(n);
  if (annotsPage !== undefined) {
    const oldPage = file.dict(prev, new PdfRef(annotsPage, 0));
    if (refNum(oldPage?.get('Annots')) === n) annotsDiff([], Array.isArray(value) ? value : [], gCur.pages.get(annotsPage) ?? 0, context);
    return;
  }
  if (gCur.pages.has(n)) return change('page', 'never', `a page was added (page ${gCur.pages.get(n)})`, [n]);
  if (gCur.pageTreeNodes.has(n)) return change('page', 'never', 'the page tree was changed', [n]);
  if (gCur.formFields.has(n)) return change('structure', 'never', `a form field '${gCur.formFields.get(n)!.name}' was added`, [n]);
  if (gCur.annotations.has(n)) return change('annotation', 'annotation', `an annotation (${subtypeOf(value)}) was added`, [n]);
  if (n === gCur.catalog) return; // reported with the trailer's /Root
  if (tags.size === 0) return change('unreferenced-object', 'always', 'unused objects added', [n]);
  if (subset(tags, ['timestamp-value'])) return change('document-timestamp', 'always', 'a document time-stamp was added', [n]);
  if (subset(tags, ['sig-value', 'sig-appearance', 'sig-field', 'timestamp-value'])) return change('signature', 'signing', 'a signature with its appearance was added', [n]);
  if (subset(tags, ['dss'])) return change('dss', 'always', 'validation data (DSS) was added', [n]);
  if (subset(tags, ['info', 'metadata'])) return change('metadata', 'always', 'document metadata was updated', [n]);
  if (subset(tags, ['field-appearance', 'form-field'])) return change('form-fill', 'form-fill', 'a form field appearance was added', [n], '');
  if (subset(tags, ['annotation'])) return change('annotation', 'annotation', 'annotation content was added', [n]);
  void gPrev;
  change(kindOfTags(tags), 'never', `object ${n} was added as ${describeTags(tags, gCur, n)}`, [n]);
}

function classifyReplaced(n: number, before: PdfObject, after: PdfObject, tagsBefore: ReadonlySet<Tag>, tagsAfter: ReadonlySet<Tag>, context: DiffContext): void {
  const { gPrev, gCur } = graphs(context);
  const { change, file, prev, cur } = context;
  if (n === gPrev.catalog || n === gCur.catalog) return catalogDiff(asDict(before), asDict(after), n, context);
  if (gPrev.pages.has(n) || gCur.pages.has(n)) return pageDiff(asDict(before), asDict(after), n, gCur.pages.get(n) ?? gPrev.pages.get(n)!, context);
  if (gPrev.annotsArrays.has(n) || gCur.annotsArrays.has(n)) {
    const page = gCur.annotsArrays.get(n) ?? gPrev.annotsArrays.get(n)!;
    return annotsDiff(Array.isArray(before) ? before : [], Array.isArray(after) ? after : [], gCur.pages.get(page) ?? 0, context);
  }
  if (n === gPrev.acroForm || n === gCur.acroForm) return acroFormDiff(asDict(before), asDict(after), n, context);
  if (n === gPrev.fieldsArray || n === gCur.fieldsArray) return fieldsDiff(file.array(prev, before) ?? [], file.array(cur, after) ?? [], context);
  if (gPrev.pageTreeNodes.has(n) || gCur.pageTreeNodes.has(n)) return change('page', 'never', 'the page tree was changed', [n]);
  const signatureField = gPrev.signatureFields.get(n) ?? gCur.signatureFields.get(n);
  if (signatureField) return signatureFieldDiff(n, asDict(before), asDict(after), gPrev.signatureFields.get(n) ?? null, gCur.signatureFields.get(n) ?? signatureField, context);
  const formField = gPrev.formFields.get(n);
  if (formField) {
    const keys = changedKeys(asDict(before) ?? EMPTY_DICT, asDict(after) ?? EMPTY_DICT);
    if (keys.every((key) => FORM_FILL_KEYS.has(key))) return change('form-fill', 'form-fill', `form field '${formField.name}' was filled in`, [n], formField.name);
    return change('structure', 'never', `form field '${formField.name}' was changed beyond its value (${keys.map((k) => `/${k}`).join(' ')})`, [n]);
  }
  if (gPrev.annotations.has(n) || gCur.annotations.has(n)) return change('annotation', 'annotation', `an annotation (${subtypeOf(after)}) was changed`, [n]);

  const all = new Set([...tagsBefore, ...tagsAfter]);
  if (all.size === 0) return change('unreferenced-object', 'always', 'unused objects redefined', [n]);
  if (subset(all, ['dss'])) return change('dss', 'always', 'validation data (DSS) was updated', [n]);
  if (subset(all, ['info', 'metadata'])) return change('metadata', 'always', 'document metadata was updated', [n]);
  if (tagsBefore.has('sig-value') || tagsBefore.has('timestamp-value') || tagsBefore.has('sig-appearance')) {
    return change('structure', 'never', `object ${n}, part of an existing signature (its dictionary or appearance), was redefined`, [n]);
  }
  if (subset(all, ['field-appearance', 'form-field'])) return change('form-fill', 'form-fill', 'a form field appearance was changed', [n], '');
  if (subset(all, ['annotation'])) return change('annotation', 'annotation', 'annotation content was changed', [n]);
  change(kindOfTags(all), 'never', `object ${n} (${describeTags(all, gPrev, n)}) was redefined`, [n]);
}

/** The catalog (ISO 32000-2 §7.7.2) may change only by /DSS, /AcroForm (judged as a form), /Extensions, /Metadata, /Version. */
function catalogDiff(before: PdfDict | undefined, after: PdfDict | undefined, n: number, context: DiffContext): void {
  const { change, file, prev, cur } = context;
  if (!before || !after) return change('catalog', 'never', 'the document catalog cannot be read', [n]);
  for (const key of changedKeys(before, after)) {
    switch (key) {
      case 'DSS':
        change('dss', 'always', 'validation data (DSS) was added', [n]);
        break;
      case 'Extensions':
      case 'Version':
      case 'Metadata':
        change('metadata', 'always', `catalog /${key} was updated`, [n]);
        break;
      case 'AcroForm': {
        const oldValue = before.get('AcroForm');
        const newValue = after.get('AcroForm');
        acroFormDiff(file.dict(prev, oldValue), file.dict(cur, newValue), refNum(newValue) ?? n, context);
        break;
      }
      case 'OpenAction':
      case 'AA':
        change('catalog', 'never', `catalog /${key} was changed: an action that runs when the document is opened or used`, [n]);
        break;
      case 'Names': {
        const names = file.dict(cur, after.get('Names'));
        const what = names ? [...names.entries.keys()].map((k) => `/${k}`).join(' ') : 'removed';
        change('catalog', 'never', `catalog /Names was changed (${what}): name trees hold JavaScript, embedded files and destinations`, [n]);
        break;
      }
      default:
        change('catalog', 'never', `catalog /${key} was changed`, [n]);
    }
  }
}

/** ISO 32000-2 §12.7.3 Table 224: /Fields may gain signature fields; /SigFlags may be set; /DR may only gain entries. */
function acroFormDiff(before: PdfDict | undefined, after: PdfDict | undefined, n: number, context: DiffContext): void {
  const { change, file, prev, cur } = context;
  if (!after) return change('structure', 'never', 'the interactive form was removed', [n]);
  const old = before ?? EMPTY_DICT;
  for (const key of changedKeys(old, after)) {
    switch (key) {
      case 'Fields':
        fieldsDiff(file.array(prev, old.get('Fields')) ?? [], file.array(cur, after.get('Fields')) ?? [], context);
        break;
      case 'SigFlags':
        change('signature', 'always', 'AcroForm /SigFlags was set', [n]);
        break;
      case 'DR': {
        const oldResources = file.dict(prev, old.get('DR')) ?? EMPTY_DICT;
        const newResources = file.dict(cur, after.get('DR')) ?? EMPTY_DICT;
        const onlyAdded = [...oldResources.entries.keys()].every((k) => sameObject(oldResources.get(k), newResources.get(k)));
        change('resources', onlyAdded ? 'signing' : 'never', onlyAdded ? 'form default resources were extended' : 'form default resources were changed', [n]);
        break;
      }
      default:
        change('structure', 'never', `AcroForm /${key} was changed`, [n]);
    }
  }
}

function fieldsDiff(before: PdfObject[], after: PdfObject[], context: DiffContext): void {
  const { gPrev, gCur } = graphs(context);
  const { change } = context;
  const oldNums = new Set(before.map(refNum).filter(isNumber));
  const newNums = new Set(after.map(refNum).filter(isNumber));
  for (const n of oldNums) {
    if (newNums.has(n)) continue;
    const sig = gPrev.signatureFields.get(n);
    if (sig?.signed) change('signature-removed', 'never', `signature field '${sig.name}' was removed from the form`, [n]);
    else change('structure', 'never', `form field '${(sig ?? gPrev.formFields.get(n))?.name ?? n}' was removed`, [n]);
  }
  for (const n of newNums) {
    if (oldNums.has(n)) continue;
    const sig = gCur.signatureFields.get(n);
    if (sig) signatureFieldAdded(sig, [n], context);
    else change('structure', 'never', `form field '${gCur.formFields.get(n)?.name ?? n}' was added`, [n]);
  }
  if (after.some((item) => !(item instanceof PdfRef))) change('structure', 'never', 'the form lists a field that is not an indirect object');
}

function signatureFieldAdded(field: FieldRole, objectNumbers: number[], context: DiffContext): void {
  if (field.valueType === 'DocTimeStamp') context.change('document-timestamp', 'always', `document time-stamp field '${field.name}' was added`, objectNumbers);
  else context.change('signature', 'signing', `signature field '${field.name}' was added`, objectNumbers);
}

/** A page (ISO 32000-2 §7.7.3.3) may change only in /Annots. */
function pageDiff(before: PdfDict | undefined, after: PdfDict | undefined, n: number, pageNumber: number, context: DiffContext): void {
  const { change, file, prev, cur } = context;
  if (!before || !after) return change('page', 'never', `page ${pageNumber} cannot be read`, [n]);
  const keys = changedKeys(before, after);
  const others = keys.filter((key) => key !== 'Annots');
  if (others.length > 0) change('page', 'never', `page ${pageNumber}: ${others.map((k) => `/${k}`).join(' ')} changed`, [n]);
  if (keys.includes('Annots')) annotsDiff(file.array(prev, before.get('Annots')) ?? [], file.array(cur, after.get('Annots')) ?? [], pageNumber, context);
}

function annotsDiff(before: PdfObject[], after: PdfObject[], pageNumber: number, context: DiffContext): void {
  const { gPrev, gCur } = graphs(context);
  const { change, file, cur } = context;
  const oldNums = before.map(refNum);
  const newNums = after.map(refNum);
  if (oldNums.some((x) => x === null) || newNums.some((x) => x === null)) {
    // Direct annotation dictionaries: compare as values.
    if (!sameObject(before, after)) change('annotation', 'annotation', `page ${pageNumber}: annotations written inline were changed`);
    return;
  }
  const oldSet = new Set(oldNums as number[]);
  const newSet = new Set(newNums as number[]);
  for (const n of oldSet) {
    if (newSet.has(n)) continue;
    const sig = gPrev.signatureFields.get(n);
    if (sig) change('signature-removed', 'never', `page ${pageNumber}: the widget of signature field '${sig.name}' was removed`, [n]);
    else if (gPrev.formFields.has(n)) change('structure', 'never', `page ${pageNumber}: a form field widget was removed`, [n]);
    else change('annotation', 'annotation', `page ${pageNumber}: an annotation was removed`, [n]);
  }
  for (const n of newSet) {
    if (oldSet.has(n)) continue;
    const sig = gCur.signatureFields.get(n);
    if (sig) signatureFieldAdded(sig, [n], context);
    else if (gCur.formFields.has(n)) change('structure', 'never', `page ${pageNumber}: a form field widget was added`, [n]);
    else change('annotation', 'annotation', `page ${pageNumber}: an annotation (${subtypeOf(file.resolve(cur, new PdfRef(n, 0)))}) was added`, [n]);
  }
  const kept = (nums: (number | null)[], other: Set<number>) => nums.filter((x) => other.has(x!));
  if (kept(oldNums, newSet).join(',') !== kept(newNums, oldSet).join(',')) change('annotation', 'annotation', `page ${pageNumber}: annotations were reordered`);
}

/** An unsigned signature field may be signed (/V and /AP set); a signed one may not change at all. */
function signatureFieldDiff(n: number, before: PdfDict | undefined, after: PdfDict | undefined, roleBefore: FieldRole | null, roleAfter: FieldRole, context: DiffContext): void {
  const { change } = context;
  const keys = changedKeys(before ?? EMPTY_DICT, after ?? EMPTY_DICT);
  if (roleBefore?.signed) {
    return change('signature-removed', 'never', `signed signature field '${roleBefore.name}' was changed (${keys.map((k) => `/${k}`).join(' ')})`, [n]);
  }
  if (keys.every((key) => SIGNING_KEYS.has(key)) && roleAfter.signed) {
    if (roleAfter.valueType === 'DocTimeStamp') return change('document-timestamp', 'always', `document time-stamp field '${roleAfter.name}' was signed`, [n]);
    return change('signature', 'signing', `signature field '${roleAfter.name}' was signed`, [n]);
  }
  change('structure', 'never', `signature field '${roleAfter.name}' was changed (${keys.map((k) => `/${k}`).join(' ')})`, [n]);
}

/** Merges changes of the same kind, permission and description, joining their object numbers. */
function merge(changes: Change[]): Change[] {
  const byKey = new Map<string, Change>();
  for (const c of changes) {
    const key = `${c.kind}|${c.permission}|${c.description}|${c.fieldName ?? ''}`;
    const existing = byKey.get(key);
    if (existing) byKey.set(key, { ...existing, objectNumbers: [...new Set([...existing.objectNumbers, ...c.objectNumbers])] });
    else byKey.set(key, c);
  }
  return [...byKey.values()];
}

/** Whether a change is allowed under DocMDP permission `p` and the signature's FieldMDP lock. */
export function isAllowed(change: Change, p: DocMdpPermission, lock: FieldLock | null): boolean {
  switch (change.permission) {
    case 'always':
      return true;
    case 'signing':
      return p >= 2;
    case 'form-fill':
      return p >= 2 && !(lock && isLocked(lock, change.fieldName ?? ''));
    case 'annotation':
      return p === 3;
    case 'never':
      return false;
  }
}

function isLocked(lock: FieldLock, name: string): boolean {
  if (lock.action === 'All') return true;
  // An unknown field name (a new appearance stream) is locked whenever a lock exists.
  if (name === '') return true;
  return lock.action === 'Include' ? lock.fields.has(name) : !lock.fields.has(name);
}

/** The report entries of `changes` for one signature. */
export function judge(changes: readonly Change[], p: DocMdpPermission, lock: FieldLock | null): { classification: 'none' | 'allowed' | 'disallowed'; changes: ModificationReport[] } {
  const reports = changes.map((c) => ({
    kind: c.kind,
    allowed: isAllowed(c, p, lock),
    revision: c.revision,
    description: c.description,
    ...(c.objectNumbers.length > 0 ? { objectNumbers: [...c.objectNumbers] } : {}),
  }));
  const classification = reports.length === 0 ? 'none' : reports.every((r) => r.allowed) ? 'allowed' : 'disallowed';
  return { classification, changes: reports };
}

/** The /Lock of a signature field or a FieldMDP /Reference of its signature dictionary. */
export function fieldLockOf(file: PdfFile, revision: Revision, field: PdfDict, signature: PdfDict): FieldLock | null {
  const fromDict = (dict: PdfDict | undefined): FieldLock | null => {
    if (!dict) return null;
    const action = nameOf(dict.get('Action'));
    if (action !== 'All' && action !== 'Include' && action !== 'Exclude') return null;
    const fields = new Set(
      (file.array(revision, dict.get('Fields')) ?? []).map((f) => file.resolve(revision, f)).filter((f): f is PdfString => f instanceof PdfString).map((f) => f.text()),
    );
    return { action, fields };
  };
  const lock = fromDict(file.dict(revision, field.get('Lock')));
  if (lock) return lock;
  for (const reference of file.array(revision, signature.get('Reference')) ?? []) {
    const dict = file.dict(revision, reference);
    if (dict && nameOf(dict.get('TransformMethod')) === 'FieldMDP') {
      const params = fromDict(file.dict(revision, dict.get('TransformParams')));
      if (params) return params;
    }
  }
  return null;
}

/** The DocMDP permission a certification signature dictionary declares (ISO 32000-2 Table 257: /P defaults to 2), or null. */
export function docMdpOf(file: PdfFile, revision: Revision, signature: PdfDict): DocMdpPermission | null {
  for (const reference of file.array(revision, signature.get('Reference')) ?? []) {
    const dict = file.dict(revision, reference);
    if (!dict || nameOf(dict.get('TransformMethod')) !== 'DocMDP') continue;
    const params = file.dict(revision, dict.get('TransformParams'));
    const p = params ? file.resolve(revision, params.get('P')) : undefined;
    return p === 1 || p === 3 ? p : 2;
  }
  return null;
}

/** Whether the catalog's /Perms /DocMDP of `revision` is the signature dictionary `dictionaryNumber` (ISO 32000-2 §12.8.4.2). */
export function isCertification(file: PdfFile, revision: Revision, dictionaryNumber: number | null): boolean {
  const perms = file.dict(revision, file.catalog(revision).dict?.get('Perms'));
  return dictionaryNumber !== null && refNum(perms?.get('DocMDP')) === dictionaryNumber;
}

const EMPTY_DICT = new PdfDict(new Map());

function asDict(value: PdfObject): PdfDict | undefined {
  return value instanceof PdfDict ? value : value instanceof PdfStream ? value.dict : undefined;
}

function refNum(value: PdfObject | undefined): number | null {
  return value instanceof PdfRef ? value.num : null;
}

function isNumber(value: number | null): value is number {
  return value !== null;
}

function subset(tags: ReadonlySet<Tag>, allowed: Tag[]): boolean {
  if (tags.size === 0) return false;
  for (const t of tags) if (!allowed.includes(t)) return false;
  return true;
}

function isRole(graph: DocumentGraph, n: number): boolean {
  return (
    graph.catalog === n ||
    graph.acroForm === n ||
    graph.fieldsArray === n ||
    graph.pages.has(n) ||
    graph.pageTreeNodes.has(n) ||
    graph.annotsArrays.has(n) ||
    graph.signatureFields.has(n) ||
    graph.formFields.has(n) ||
    graph.annotations.has(n)
  );
}

function isContainer(value: PdfObject): boolean {
  if (!(value instanceof PdfStream)) return false;
  const type = nameOf(value.dict.get('Type'));
  return type === 'ObjStm' || type === 'XRef';
}

function subtypeOf(value: PdfObject | undefined): string {
  const dict = value instanceof PdfDict ? value : undefined;
  const subtype = dict ? nameOf(dict.get('Subtype')) : null;
  return subtype ? `/${subtype}` : 'unknown type';
}

function kindOfTags(tags: ReadonlySet<Tag>): ModificationKind {
  if (tags.has('page-content') || tags.has('page')) return 'page-content';
  if (tags.has('form-resources')) return 'resources';
  if (tags.has('document') || tags.has('catalog') || tags.has('perms')) return 'catalog';
  return 'structure';
}

function describeTags(tags: ReadonlySet<Tag>, graph: DocumentGraph, n: number): string {
  if (graph.pages.has(n)) return `page ${graph.pages.get(n)}`;
  const names: Partial<Record<Tag, string>> = {
    'page-content': 'page content or resources (fonts, images, XObjects)',
    'form-resources': 'form resources',
    document: 'document-level structure (outlines, names, actions)',
    perms: 'document permissions',
    'sig-value': 'a signature dictionary',
    'timestamp-value': 'a document time-stamp dictionary',
    'sig-appearance': 'a signature appearance',
    'sig-field': 'a signature field',
    'form-field': 'a form field',
    'field-appearance': 'a form field appearance',
    annotation: 'an annotation',
    acroform: 'the interactive form',
    dss: 'validation data',
    info: 'document information',
    metadata: 'metadata',
  };
  const parts = [...tags].map((t) => names[t] ?? t);
  return parts.length > 0 ? `used as ${[...new Set(parts)].join(', ')}` : 'unused';
}
