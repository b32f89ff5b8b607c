import { PDFDocument, rgb } from '@cantoo/pdf-lib';
import { embedCjkFont } from '../pdf/cjk-font.js';

/** A one-page A4 notice in Chinese, the kind of document departments seal every day. */
export async function samplePdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await embedCjkFont(doc, 'sample');
  const page = doc.addPage([595.28, 841.89]);
  const lines = [
    ['山西省市场监督管理局', 20],
    ['关于企业登记事项的告知书', 16],
    ['', 12],
    ['太原市某某科技有限公司：', 12],
    ['    你单位提交的登记申请材料齐全，符合法定形式，', 12],
    ['    本机关予以登记。特此告知。', 12],
    ['', 12],
    ['统一社会信用代码：91140100MA0KXXXX0X', 12],
  ] as const;
  let y = 760;
  for (const [text, size] of lines) {
    if (text) page.drawText(text, { x: 72, y, size, font, color: rgb(0, 0, 0) });
    y -= size * 2;
  }
  page.drawText('2026年11月23日', { x: 400, y: 260, size: 12, font });
  return doc.save({ useObjectStreams: false });
}
