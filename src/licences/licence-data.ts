import { InvalidInputError } from '../errors.js';
import { cjkFont, cjkFontCovers } from '../pdf/cjk-font.js';
import { creditCodeProblem } from '../pki/credit-code.js';
import { residentIdProblem } from '../pki/resident-id.js';
import {
  bodyCharactersPerLine,
  DEFAULT_MAX_LENGTH,
  HOLDER_ID_TYPE_CODES,
  HOLDER_NAME_MAX_LENGTH,
  type LicenceFieldSpec,
  type LicenceType,
} from './licence-type.js';

/**
 * Validation and normalisation of the data an issuer posts to issue a licence of a given
 * type. Every problem is collected before one InvalidInputError is thrown, so an issuer (or a
 * batch of 100,000 rows) learns everything wrong with a row at once. Per-type work (patterns,
 * option sets, line budgets) is done once per type and kept in a WeakMap; per-character font
 * lookups are memoised, so a row costs a few microseconds.
 */

/** What an issuer posts (already JSON-parsed; treated as untrusted). */
export interface LicenceDataParams {
  /** One per holder role, in the type's order. */
  holders: { name: string; id: string }[];
  fields: Record<string, unknown>;
  /** 'YYYY-MM-DD'; default: the issue date (today in China Standard Time, UTC+8). */
  validFrom?: string;
  /** 'YYYY-MM-DD'. */
  validUntil?: string;
}

/** Normalised licence data. */
export interface LicenceData {
  /** Ids upper-cased, names trimmed and in NFC. */
  holders: { role: string; name: string; id: string; idTypeCode: '111' | '001' }[];
  /**
   * Every value as printed text, in the type's field order; absent optional fields omitted.
   * text/multiline/enum: trimmed NFC (multiline line breaks as '\n'); date 'YYYY-MM-DD';
   * integer in decimal without leading zeros; money with two decimals ('500.00');
   * resident-id/credit-code upper-cased.
   */
  fields: Record<string, string>;
  /** 'YYYY-MM-DD'. */
  validFrom: string;
  /** 'YYYY-MM-DD'; null = permanent / 长期. */
  validUntil: string | null;
}

/** Stable problem codes. */
export const LICENCE_DATA_PROBLEM_CODES = [
  'required',
  'unknown-field',
  'too-long',
  'pattern',
  'not-an-option',
  'not-a-date',
  'not-an-integer',
  'not-an-amount',
  'out-of-range',
  'resident-id-shape',
  'resident-id-check-character',
  'resident-id-birth-date',
  'credit-code-shape',
  'credit-code-check-character',
  'holder-count',
  'validity-order',
  'validity-not-allowed',
  'unprintable-character',
  'not-a-string',
  'not-an-object',
] as const;
export type LicenceDataProblemCode = (typeof LICENCE_DATA_PROBLEM_CODES)[number];

export interface LicenceDataProblem {
  /** e.g. 'holders[0].id', 'fields.registeredCapital', 'validUntil'. */
  path: string;
  code: string;
  message: string;
}

/** 'YYYY-MM-DD' of the instant in China Standard Time (UTC+8, no daylight saving). */
export function chinaDate(instant: Date): string {
  const time = instant.getTime();
  if (Number.isNaN(time)) throw new RangeError('not a valid date');
  return new Date(time + CHINA_STANDARD_TIME_OFFSET_MS).toISOString().slice(0, 10);
}

export function validateLicenceData(type: LicenceType, input: LicenceDataParams, today: Date): LicenceData {
  const compiled = compile(type);
  const problems: LicenceDataProblem[] = [];
  const problem = collector(problems);
  const params: Partial<Record<keyof LicenceDataParams, unknown>> = isRecord(input) ? input : {};

  const holders = validateHolders(type, params.holders, today, problem);
  const fields = validateFields(compiled, params.fields, today, problem);
  const validity = validateValidity(type, params.validFrom, params.validUntil, today, problem);

  if (problems.length > 0) {
    throw new InvalidInputError('InvalidLicenceData', `${problems.length} problem(s) in the licence data: ${problems[0]!.message}`, {
      details: { problems },
    });
  }
  return { holders, fields, validFrom: validity.validFrom!, validUntil: validity.validUntil };
}

