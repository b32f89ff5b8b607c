/**
 * Reading a batch of paper licences to digitise: CSV (RFC 4180, UTF-8, optional BOM, a
 * header row) or NDJSON (one JSON object per line). Rows are produced one at a time, so a
 * 100,000-row file never exists as 100,000 objects.
 *
 * CSV columns: `licenceNumber`, `issueDate` (the paper licence's), optional `validFrom` and
 * `validUntil`, `<role>Name` and `<role>Id` for each holder role of the type (e.g. `holderName`,
 * `holderId`, `spouseName`, `spouseId`), then the type's field keys. NDJSON lines have the API's
 * shape: `{ "licenceNumber", "issueDate", "holders": [{ "name", "id" }], "fields": {...}, ... }`.
 */
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { InvalidInputError } from '../errors.js';
import type { LicenceType } from './licence-type.js';

export type BatchFormat = 'csv' | 'ndjson';

export interface BatchRecord {
  licenceNumber: string;
  issueDate: string;
  holders: { name: string; id: string }[];
  fields: Record<string, unknown>;
  validFrom?: string;
  validUntil?: string;
}

export type BatchRow = { rowNumber: number; record: BatchRecord } | { rowNumber: number; error: { code: string; message: string } };

const BASE_COLUMNS = ['licenceNumber', 'issueDate', 'validFrom', 'validUntil'];
const MAX_LINE_BYTES = 64 * 1024;

function columnsOf(type: LicenceType): { allowed: Set<string>; required: string[] } {
  const holderColumns = type.holderRoles.flatMap((role) => [`${role.key}Name`, `${role.key}Id`]);
  const allowed = new Set([...BASE_COLUMNS, ...holderColumns, ...type.fields.map((f) => f.key)]);
  const required = ['licenceNumber', 'issueDate', ...holderColumns, ...type.fields.filter((f) => f.required).map((f) => f.key)];
  return { allowed, required };
}

/**
 * Checks what can be checked about the whole file before a job is created: a CSV header that
 * names the needed columns and no unknown ones, or a first NDJSON line that is a JSON object.
 * Throws InvalidInputError('MalformedBatchFile') with the problems.
 */
