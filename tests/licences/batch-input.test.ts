import { describe, expect, it } from 'vitest';
import { type BatchFormat, type BatchRow, batchRows } from '../../src/licences/batch-input.js';
import { shippedCatalogue } from './licence-fixtures.js';

const type = shippedCatalogue.getBySlug('disability-certificate')!;

async function read(chunks: Uint8Array[], format: BatchFormat): Promise<BatchRow[]> {
  const rows: BatchRow[] = [];
  const source = (async function* () {
    yield* chunks;
  })();
  for await (const row of batchRows(source, format, type)) rows.push(row);
  return rows;
}

/** The file cut every `size` bytes: through characters, quotes and line ends. */
function cut(bytes: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

const required = type.fields.filter((f) => f.required);
const value = (f: (typeof required)[number], n: number) => (f.type === 'enum' ? f.options![n % f.options!.length]! : f.type === 'date' ? '2016-04-01' : `太原市小店区"长风街",${n}号`);

/** Batch files are stored in chunks and read back a chunk at a time: the rows must not depend on where the cuts fall. */
describe('batch rows read from chunks', () => {
  it('CSV: the same rows wherever the file is cut, even inside a character or a quoted field', async () => {
    const header = ['licenceNumber', 'issueDate', 'holderName', 'holderId', ...required.map((f) => f.key)].join(',');
    const lines = Array.from({ length: 12 }, (_, n) =>
      [`B${n}`, '2018-05-20', `李明华${n}`, '140105198005120014', ...required.map((f) => `"${value(f, n).replaceAll('"', '""')}"`)].join(','),
    );
    const file = new TextEncoder().encode(`\uFEFF${header}\r\n${lines.join('\r\n')}\r\n`);
    const whole = await read([file], 'csv');
    expect(whole).toHaveLength(12);
    expect(whole[3]).toMatchObject({ rowNumber: 4, record: { licenceNumber: 'B3', holders: [{ name: '李明华3' }] } });
    for (const size of [1, 2, 3, 5, 7, 64, 1000]) expect(await read(cut(file, size), 'csv')).toEqual(whole);
  });

  it('NDJSON: the same rows wherever the file is cut, a broken line still reported in its place, no final newline needed', async () => {
    const line = (n: number) => JSON.stringify({ licenceNumber: `N${n}`, issueDate: '2018-05-20', holders: [{ name: `张晓红${n}`, id: '140105198005120014' }], fields: { note: '残疾人证' } });
    const file = new TextEncoder().encode([line(1), '', '{broken', line(2), line(3)].join('\n'));
    const whole = await read([file], 'ndjson');
    expect(whole.map((r) => [r.rowNumber, 'error' in r ? r.error.code : r.record.licenceNumber])).toEqual([
      [1, 'N1'],
      [2, 'MalformedRow'],
      [3, 'N2'],
      [4, 'N3'],
    ]);
    for (const size of [1, 2, 3, 5, 7, 64, 1000]) expect(await read(cut(file, size), 'ndjson')).toEqual(whole);
  });
});