type Report = (path: string, code: LicenceDataProblemCode, message: string) => void;

function collector(problems: LicenceDataProblem[]): Report {
  return (path, code, message) => {
    problems.push({ path, code, message: `${path}: ${message}` });
  };
}

const CHINA_STANDARD_TIME_OFFSET_MS = 8 * 60 * 60 * 1000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const INTEGER = /^[+-]?\d{1,15}$/;
const AMOUNT = /^(-?)(\d{1,13})(?:\.(\d{1,2}))?$/;
const MAX_AMOUNT_CENTS = 999_999_999_999_999; // 9,999,999,999,999.99: 13 integer digits
const LINE_BREAKS = /\r\n?/g;
const MAX_PATH_KEY = 40;

// ---------------------------------------------------------------------------------------------
// Holders

function validateHolders(type: LicenceType, value: unknown, today: Date, problem: Report): LicenceData['holders'] {
  const roles = type.holderRoles;
  const idTypeCode = HOLDER_ID_TYPE_CODES[type.holderKind];
  const list = Array.isArray(value) ? value : [];
  if (!Array.isArray(value) || value.length !== roles.length) {
    const given = Array.isArray(value) ? `${value.length} were given` : 'none were given';
    problem('holders', 'holder-count', `${type.name} needs ${roles.length} holder(s) (${roles.map((r) => r.nameLabel).join('、')}); ${given}`);
  }
  const holders: LicenceData['holders'] = [];
  roles.forEach((role, i) => {
    if (i >= list.length) return;
    const path = `holders[${i}]`;
    const entry: unknown = list[i];
    if (!isRecord(entry)) {
      problem(path, 'not-an-object', `must be an object with name and id (${role.nameLabel}, ${role.idLabel})`);
      return;
    }
    const name = checkHolderName(entry.name, `${path}.name`, role.nameLabel, problem);
    const rawId = checkString(entry.id, `${path}.id`, role.idLabel, problem);
    let id: string | undefined;
    if (rawId === '') problem(`${path}.id`, 'required', `${role.idLabel} is required`);
    else if (rawId !== undefined) {
      id = checkHolderId(type.holderKind === 'person' ? 'resident-id' : 'credit-code', rawId, `${path}.id`, role.idLabel, today, problem);
    }
    if (name !== undefined && id !== undefined) holders.push({ role: role.key, name, id, idTypeCode });
  });
  return holders;
}

function checkHolderName(value: unknown, path: string, label: string, problem: Report): string | undefined {
  const trimmed = checkString(value, path, label, problem);
  if (trimmed === undefined) return undefined;
  const name = trimmed.normalize('NFC');
  if (name === '') problem(path, 'required', `${label} is required`);
  else if (countCharacters(name) > HOLDER_NAME_MAX_LENGTH) problem(path, 'too-long', `${label} has more than ${HOLDER_NAME_MAX_LENGTH} characters`);
  else if (checkPrintable(name, path, label, true, false, problem)) return name;
  return undefined;
}