export async function checkBatchFile(content: Uint8Array, format: BatchFormat, type: LicenceType): Promise<void> {
  if (content.byteLength === 0) throw malformed('The file is empty');
  if (format === 'csv') {
    const header = await csvHeader(content);
    const { allowed, required } = columnsOf(type);
    const unknown = header.filter((column) => !allowed.has(column));
    const missing = required.filter((column) => !header.includes(column));
    const duplicated = header.filter((column, i) => header.indexOf(column) !== i);
    if (unknown.length || missing.length || duplicated.length) {
      throw malformed(
        [
          unknown.length ? `unknown columns: ${unknown.join(', ')}` : '',
          missing.length ? `missing columns: ${missing.join(', ')}` : '',
          duplicated.length ? `repeated columns: ${duplicated.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; '),
        { unknown, missing, duplicated, allowed: [...allowed] },
      );
    }
    return;
  }
  const firstLine = Buffer.from(content.subarray(0, Math.min(content.byteLength, MAX_LINE_BYTES))).toString('utf8').split('\n')[0]!;
  try {
    const value = JSON.parse(firstLine) as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
  } catch (error) {
    throw malformed('The first line is not a JSON object (NDJSON: one object per line)', undefined, error);
  }
}

async function csvHeader(content: Uint8Array): Promise<string[]> {
  const parser = Readable.from([Buffer.from(content.buffer, content.byteOffset, content.byteLength)]).pipe(
    parse({ bom: true, to_line: 1, relax_column_count: true }),
  );
  try {
    for await (const header of parser as AsyncIterable<string[]>) return header.map((c) => c.trim());
  } catch (error) {
    throw malformed(`The CSV header cannot be read: ${(error as Error).message}`, undefined, error);
  }
  throw malformed('The file has no header row');
}

/**
 * The rows of a checked batch file, numbered from 1 (the first data row), read from its
 * chunks in order (split anywhere, even inside a character or a line).
 */
export async function* batchRows(chunks: AsyncIterable<Uint8Array>, format: BatchFormat, type: LicenceType): AsyncGenerator<BatchRow> {
  if (format === 'csv') yield* csvRows(chunks, type);
  else yield* ndjsonRows(chunks);
}

async function* csvRows(chunks: AsyncIterable<Uint8Array>, type: LicenceType): AsyncGenerator<BatchRow> {
  const buffers = (async function* () {
    for await (const chunk of chunks) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  })();
  const parser = Readable.from(buffers).pipe(
    parse({ bom: true, columns: (header: string[]) => header.map((c) => c.trim()), skip_empty_lines: true, relax_column_count: true, max_record_size: MAX_LINE_BYTES }),
  );
  let rowNumber = 0;
  try {
    for await (const row of parser as AsyncIterable<Record<string, string>>) {
      rowNumber++;
      yield { rowNumber, record: recordFromColumns(row, type) };
    }
  } catch (error) {
    // csv-parse cannot resynchronise after a broken quote: the rest of the file is one error.
    yield { rowNumber: rowNumber + 1, error: { code: 'MalformedRow', message: `CSV cannot be read from here on: ${(error as Error).message}` } };
  }
}

function recordFromColumns(row: Record<string, string>, type: LicenceType): BatchRecord {
  const value = (key: string) => (row[key] ?? '').trim();
  const fields: Record<string, unknown> = {};
  for (const field of type.fields) {
    const text = value(field.key);
    if (text !== '') fields[field.key] = text;
  }
  return {
    licenceNumber: value('licenceNumber'),
    issueDate: value('issueDate'),
    holders: type.holderRoles.map((role) => ({ name: value(`${role.key}Name`), id: value(`${role.key}Id`) })),
    fields,
    ...(value('validFrom') ? { validFrom: value('validFrom') } : {}),
    ...(value('validUntil') ? { validUntil: value('validUntil') } : {}),
  };
}

async function* ndjsonRows(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<BatchRow> {
  let rowNumber = 0;
  // The start of a line whose end is in a later chunk.
  let pending: Buffer = Buffer.alloc(0);
  const lineRow = (bytes: Buffer): BatchRow | null => {
    const line = bytes.toString('utf8').trim();
    return line === '' ? null : parseNdjsonLine(++rowNumber, line);
  };
  for await (const chunk of chunks) {
    const bytes = pending.length ? Buffer.concat([pending, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (let end = bytes.indexOf(0x0a); end !== -1; end = bytes.indexOf(0x0a, start)) {
      const row = lineRow(bytes.subarray(start, end));
      start = end + 1;
      if (row) yield row;
    }
    pending = Buffer.from(bytes.subarray(start));
  }
  const last = lineRow(pending);
  if (last) yield last;
}

function parseNdjsonLine(rowNumber: number, line: string): BatchRow {
  if (line.length > MAX_LINE_BYTES) return { rowNumber, error: { code: 'MalformedRow', message: `The line is longer than ${MAX_LINE_BYTES} bytes` } };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { rowNumber, error: { code: 'MalformedRow', message: 'The line is not valid JSON' } };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { rowNumber, error: { code: 'MalformedRow', message: 'The line is not a JSON object' } };
  }
  const v = value as Record<string, unknown>;
  const text = (x: unknown) => (typeof x === 'string' ? x.trim() : '');
  const holders = Array.isArray(v.holders)
    ? v.holders.map((h) => ({ name: text((h as Record<string, unknown>)?.name), id: text((h as Record<string, unknown>)?.id) }))
    : [];
  return {
    rowNumber,
    record: {
      licenceNumber: text(v.licenceNumber),
      issueDate: text(v.issueDate),
      holders,
      fields: v.fields && typeof v.fields === 'object' && !Array.isArray(v.fields) ? (v.fields as Record<string, unknown>) : {},
      ...(typeof v.validFrom === 'string' ? { validFrom: v.validFrom } : {}),
      ...(typeof v.validUntil === 'string' ? { validUntil: v.validUntil } : {}),
    },
  };
}

function malformed(message: string, details?: Record<string, unknown>, cause?: unknown): InvalidInputError {
  return new InvalidInputError('MalformedBatchFile', message, { ...(details ? { details } : {}), ...(cause ? { cause } : {}) });
}
