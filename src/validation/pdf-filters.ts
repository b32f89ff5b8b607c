/**
 * Stream decoding for what validation reads from streams: object streams and cross-reference
 * streams (ISO 32000-2 §7.5.7, §7.5.8) and DSS entries (§12.8.4.3). FlateDecode with the PNG
 * and TIFF predictors (§7.4.4.4) and ASCIIHexDecode; other filters are refused. Output is
 * capped, so a small compressed stream cannot expand into gigabytes.
 */
import { inflateSync } from 'node:zlib';
import { isInteger, nameOf, PdfDict, type PdfObject, type PdfStream } from './pdf-syntax.js';

export class UnsupportedStreamError extends Error {}

/**
 * The decoded data of `stream`. `resolve` turns indirect /Filter and /DecodeParms into
 * values.
 *
 * @throws UnsupportedStreamError for filters other than FlateDecode and ASCIIHexDecode, or
 *   data that does not decode, or decoded data over `maxBytes`.
 */
export function decodeStream(stream: PdfStream, maxBytes: number, resolve: (object: PdfObject | undefined) => PdfObject | undefined): Uint8Array {
  const filterValue = resolve(stream.dict.get('Filter'));
  const filters = (Array.isArray(filterValue) ? filterValue : filterValue === undefined ? [] : [filterValue]).map((f) => nameOf(resolve(f)));
  const parmsValue = resolve(stream.dict.get('DecodeParms'));
  const parms = Array.isArray(parmsValue) ? parmsValue.map((p) => resolve(p)) : [parmsValue];
  let data: Uint8Array = stream.raw();
  for (const [i, filter] of filters.entries()) {
    const parm = parms[i];
    switch (filter) {
      case 'FlateDecode':
      case 'Fl':
        data = inflate(data, maxBytes);
        data = unpredict(data, parm instanceof PdfDict ? parm : undefined, maxBytes);
        break;
      case 'ASCIIHexDecode':
      case 'AHx':
        data = asciiHex(data);
        break;
      default:
        throw new UnsupportedStreamError(`unsupported stream filter ${filter ?? '(not a name)'}`);
    }
  }
  if (data.length > maxBytes) throw new UnsupportedStreamError('decoded stream too large');
  return data;
}

function inflate(data: Uint8Array, maxBytes: number): Uint8Array {
  try {
    return inflateSync(data, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (cause) {
    // Some writers omit the zlib trailer; try once more tolerating a truncated stream.
    try {
      return inflateSync(data, { maxOutputLength: Math.max(1, maxBytes), finishFlush: 2 /* Z_SYNC_FLUSH */ });
    } catch {
      throw new UnsupportedStreamError('FlateDecode data does not decode', { cause });
    }
  }
}

/** §7.4.4.4 Table 8: Predictor 2 (TIFF) and 10–15 (PNG, per-row filter byte). */
function unpredict(data: Uint8Array, parms: PdfDict | undefined, maxBytes: number): Uint8Array {
  if (!parms) return data;
  const predictor = parms.get('Predictor');
  if (!isInteger(predictor) || predictor <= 1) return data;
  const colors = numberOr(parms.get('Colors'), 1);
  const bits = numberOr(parms.get('BitsPerComponent'), 8);
  const columns = numberOr(parms.get('Columns'), 1);
  if (colors < 1 || colors > 32 || ![1, 2, 4, 8, 16].includes(bits) || columns < 1 || columns > maxBytes) {
    throw new UnsupportedStreamError('bad predictor parameters');
  }
  const bytesPerPixel = Math.max(1, Math.ceil((colors * bits) / 8));
  const rowLength = Math.ceil((colors * bits * columns) / 8);
  if (predictor === 2) {
    if (bits !== 8) throw new UnsupportedStreamError('TIFF predictor with other than 8 bits per component');
    const out = Uint8Array.from(data);
    for (let row = 0; row + rowLength <= out.length; row += rowLength) {
      for (let i = bytesPerPixel; i < rowLength; i++) out[row + i] = (out[row + i]! + out[row + i - bytesPerPixel]!) & 0xff;
    }
    return out;
  }
  const rows = Math.floor(data.length / (rowLength + 1));
  const out = new Uint8Array(rows * rowLength);
  const previous = new Uint8Array(rowLength);
  for (let r = 0; r < rows; r++) {
    const type = data[r * (rowLength + 1)]!;
    const src = r * (rowLength + 1) + 1;
    const dst = r * rowLength;
    for (let i = 0; i < rowLength; i++) {
      const raw = data[src + i]!;
      const left = i >= bytesPerPixel ? out[dst + i - bytesPerPixel]! : 0;
      const up = previous[i]!;
      const upLeft = i >= bytesPerPixel ? previous[i - bytesPerPixel]! : 0;
      let value: number;
      switch (type) {
        case 0: value = raw; break;
        case 1: value = raw + left; break;
        case 2: value = raw + up; break;
        case 3: value = raw + ((left + up) >> 1); break;
        case 4: {
          const p = left + up - upLeft;
          const pa = Math.abs(p - left);
          const pb = Math.abs(p - up);
          const pc = Math.abs(p - upLeft);
          value = raw + (pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft);
          break;
        }
        default:
          throw new UnsupportedStreamError(`bad PNG filter type ${type}`);
      }
      out[dst + i] = value & 0xff;
    }
    previous.set(out.subarray(dst, dst + rowLength));
  }
  return out;
}

function numberOr(value: PdfObject | undefined, fallback: number): number {
  return isInteger(value) ? value : fallback;
}

function asciiHex(data: Uint8Array): Uint8Array {
  const text = Buffer.from(data).toString('latin1');
  const end = text.indexOf('>');
  const digits = (end >= 0 ? text.slice(0, end) : text).replace(/[\0\t\n\f\r ]+/g, '');
  if (!/^[0-9a-fA-F]*$/.test(digits)) throw new UnsupportedStreamError('ASCIIHexDecode data is not hex');
  return Buffer.from(digits.length % 2 ? `${digits}0` : digits, 'hex');
}