/** Upper-cased id, or undefined after reporting why it is not one. */
function checkHolderId(kind: 'resident-id' | 'credit-code', raw: string, path: string, label: string, today: Date, problem: Report): string | undefined {
  const id = raw.toUpperCase();
  if (kind === 'resident-id') {
    const why = residentIdProblem(id, today);
    if (why === null) return id;
    const message = {
      shape: `${label} must be 17 digits and a digit or X`,
      'check-character': `${label} has a wrong check character (GB 11643)`,
      'birth-date': `${label} contains a birth date that is not a real date between 1900-01-01 and today`,
    }[why];
    problem(path, `resident-id-${why}`, message);
    return undefined;
  }
  const why = creditCodeProblem(id);
  if (why === null) return id;
  const message = {
    shape: `${label} must be 18 characters of 0-9 and A-Y without I, O, S, V, Z`,
    'check-character': `${label} has a wrong check character (GB 32100)`,
  }[why];
  problem(path, `credit-code-${why}`, message);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Fields

interface CompiledField {
  spec: LicenceFieldSpec;
  printed: boolean;
  maxLength: number;
  pattern?: RegExp;
  options?: ReadonlySet<string>;
  /** Printed multiline fields: the body lines the layout budgets for them. */
  lineBudget?: number;
  charactersPerLine: number;
}

interface CompiledType {
  fields: ReadonlyMap<string, CompiledField>;
}

/** Per-type preparation, once per (immutable) type object. */
const compiledTypes = new WeakMap<LicenceType, CompiledType>();

function compile(type: LicenceType): CompiledType {
  let compiled = compiledTypes.get(type);
  if (compiled) return compiled;
  const charactersPerLine = bodyCharactersPerLine(type.layout);
  const fields = new Map<string, CompiledField>();
  for (const spec of type.fields) {
    const maxLength = spec.maxLength ?? (spec.type === 'multiline' ? DEFAULT_MAX_LENGTH.multiline : DEFAULT_MAX_LENGTH.text);
    const printed = spec.printed !== false;
    fields.set(spec.key, {
      spec,
      printed,
      maxLength,
      charactersPerLine,
      ...(spec.pattern !== undefined ? { pattern: new RegExp(`^(?:${spec.pattern})$`, 'u') } : {}),
      ...(spec.options ? { options: new Set(spec.options) } : {}),
      ...(spec.type === 'multiline' && printed ? { lineBudget: Math.ceil(maxLength / charactersPerLine) } : {}),
    });
  }
  compiled = { fields };
  compiledTypes.set(type, compiled);
  return compiled;
}

function validateFields(compiled: CompiledType, value: unknown, today: Date, problem: Report): Record<string, string> {
  const out: Record<string, string> = {};
  let given: Record<string, unknown> = {};
  if (isRecord(value)) given = value;
  else if (value !== undefined && value !== null) problem('fields', 'not-an-object', 'must be an object of field values by key');

  for (const key of Object.keys(given)) {
    if (!compiled.fields.has(key)) {
      const shown = key.length > MAX_PATH_KEY ? `${key.slice(0, MAX_PATH_KEY)}…` : key;
      problem(`fields.${shown}`, 'unknown-field', 'is not a field of this licence type');
    }
  }
  for (const [key, field] of compiled.fields) {
    const raw = Object.hasOwn(given, key) ? given[key] : undefined;
    const normalised = normaliseField(field, raw, `fields.${key}`, today, problem);
    if (normalised !== undefined) out[key] = normalised;
  }
  return out;
}

/** The printed value, or undefined when absent (after reporting 'required') or invalid. */
function normaliseField(field: CompiledField, raw: unknown, path: string, today: Date, problem: Report): string | undefined {
  const { spec } = field;
  const label = spec.label;
  if (isAbsent(raw)) return absent(field, path, problem);
  if (spec.type === 'integer') return normaliseInteger(field, raw, path, problem);
  if (spec.type === 'money') return normaliseMoney(field, raw, path, problem);

  const trimmed = checkString(raw, path, label, problem);
  if (trimmed === undefined) return undefined;
  if (trimmed === '') return absent(field, path, problem);

  switch (spec.type) {
    case 'text':
    case 'multiline': {
      const multiline = spec.type === 'multiline';
      const text = (multiline ? trimmed.replace(LINE_BREAKS, '\n') : trimmed).normalize('NFC');
      const length = countCharacters(text);
      if (length > field.maxLength) {
        problem(path, 'too-long', `${label} has ${length} characters, at most ${field.maxLength} are allowed`);
        return undefined;
      }
      if (!checkPrintable(text, path, label, field.printed, multiline, problem)) return undefined;
      if (field.lineBudget !== undefined) {
        const lines = countLines(text, field.charactersPerLine);
        if (lines > field.lineBudget) {
          problem(path, 'too-long', `${label} needs ${lines} printed lines with its line breaks, at most ${field.lineBudget} fit`);
          return undefined;
        }
      }
      if (field.pattern && !field.pattern.test(text)) {
        problem(path, 'pattern', `${label} does not have the required form`);
        return undefined;
      }
      return text;
    }
    case 'enum': {
      const text = trimmed.normalize('NFC');
      if (field.options!.has(text)) return text;
      problem(path, 'not-an-option', `${label} must be one of: ${spec.options!.join('、')}`);
      return undefined;
    }
    case 'date':
      if (isDate(trimmed)) return trimmed;
      problem(path, 'not-a-date', `${label} must be a calendar date written YYYY-MM-DD`);
      return undefined;
    case 'resident-id':
    case 'credit-code':
      return checkHolderId(spec.type, trimmed, path, label, today, problem);
    default:
      return undefined;
  }
}

function absent(field: CompiledField, path: string, problem: Report): undefined {
  if (field.spec.required) problem(path, 'required', `${field.spec.label} is required`);
  return undefined;
}

function normaliseInteger(field: CompiledField, raw: unknown, path: string, problem: Report): string | undefined {
  const { label, min, max } = field.spec;
  let value: number;
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) value = raw;
  else if (typeof raw === 'string' && INTEGER.test(raw.trim())) value = Number(raw.trim());
  else {
    problem(path, 'not-an-integer', `${label} must be a whole number`);
    return undefined;
  }
  if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
    problem(path, 'out-of-range', `${label} must be ${describeRange(min, max)}`);
    return undefined;
  }
  return String(value === 0 ? 0 : value); // no '-0'
}

