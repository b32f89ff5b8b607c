/**
 * Renders the face of an electronic licence as a one-page PDF from its type's layout: title,
 * holder and face fields as label/value lines, the QR code to the public verification
 * address, the issuing authority and date (where the seal goes), and a footer with the
 * licence number and the GB/T 36904 identifier. The GB/T 36903 metadata items go into the
 * file's XMP packet, so they travel with the file and any XMP reader sees them.
 *
 * Speed matters here (a batch renders 100,000 of these): the font is parsed once per process
 * (pdf/cjk-font.ts) and subset per document, streams are compressed by Node's zlib
 * (pdf/native-deflate.ts), and the QR code is one vector path of `re` operators, one per run
 * of dark modules, not one drawing call per module.
 */
import {
  PDFDocument,
  type PDFFont,
  PDFName,
  type PDFPage,
  rgb,
} from '@cantoo/pdf-lib';
import QRCode from 'qrcode';
import { embedCjkFont } from '../pdf/cjk-font.js';
import { compressWithZlib } from '../pdf/native-deflate.js';
import type { LicenceData } from './licence-data.js';
import { LICENCE_PAGE_SIZES, type LicenceLayout, type LicenceType } from './licence-type.js';

/** The GB/T 36903 items written to the file's metadata (gb-standards.md §1.3), by their pinyin codes. */
export interface LicenceMetadata {
  ZZMC: string;
  ZZLXDM: string;
  ZZBH: string;
  ZZBS: string;
  ZZBFJG: string;
  ZZBFJGDM: string;
  ZZBFRQ: string;
  CZZT: string;
  CZZTDM: string;
  CZZTDMLX: string;
  CZZTDMLXDM: string;
  ZZYXQQSRQ: string;
  ZZYXQJZRQ: string;
  ZZDYJGMC: string;
  ZZDYJGDM: string;
  ZZBBH: string;
  ZZSSSDDM: string;
}

export interface LicenceRenderParams {
  type: LicenceType;
  data: LicenceData;
  identifier: string;
  licenceNumber: string;
  issuerName: string;
  /** 'YYYY-MM-DD' */
  issueDate: string;
  /** The instant written as the file's creation date, so the same licence renders the same bytes. */
  issuedAt: Date;
  verifyUrl: string;
  metadata: LicenceMetadata;
}

const INK = rgb(0.1, 0.1, 0.12);
const GREY = rgb(0.35, 0.35, 0.38);
const FRAME = rgb(0.55, 0.42, 0.2);
const QR_ERROR_CORRECTION = 'M';
const QR_MASK_PATTERN = 2;

export async function renderLicencePdf(params: LicenceRenderParams): Promise<Uint8Array> {
  const { type, data, issuedAt } = params;
  const { layout } = type;
  const { width, height } = LICENCE_PAGE_SIZES[layout.page];
  const doc = await PDFDocument.create({ updateMetadata: false });
  compressWithZlib(doc);
  const font = await embedCjkFont(doc, params.identifier);
  const page = doc.addPage([width, height]);

  if (layout.frame) drawFrame(page, width, height);
  drawCentred(page, font, layout.title.text, layout.title.size, layout.title.y, width, INK);
  if (layout.subtitle) drawCentred(page, font, layout.subtitle.text, layout.subtitle.size, layout.subtitle.y, width, GREY);
  drawBody(page, font, layout.body, faceLines(params));
  drawQr(doc, page, font, params.verifyUrl, layout.qr);
  drawIssuer(page, font, layout.issuer, params.issuerName, params.issueDate);
  drawFooter(page, font, layout.footer, width, params.licenceNumber, params.identifier);

  setMetadata(doc, params);
  doc.setCreationDate(issuedAt);
  doc.setModificationDate(issuedAt);
  // Classic cross-reference table: what the sealing appender and most validators handle best.
  return doc.save({ useObjectStreams: false });
}

interface FaceLine {
  label: string;
  value: string;
}

function faceLines({ type, data }: LicenceRenderParams): FaceLine[] {
  const lines: FaceLine[] = [];
  type.holderRoles.forEach((role, index) => {
    const holder = data.holders[index]!;
    lines.push({ label: role.nameLabel, value: holder.name }, { label: role.idLabel, value: holder.id });
  });
  for (const field of type.fields) {
    if (field.printed === false) continue;
    const value = data.fields[field.key];
    if (value !== undefined) lines.push({ label: field.label, value });
  }
  if (type.validity.kind !== 'permanent') {
    lines.push({ label: type.validityLabel?.label ?? '有效期限', value: data.validUntil ? `${chineseDate(data.validFrom)}至${chineseDate(data.validUntil)}` : `${chineseDate(data.validFrom)}起长期` });
  }
  return lines;
}

function drawBody(page: PDFPage, font: PDFFont, body: LicenceLayout['body'], lines: FaceLine[]): void {
  const valueWidth = body.width - body.labelWidth;
  let y = body.y;
  for (const line of lines) {
    page.drawText(line.label, { x: body.x, y, size: body.fontSize, font, color: GREY });
    for (const part of wrap(font, line.value, body.fontSize, valueWidth)) {
      page.drawText(part, { x: body.x + body.labelWidth, y, size: body.fontSize, font, color: INK });
      y -= body.lineHeight;
    }
  }
}

