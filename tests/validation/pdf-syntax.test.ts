import { describe, expect, it } from 'vitest';
import { Keyword, PdfDict, PdfLexer, PdfName, PdfRef, PdfStream, PdfString, PdfSyntaxError, readIndirectObject, sameObject, type PdfObject } from '../../src/validation/pdf-syntax.js';

const read = (source: string): PdfObject | Keyword => new PdfLexer(Buffer.from(source, 'latin1')).readObject();
const text = (object: PdfObject | Keyword) => (object as PdfString).text();

describe('the PDF object reader (ISO 32000-2 §7.2, §7.3)', () => {
  it.each([
    ['42', 42],
    ['-3.5', -3.5],
    ['.5', 0.5],
    ['+7', 7],
    ['true', true],
    ['null', null],
  ])('reads %s', (source, value) => {
    expect(read(source)).toBe(value);
  });

  it('reads names with #xx escapes, interned', () => {
    const name = read('/A#20B#2fC') as PdfName;
    expect(name.value).toBe('A B/C');
    expect(read('/Type')).toBe(PdfName.of('Type'));
  });

  it.each([
    ['(plain)', 'plain'],
    ['(a (nested) b)', 'a (nested) b'],
    ['(esc\\n\\t\\(\\)\\\\)', 'esc\n\t()\\'],
    ['(oct\\101\\7)', 'octA\x07'],
    ['(line\\\ncontinued)', 'linecontinued'],
    ['(cr\r\nlf)', 'cr\nlf'],
    ['<48656C6C6F>', 'Hello'],
    ['<48 65 6c 6C 6>', 'Hel\x6c\x60'],
    ['<FEFF00410042>', 'AB'],
  ])('reads the string %j', (source, value) => {
    expect(text(read(source))).toBe(value);
  });

  it('keeps where a string token lies, for /Contents and /ByteRange checks', () => {
    const dict = read('<< /Contents <00AB> >>') as PdfDict;
    const contents = dict.get('Contents') as PdfString;
    expect([contents.start, contents.end, contents.hex]).toEqual([13, 19, true]);
  });

  it('tells references from pairs of numbers', () => {
    const items = read('[1 0 R 2 3 4 R]') as PdfObject[];
    expect(items).toHaveLength(3);
    expect(items[0]).toEqual(new PdfRef(1, 0));
    expect(items[1]).toBe(2);
    expect(items[2]).toEqual(new PdfRef(3, 4));
  });

  it('drops null values from dictionaries and records duplicate keys', () => {
    const dict = read('<< /A 1 /B null /A 2 >>') as PdfDict;
    expect([...dict.entries.keys()]).toEqual(['A']);
    expect(dict.get('A')).toBe(2);
    expect(dict.duplicateKeys).toEqual(['A']);
  });

  it.each([
    ['deep nesting', '['.repeat(100) + ']'.repeat(100)],
    ['an unterminated string', '(abc'],
    ['an unterminated array', '[1 2'],
    ['a non-name key', '<< 1 2 >>'],
    ['a stray delimiter', ')'],
    ['bad hex', '<4G>'],
  ])('throws PdfSyntaxError on %s', (_, source) => {
    expect(() => read(source)).toThrow(PdfSyntaxError);
  });

  it('reads an indirect stream whose /Length is wrong by finding endstream', () => {
    const source = Buffer.from('7 0 obj\n<< /Length 999 >>\nstream\r\nDATA\nendstream\nendobj\n', 'latin1');
    const object = readIndirectObject(source, 0, 7, 0);
    expect(Buffer.from((object.value as PdfStream).raw()).toString()).toBe('DATA');
    expect(() => readIndirectObject(source, 0, 8, 0)).toThrow(/not 8 0/);
  });

  it('compares objects structurally, streams by raw bytes', () => {
    expect(sameObject(read('<< /A [1 (x) /N 2 0 R] >>') as PdfObject, read('<</A[1(x)/N 2 0 R]>>') as PdfObject)).toBe(true);
    expect(sameObject(read('<< /A 1 >>') as PdfObject, read('<< /A 1 /B 2 >>') as PdfObject)).toBe(false);
    const a = readIndirectObject(Buffer.from('1 0 obj << /Length 3 >> stream\nabc\nendstream endobj'), 0, 1, 0).value;
    const b = readIndirectObject(Buffer.from('1 0 obj << /Length 3 >> stream\nabd\nendstream endobj'), 0, 1, 0).value;
    expect(sameObject(a, a)).toBe(true);
    expect(sameObject(a, b)).toBe(false);
  });
});