function normaliseMoney(field: CompiledField, raw: unknown, path: string, problem: Report): string | undefined {
  const { label, min, max } = field.spec;
  let cents: number;
  if (typeof raw === 'number' && Number.isFinite(raw)) {
    cents = Math.round(raw * 100);
    if (cents / 100 !== raw) {
      problem(path, 'not-an-amount', `${label} must be an amount with at most 2 decimals`);
      return undefined;
    }
  } else if (typeof raw === 'string') {
    const match = AMOUNT.exec(raw.trim());
    if (!match) {
      problem(path, 'not-an-amount', `${label} must be an amount such as 500 or 500.00 (at most 2 decimals)`);
      return undefined;
    }
    cents = Number(match[2]) * 100 + Number((match[3] ?? '').padEnd(2, '0'));
    if (match[1] === '-') cents = -cents;
  } else {
    problem(path, 'not-an-amount', `${label} must be an amount such as 500 or 500.00`);
    return undefined;
  }
  if (cents < 0 || cents > MAX_AMOUNT_CENTS) {
    problem(path, 'out-of-range', `${label} must be ${describeRange(min ?? 0, max ?? MAX_AMOUNT_CENTS / 100)}`);
    return undefined;
  }
  const amount = cents / 100;
  if ((min !== undefined && amount < min) || (max !== undefined && amount > max)) {
    problem(path, 'out-of-range', `${label} must be ${describeRange(min, max)}`);
    return undefined;
  }
  const whole = Math.trunc(cents / 100);
  return `${whole}.${String(cents - whole * 100).padStart(2, '0')}`;
}

function describeRange(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `between ${min} and ${max}`;
  return min !== undefined ? `at least ${min}` : `at most ${max}`;
}

// ---------------------------------------------------------------------------------------------
// Validity

function validateValidity(
  type: LicenceType,
  fromRaw: unknown,
  untilRaw: unknown,
  today: Date,
  problem: Report,
): { validFrom: string | undefined; validUntil: string | null } {
  let validFrom: string | undefined;
  if (isAbsent(fromRaw)) validFrom = chinaDate(today);
  else {
    const text = typeof fromRaw === 'string' ? fromRaw.trim() : undefined;
    if (text === undefined) problem('validFrom', 'not-a-string', 'validFrom must be a date written YYYY-MM-DD');
    else if (!isDate(text)) problem('validFrom', 'not-a-date', 'validFrom must be a calendar date written YYYY-MM-DD');
    validFrom = text !== undefined && isDate(text) ? text : undefined;
  }

  const rule = type.validity;
  let validUntil: string | undefined;
  if (!isAbsent(untilRaw)) {
    const text = typeof untilRaw === 'string' ? untilRaw.trim() : undefined;
    if (rule.kind === 'permanent') {
      problem('validUntil', 'validity-not-allowed', `${type.name} is valid without end (长期); validUntil must not be given`);
      return { validFrom, validUntil: null };
    }
    if (text === undefined) problem('validUntil', 'not-a-string', 'validUntil must be a date written YYYY-MM-DD');
    else if (!isDate(text)) problem('validUntil', 'not-a-date', 'validUntil must be a calendar date written YYYY-MM-DD');
    else validUntil = text;
    if (validUntil === undefined) return { validFrom, validUntil: null };
  }

  switch (rule.kind) {
    case 'permanent':
      return { validFrom, validUntil: null };
    case 'fixed-term':
      if (validUntil === undefined) return { validFrom, validUntil: validFrom === undefined ? null : endOfTerm(validFrom, rule.years) };
      if (validFrom !== undefined && validUntil <= validFrom) problem('validUntil', 'validity-order', 'validUntil must be after validFrom');
      return { validFrom, validUntil };
    case 'given':
      if (validUntil === undefined) {
        if (rule.required) problem('validUntil', 'required', `validUntil is required for ${type.name}`);
        return { validFrom, validUntil: null };
      }
      if (validFrom !== undefined && validUntil < validFrom) problem('validUntil', 'validity-order', 'validUntil must not be before validFrom');
      return { validFrom, validUntil };
  }
}