/** Greedy wrapping by character (Chinese has no spaces to break at); explicit newlines are kept. */
export function wrap(font: PDFFont, text: string, size: number, maxWidth: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    if (font.widthOfTextAtSize(paragraph, size) <= maxWidth) {
      out.push(paragraph);
      continue;
    }
    let line = '';
    let width = 0;
    for (const ch of paragraph) {
      const advance = font.widthOfTextAtSize(ch, size);
      if (line && width + advance > maxWidth) {
        out.push(line);
        line = '';
        width = 0;
      }
      line += ch;
      width += advance;
    }
    out.push(line);
  }
  return out;
}

function drawCentred(page: PDFPage, font: PDFFont, text: string, size: number, y: number, pageWidth: number, color = INK): void {
  const textWidth = font.widthOfTextAtSize(text, size);
  page.drawText(text, { x: (pageWidth - textWidth) / 2, y, size, font, color });
}

function drawFrame(page: PDFPage, width: number, height: number): void {
  const outer = Math.min(width, height) * 0.03;
  page.drawRectangle({ x: outer, y: outer, width: width - 2 * outer, height: height - 2 * outer, borderColor: FRAME, borderWidth: 2 });
  const inner = outer + 4;
  page.drawRectangle({ x: inner, y: inner, width: width - 2 * inner, height: height - 2 * inner, borderColor: FRAME, borderWidth: 0.6 });
}

/**
 * The QR code as one filled path: a rectangle per horizontal run of dark modules, written as
 * a content stream of its own (thousands of numbers: formatting them through pdf-lib's
 * operator objects cost more than the rest of the page). The quiet zone (4 modules,
 * ISO/IEC 18004 §6.3.8) is left blank around it, inside the box. One byte-mode segment and a
 * fixed mask pattern: the segment optimiser and the mask search (all eight masks scored)
 * only shave a few modules off a code that is already small.
 */
function drawQr(doc: PDFDocument, page: PDFPage, font: PDFFont, text: string, box: LicenceLayout['qr']): void {
  const qr = QRCode.create([{ data: Buffer.from(text, 'utf8'), mode: 'byte' }], { errorCorrectionLevel: QR_ERROR_CORRECTION, maskPattern: QR_MASK_PATTERN });
  const count = qr.modules.size;
  const modules = qr.modules.data;
  const module = box.size / (count + 8);
  // After `cm` one module is one unit and rows count downwards from the top-left module, so
  // every number in the path is a small integer: a third of the bytes of page coordinates.
  const parts: string[] = [`q ${fixed(module)} 0 0 ${fixed(-module)} ${fixed(box.x + 4 * module)} ${fixed(box.y + box.size - 4 * module)} cm 0 0 0 rg`];
  for (let row = 0; row < count; row++) {
    let col = 0;
    while (col < count) {
      if (!modules[row * count + col]) {
        col++;
        continue;
      }
      const start = col;
      while (col < count && modules[row * count + col]) col++;
      parts.push(`${start} ${row} ${col - start} 1 re`);
    }
  }
  parts.push('f Q');
  page.node.addContentStream(doc.context.register(doc.context.flateStream(parts.join('\n'))));
  const caption = '扫码核验 Scan to verify';
  const size = Math.max(6, Math.min(8, box.size / 14));
  const captionWidth = font.widthOfTextAtSize(caption, size);
  page.drawText(caption, { x: box.x + (box.size - captionWidth) / 2, y: box.y - size, size, font, color: GREY });
}

function fixed(n: number): string {
  return (Math.round(n * 1000) / 1000).toString();
}

function drawIssuer(page: PDFPage, font: PDFFont, block: LicenceLayout['issuer'], issuerName: string, issueDate: string): void {
  page.drawText('发证机关', { x: block.x, y: block.y, size: block.size * 0.85, font, color: GREY });
  page.drawText(issuerName, { x: block.x, y: block.y - block.size * 1.5, size: block.size, font, color: INK });
  page.drawText(chineseDate(issueDate), { x: block.x, y: block.y - block.size * 3, size: block.size, font, color: INK });
}

function drawFooter(page: PDFPage, font: PDFFont, footer: LicenceLayout['footer'], width: number, number: string, identifier: string): void {
  drawCentred(page, font, `证照编号 ${number}`, footer.size, footer.y + footer.size * 1.4, width, GREY);
  drawCentred(page, font, `电子证照标识 ${identifier}`, footer.size, footer.y, width, GREY);
}

/** '2026-11-23' → '2026年11月23日', as dates are printed on Chinese licences. */
export function chineseDate(date: string): string {
  const [year, month, day] = date.split('-');
  return `${year}年${Number(month)}月${Number(day)}日`;
}

const XMP_NAMESPACE = 'urn:gbt36903:licence:1.0';

function setMetadata(doc: PDFDocument, params: LicenceRenderParams): void {
  doc.setTitle(`${params.type.name} ${params.licenceNumber}`, { showInWindowTitleBar: true });
  doc.setSubject(params.identifier);
  doc.setAuthor(params.issuerName);
  doc.setCreator('e-licence trust service');
  doc.setProducer('e-licence trust service');
  doc.setLanguage('zh-CN');
  const items = Object.entries(params.metadata)
    .map(([key, value]) => `      <zz:${key}>${escapeXml(value)}</zz:${key}>`)
    .join('\n');
  const xmp = `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
  <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
    <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:zz="${XMP_NAMESPACE}#">
      <dc:identifier>${escapeXml(params.identifier)}</dc:identifier>
${items}
    </rdf:Description>
  </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`;
  const stream = doc.context.stream(Buffer.from(xmp, 'utf8'), { Type: 'Metadata', Subtype: 'XML' });
  doc.catalog.set(PDFName.of('Metadata'), doc.context.register(stream));
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (ch) => `&#${ch.codePointAt(0)};`);
}