/**
 * The last day of a term of `years` starting on `from`: the day before the anniversary. The
 * anniversary of 29 February in a common year is 1 March, so such a term ends on 28 February.
 */
function endOfTerm(from: string, years: number): string {
  const [year, month, day] = from.split('-').map(Number) as [number, number, number];
  const anniversary = new Date(Date.UTC(2000, month - 1, day));
  anniversary.setUTCFullYear(year + years, month - 1, day); // overflows 29 Feb to 1 Mar
  anniversary.setUTCDate(anniversary.getUTCDate() - 1);
  return anniversary.toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** The trimmed string, or undefined after reporting that it is not one. */
function checkString(value: unknown, path: string, label: string, problem: Report): string | undefined {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') {
    problem(path, 'not-a-string', `${label} must be text`);
    return undefined;
  }
  return value.trim();
}

/** Whether YYYY-MM-DD names a day of the (proleptic) Gregorian calendar. */
function isDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Code points, so that a character outside the BMP counts once. */
function countCharacters(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Body lines a multiline value needs, each paragraph wrapped at `perLine` characters. */
function countLines(text: string, perLine: number): number {
  let lines = 0;
  for (const paragraph of text.split('\n')) lines += Math.max(1, Math.ceil(countCharacters(paragraph) / perLine));
  return lines;
}

const Printability = {
  /** Control, format, private-use, unassigned, separator or lone surrogate. */
  Control: 0,
  /** A normal character the font has no glyph for, or one wider than a full-width character. */
  NotInFont: 1,
  Drawable: 2,
} as const;
type Printability = (typeof Printability)[keyof typeof Printability];

const NOT_TEXT = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]$/u;
/** Memo of each code point seen: the font and the Unicode tables do not change at run time. */
const printability = new Map<number, Printability>();

function printabilityOf(codePoint: number, ch: string): Printability {
  let known = printability.get(codePoint);
  if (known === undefined) {
    if (NOT_TEXT.test(ch)) known = Printability.Control;
    else {
      const font = cjkFont();
      // Validation promises the layout at most one em per character (bodyLineBudget).
      const fits = cjkFontCovers(ch) && font.glyphForCodePoint(codePoint).advanceWidth <= font.unitsPerEm;
      known = fits ? Printability.Drawable : Printability.NotInFont;
    }
    printability.set(codePoint, known);
  }
  return known;
}

/**
 * True when every character can be printed; otherwise reports the first that cannot.
 * `drawn` false (metadata-only fields) refuses control characters only.
 */
function checkPrintable(text: string, path: string, label: string, drawn: boolean, newlines: boolean, problem: Report): boolean {
  for (const ch of text) {
    const codePoint = ch.codePointAt(0)!;
    if (codePoint === 0x0a && newlines) continue;
    const kind = printabilityOf(codePoint, ch);
    if (kind === Printability.Drawable || (kind === Printability.NotInFont && !drawn)) continue;
    const shown = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
    problem(
      path,
      'unprintable-character',
      kind === Printability.Control
        ? `${label} contains a control or invisible character (${shown})`
        : `${label} contains '${ch}' (${shown}), which the licence font cannot print`,
    );
    return false;
  }
  return true;
}
