import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { NotFoundError } from '../errors.js';
import { cjkFont, cjkFontCovers } from '../pdf/cjk-font.js';
import { creditCodeProblem } from '../pki/credit-code.js';

/**
 * Licence types (证照类型): what a licence of each type says, who holds it, how long it is
 * valid and where each part goes on the page. One JSON file per type in templates/, checked
 * in full at start: unknown keys are refused, and the page layout is proved to fit (every
 * region inside the page, nothing overlapping, the body sized for its longest allowed data).
 *
 * The type code is the GB/T 36904 证照类型代码: the defining authority's unified social credit
 * code (GB 32100) followed by a 3-digit sequence (shared/reference/gb-standards.md §1.4).
 */

export const LICENCE_FIELD_TYPES = ['text', 'multiline', 'date', 'enum', 'integer', 'money', 'resident-id', 'credit-code'] as const;
export type LicenceFieldType = (typeof LICENCE_FIELD_TYPES)[number];

export interface LicenceFieldSpec {
  /** camelCase, /^[a-z][A-Za-z0-9]{0,39}$/; the key in the issuance data and in metadata. */
  key: string;
  /** Chinese label printed on the face, e.g. '住所'. A unit belongs in it: '注册资本（万元）'. */
  label: string;
  /** English label for APIs and English pages. */
  labelEn: string;
  type: LicenceFieldType;
  required: boolean;
  /** text and multiline only: characters (code points); default 100 for text, 500 for multiline. */
  maxLength?: number;
  /** text and multiline only: a regular expression (Unicode mode), anchored to the whole value. */
  pattern?: string;
  /** enum only, and required there: the values allowed, as printed. */
  options?: string[];
  /** integer and money only: inclusive bounds. */
  min?: number;
  max?: number;
  /** Default true: printed on the face; false = metadata only. */
  printed?: boolean;
}

export interface LicenceHolderRole {
  /** e.g. 'holder', 'spouse'. */
  key: string;
  /** e.g. '姓名' / '名称'. */
  nameLabel: string;
  nameLabelEn: string;
  /** e.g. '公民身份号码' / '统一社会信用代码'. */
  idLabel: string;
  idLabelEn: string;
}

export type HolderKind = 'person' | 'organisation';

export type LicenceValidityRule =
  /** No end date (长期有效); validUntil must not be given. */
  | { kind: 'permanent' }
  /** validUntil = validFrom + years − 1 day unless given explicitly (then it must be after validFrom). */
  | { kind: 'fixed-term'; years: number }
  /** validUntil comes from the request; optional when required is false (absent = 长期). */
  | { kind: 'given'; required: boolean };

export type LicencePage = 'A4-portrait' | 'A4-landscape' | 'card';

/**
 * Where each part goes, in PDF points with the origin at the lower-left corner of the page.
 * The geometry the checks assume is {@link licenceLayoutRegions}; a renderer that draws within
 * those regions cannot overflow the page or overlap another part.
 */
export interface LicenceLayout {
  /** card = 148 × 105 mm landscape (A6); sizes in {@link LICENCE_PAGE_SIZES}. */
  page: LicencePage;
  /** Centred horizontally; y = baseline. */
  title: { text: string; size: number; y: number };
  /** Centred horizontally; y = baseline. */
  subtitle?: { text: string; size: number; y: number };
  /** Decorative double border, see {@link licenceFrameInset}. */
  frame: boolean;
  /**
   * Flow of "label  value" lines from (x, y = first baseline) downwards, lineHeight apart:
   * each holder role's name then id, then the printed fields in order, then (unless the
   * validity is permanent) the validity line. Labels are left-aligned at x; values start at
   * x + labelWidth and wrap within width − labelWidth.
   */
  body: { x: number; y: number; width: number; labelWidth: number; fontSize: number; lineHeight: number };
  /** Lower-left corner and side of the QR code (quiet zone inside); a caption goes below it. */
  qr: { x: number; y: number; size: number };
  /** Lower-left corner and side of the square holding the round seal. */
  seal: { x: number; y: number; size: number };
  /** Left edge and first baseline of the issuer block, see {@link ISSUER_LINE_SPACING}. */
  issuer: { x: number; y: number; size: number };
  /** Baseline of the e-licence identifier line (~75 characters), centred; 证照编号 above it, see {@link FOOTER_LINE_SPACING}. */
  footer: { y: number; size: number };
}

export interface LicenceType {
  /** 21 characters: the defining authority's credit code (GB 32100-valid) + 3 digits. */
  code: string;
  /** The file name without .json, /^[a-z0-9-]+$/. */
  slug: string;
  /** e.g. 营业执照. */
  name: string;
  /** e.g. Business licence. */
  nameEn: string;
  /** creditCode === code.slice(0, 18). */
  definingAuthority: { name: string; nameEn: string; creditCode: string };
  /** person: holder ids are resident ids (type code '111'); organisation: credit codes ('001'). */
  holderKind: HolderKind;
  /** One for most types, two for 结婚证 ('holder', 'spouse'). */
  holderRoles: LicenceHolderRole[];
  fields: LicenceFieldSpec[];
  validity: LicenceValidityRule;
  /**
   * Label of the validity line, the last body line of types whose validity is not permanent
   * (e.g. 营业期限). Absent: {@link DEFAULT_VALIDITY_LABEL}.
   */
  validityLabel?: { label: string; labelEn: string };
  /**
   * Printed number = prefix + region id (6 digits) + year (4) + sequence zero-padded to
   * sequenceDigits; prefix /^[A-Z0-9]{0,6}$/ may be ''.
   */
  licenceNumber: { prefix: string; sequenceDigits: number };
  /** Which seal of the issuing department seals it. */
  sealType: 'licence' | 'business' | 'legal-name';
  layout: LicenceLayout;
  /** Provenance notes, e.g. that the type code is illustrative. */
  note?: string;
}

/** 持证主体代码类型代码 (GB/T 36903; gb-standards.md §1.3). */
export const HOLDER_ID_TYPE_CODES: Record<HolderKind, '111' | '001'> = Object.freeze({ person: '111', organisation: '001' });
/** 持证主体代码类型. */
export const HOLDER_ID_TYPE_NAMES: Record<HolderKind, string> = Object.freeze({ person: '公民身份号码', organisation: '统一社会信用代码' });

/** Field keys the issuance request and metadata use for other things. */
export const RESERVED_FIELD_KEYS: readonly string[] = Object.freeze(['validFrom', 'validUntil', 'paperNumber', 'holders']);

/** Page sizes in points (A4 = 210 × 297 mm, card = 148 × 105 mm). */
export const LICENCE_PAGE_SIZES: Readonly<Record<LicencePage, { readonly width: number; readonly height: number }>> = Object.freeze({
  'A4-portrait': Object.freeze({ width: 595.28, height: 841.89 }),
  'A4-landscape': Object.freeze({ width: 841.89, height: 595.28 }),
  card: Object.freeze({ width: 419.53, height: 297.64 }),
});

/**
 * The decorative double border as licence-pdf.ts draws it: the outer line at 3 % of the
 * shorter page side from the edge, the inner line 4 points further in. Content must keep
 * {@link LICENCE_CONTENT_GAP} points inside the inner line, or that far from the edge
 * without a frame.
 */
export function licenceFrameInset(page: LicencePage): { outer: number; inner: number } {
  const { width, height } = LICENCE_PAGE_SIZES[page];
  const outer = Math.min(width, height) * 0.03;
  return { outer, inner: outer + 4 };
}
export const LICENCE_CONTENT_GAP = 4;
/**
 * The issuer block, as licence-pdf.ts draws it from (x, y) down: the caption 发证机关
 * (baseline y), the authority name (y − 1.5 × size) and the issue date (y − 3 × size).
 */
export const ISSUER_LINE_SPACING = 1.5;
export const ISSUER_LINES = 3;
/** Width budget of the issuer block in ems of issuer.size: an 18-character authority name such as 山西省太原市小店区行政审批服务管理局. */
export const ISSUER_WIDTH_EMS = 18;
/** The footer: 证照编号 on a line 1.4 × size above the e-licence identifier line (baseline y). */
export const FOOTER_LINE_SPACING = 1.4;
/** The caption licence-pdf.ts writes under the QR code, size clamp(qr.size / 14, 6, 8). */
export const QR_CAPTION = '扫码核验 Scan to verify';
/** The label of the validity line when the type has no validityLabel (as licence-pdf.ts prints it). */
export const DEFAULT_VALIDITY_LABEL = '有效期限';
/** Holder names are 1–50 characters (licence-data.ts). */
export const HOLDER_NAME_MAX_LENGTH = 50;
/** Default maxLength of text and multiline fields. */
export const DEFAULT_MAX_LENGTH: Readonly<Record<'text' | 'multiline', number>> = Object.freeze({ text: 100, multiline: 500 });
/** A QR code below 20 mm is hard to scan with a phone. */
export const MIN_QR_SIZE = 56;

const CAMEL_KEY = /^[a-z][A-Za-z0-9]{0,39}$/;
const SLUG = /^[a-z0-9-]+$/;
const TYPE_CODE = /^[0-9A-Z]{18}\d{3}$/;
const PREFIX = /^[A-Z0-9]{0,6}$/;

const printedText = (max: number) => z.string().trim().min(1).max(max);
const coordinate = z.number().finite().min(0);
const fontSize = z.number().finite().min(5).max(72);
const length = z.number().finite().positive();

const fieldSchema = z
  .strictObject({
    key: z.string().regex(CAMEL_KEY, 'must be camelCase: a lower-case letter, then up to 39 letters and digits'),
    label: printedText(30),
    labelEn: printedText(100),
    type: z.enum(LICENCE_FIELD_TYPES),
    required: z.boolean(),
    maxLength: z.number().int().min(1).max(5000).optional(),
    pattern: z.string().min(1).max(500).optional(),
    options: z.array(printedText(100)).min(1).max(500).optional(),
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
    printed: z.boolean().optional(),
  })
  .superRefine((field, ctx) => {
    const issue = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: [key], message });
    const textual = field.type === 'text' || field.type === 'multiline';
    const numeric = field.type === 'integer' || field.type === 'money';
    if (field.type === 'enum') {
      if (!field.options) issue('options', 'required for enum');
      else if (new Set(field.options).size !== field.options.length) issue('options', 'must be unique');
    } else if (field.options) issue('options', 'only for enum');
    if (field.maxLength !== undefined && !textual) issue('maxLength', 'only for text and multiline');
    if (field.pattern !== undefined) {
      if (!textual) issue('pattern', 'only for text and multiline');
      else {
        try {
          new RegExp(field.pattern, 'u');
        } catch (error) {
          issue('pattern', `not a valid regular expression: ${(error as Error).message}`);
        }
      }
    }
    for (const bound of ['min', 'max'] as const) {
      const value = field[bound];
      if (value === undefined) continue;
      if (!numeric) issue(bound, 'only for integer and money');
      else if (field.type === 'integer' && !Number.isSafeInteger(value)) issue(bound, 'must be an integer');
      else if (field.type === 'money' && (value < 0 || Math.round(value * 100) / 100 !== value)) {
        issue(bound, 'must be a non-negative amount with at most 2 decimals');
      }
    }
    if (field.min !== undefined && field.max !== undefined && field.min > field.max) issue('max', 'must not be less than min');
  });

const holderRoleSchema = z.strictObject({
  key: z.string().regex(CAMEL_KEY, 'must be camelCase: a lower-case letter, then up to 39 letters and digits'),
  nameLabel: printedText(30),
  nameLabelEn: printedText(100),
  idLabel: printedText(30),
  idLabelEn: printedText(100),
});

const validitySchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('permanent') }),
  z.strictObject({ kind: z.literal('fixed-term'), years: z.number().int().min(1).max(100) }),
  z.strictObject({ kind: z.literal('given'), required: z.boolean() }),
]);

const textLine = z.strictObject({ text: printedText(60), size: fontSize, y: coordinate });
const square = z.strictObject({ x: coordinate, y: coordinate, size: length });

const layoutSchema = z.strictObject({
  page: z.enum(['A4-portrait', 'A4-landscape', 'card']),
  title: textLine,
  subtitle: textLine.optional(),
  frame: z.boolean(),
  body: z
    .strictObject({
      x: coordinate,
      y: coordinate,
      width: length,
      labelWidth: length,
      fontSize,
      lineHeight: length,
    })
    .superRefine((body, ctx) => {
      if (body.labelWidth + body.fontSize * 10 > body.width) {
        ctx.addIssue({ code: 'custom', path: ['labelWidth'], message: 'must leave at least 10 characters (10 × fontSize) for values' });
      }
      if (body.lineHeight < body.fontSize) ctx.addIssue({ code: 'custom', path: ['lineHeight'], message: 'must be at least fontSize' });
    }),
  qr: square.extend({ size: z.number().finite().min(MIN_QR_SIZE, `must be at least ${MIN_QR_SIZE} points (20 mm) to scan`) }),
  seal: square,
  issuer: z.strictObject({ x: coordinate, y: coordinate, size: fontSize }),
  footer: z.strictObject({ y: coordinate, size: fontSize }),
});

/** The checks that need the whole type: identifiers, unique keys, the font, the layout. */
function checkLicenceType(type: LicenceType, ctx: z.RefinementCtx): void {
  const issue = (pathSegments: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path: pathSegments, message });

  const authorityCode = type.code.slice(0, 18);
  const codeProblem = creditCodeProblem(authorityCode);
  if (codeProblem) issue(['code'], `the first 18 characters are not a valid unified social credit code (${codeProblem})`);
  const definerProblem = creditCodeProblem(type.definingAuthority.creditCode);
  if (definerProblem) issue(['definingAuthority', 'creditCode'], `not a valid unified social credit code (${definerProblem})`);
  else if (type.definingAuthority.creditCode !== authorityCode) {
    issue(['definingAuthority', 'creditCode'], `must equal the first 18 characters of code (${authorityCode})`);
  }

  const roleKeys = new Set<string>();
  type.holderRoles.forEach((role, i) => {
    if (roleKeys.has(role.key)) issue(['holderRoles', i, 'key'], `duplicate holder role key '${role.key}'`);
    roleKeys.add(role.key);
  });
  const fieldKeys = new Set<string>();
  type.fields.forEach((field, i) => {
    if (RESERVED_FIELD_KEYS.includes(field.key)) issue(['fields', i, 'key'], `'${field.key}' is reserved`);
    if (fieldKeys.has(field.key)) issue(['fields', i, 'key'], `duplicate field key '${field.key}'`);
    fieldKeys.add(field.key);
  });

  const drawable = (pathSegments: (string | number)[], text: string | undefined) => {
    if (text === undefined || cjkFontCovers(text)) return;
    const missing = [...new Set(Array.from(text).filter((ch) => !cjkFontCovers(ch)))];
    issue(pathSegments, `cannot be drawn with the CJK font: ${missing.map(describeCharacter).join(', ')}`);
  };
  drawable(['name'], type.name);
  drawable(['definingAuthority', 'name'], type.definingAuthority.name);
  drawable(['layout', 'title', 'text'], type.layout.title.text);
  drawable(['layout', 'subtitle', 'text'], type.layout.subtitle?.text);
  drawable(['validityLabel', 'label'], type.validityLabel?.label);
  type.holderRoles.forEach((role, i) => {
    drawable(['holderRoles', i, 'nameLabel'], role.nameLabel);
    drawable(['holderRoles', i, 'idLabel'], role.idLabel);
  });
  type.fields.forEach((field, i) => {
    drawable(['fields', i, 'label'], field.label);
    field.options?.forEach((option, j) => drawable(['fields', i, 'options', j], option));
  });

  checkLayout(type, issue);
}

/** Strict: unknown keys are refused at every level. Includes every check that needs only the one type. */
export const licenceTypeSchema: z.ZodType<LicenceType> = z
  .strictObject({
    code: z.string().regex(TYPE_CODE, "must be 21 characters: the defining authority's credit code and 3 digits"),
    slug: z.string().min(1).max(60).regex(SLUG, 'must be lower-case letters, digits and dashes'),
    name: printedText(40),
    nameEn: printedText(100),
    definingAuthority: z.strictObject({ name: printedText(60), nameEn: printedText(200), creditCode: z.string() }),
    holderKind: z.enum(['person', 'organisation']),
    holderRoles: z.array(holderRoleSchema).min(1).max(4),
    fields: z.array(fieldSchema).max(40),
    validity: validitySchema,
    validityLabel: z.strictObject({ label: printedText(30), labelEn: printedText(100) }).optional(),
    licenceNumber: z.strictObject({
      prefix: z.string().regex(PREFIX, 'must be 0–6 upper-case letters and digits'),
      sequenceDigits: z.number().int().min(1).max(12),
    }),
    sealType: z.enum(['licence', 'business', 'legal-name']),
    layout: layoutSchema,
    note: z.string().min(1).max(2000).optional(),
  })
  .superRefine(checkLicenceType);

// ---------------------------------------------------------------------------------------------
// Layout geometry

/** A rectangle in points, origin lower-left. */
export interface LayoutBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export type LayoutRegionName = 'title' | 'subtitle' | 'body' | 'qr' | 'seal' | 'issuer' | 'footer';

/** Characters that fit on one body value line, counting each character as one em (full width). */
export function bodyCharactersPerLine(layout: LicenceLayout): number {
  return Math.max(1, Math.floor((layout.body.width - layout.body.labelWidth) / layout.body.fontSize));
}

/** Longest printed value of a field, in characters, as the renderer may print it. */
function fieldMaxCharacters(field: LicenceFieldSpec): number {
  switch (field.type) {
    case 'text':
    case 'multiline':
      return field.maxLength ?? DEFAULT_MAX_LENGTH[field.type];
    case 'date':
      return 11; // 2026年01月01日
    case 'enum':
      return Math.max(1, ...(field.options ?? []).map((o) => Array.from(o).length));
    case 'integer':
    case 'money':
      return 17; // up to 13 integer digits, point, 2 decimals, sign
    case 'resident-id':
    case 'credit-code':
      return 18;
  }
}

/**
 * The most body lines a licence of this type can need. Every character counts as one em
 * (the font has nothing wider that validation lets through), so a renderer that wraps values
 * character by character at width − labelWidth never needs more. Multiline values are held to
 * the same number of lines by validation (licence-data.ts), whatever their line breaks.
 */
export function bodyLineBudget(type: LicenceType): number {
  const perLine = bodyCharactersPerLine(type.layout);
  const lines = (characters: number) => Math.ceil(characters / perLine);
  let total = type.holderRoles.length * (lines(HOLDER_NAME_MAX_LENGTH) + lines(18));
  for (const field of type.fields) if (field.printed !== false) total += lines(fieldMaxCharacters(field));
  if (type.validity.kind !== 'permanent') total += lines(23); // 2026年12月31日至2036年12月30日
  return total;
}

const fontMetrics = () => {
  const font = cjkFont();
  return { ascent: font.ascent / font.unitsPerEm, descent: -font.descent / font.unitsPerEm, font };
};

function textWidth(text: string, size: number): number {
  const font = cjkFont();
  return (font.layout(text).advanceWidth / font.unitsPerEm) * size;
}

/** The longest 证照编号 of this type and an identifier with a serial at least 20 characters long. */
function sampleFooter(type: LicenceType): { number: string; identifier: string } {
  const number = `${type.licenceNumber.prefix}${'0'.repeat(10 + type.licenceNumber.sequenceDigits)}`;
  const serial = '0'.repeat(Math.max(20, number.length));
  return {
    number: `证照编号 ${number}`,
    identifier: `电子证照标识 1.2.156.3005.2.${type.code}.${type.code.slice(0, 18)}.${serial}.001.0`,
  };
}

/**
 * The regions the layout checks assume, from the font's ascent and descent (Noto Sans SC:
 * 1.16 and 0.288 em) and the drawing rules of licence-pdf.ts: title and subtitle measured and
 * centred; the body for its {@link bodyLineBudget}; the QR code with its caption; the seal as
 * given; the issuer block of {@link ISSUER_LINES} lines, {@link ISSUER_WIDTH_EMS} wide; the
 * footer's two lines measured for the longest number and identifier.
 */
export function licenceLayoutRegions(type: LicenceType): Partial<Record<LayoutRegionName, LayoutBox>> & Record<Exclude<LayoutRegionName, 'subtitle'>, LayoutBox> {
  const { layout } = type;
  const page = LICENCE_PAGE_SIZES[layout.page];
  const { ascent, descent } = fontMetrics();
  const centredX = (width: number) => ({ x0: (page.width - width) / 2, x1: (page.width + width) / 2 });
  const centred = (text: string, size: number, y: number): LayoutBox => ({
    ...centredX(textWidth(text, size)),
    y0: y - descent * size,
    y1: y + ascent * size,
  });
  const { body, qr, seal, issuer, footer } = layout;
  const captionSize = Math.max(6, Math.min(8, qr.size / 14));
  const captionWidth = textWidth(QR_CAPTION, captionSize);
  const footerText = sampleFooter(type);
  return {
    title: centred(layout.title.text, layout.title.size, layout.title.y),
    ...(layout.subtitle ? { subtitle: centred(layout.subtitle.text, layout.subtitle.size, layout.subtitle.y) } : {}),
    body: {
      x0: body.x,
      x1: body.x + body.width,
      y1: body.y + ascent * body.fontSize,
      y0: body.y - (bodyLineBudget(type) - 1) * body.lineHeight - descent * body.fontSize,
    },
    qr: {
      x0: Math.min(qr.x, qr.x + (qr.size - captionWidth) / 2),
      x1: Math.max(qr.x + qr.size, qr.x + (qr.size + captionWidth) / 2),
      y0: qr.y - captionSize - descent * captionSize,
      y1: qr.y + qr.size,
    },
    seal: { x0: seal.x, y0: seal.y, x1: seal.x + seal.size, y1: seal.y + seal.size },
    issuer: {
      x0: issuer.x,
      x1: issuer.x + ISSUER_WIDTH_EMS * issuer.size,
      y1: issuer.y + ascent * issuer.size,
      y0: issuer.y - (ISSUER_LINES - 1) * ISSUER_LINE_SPACING * issuer.size - descent * issuer.size,
    },
    footer: {
      ...centredX(Math.max(textWidth(footerText.number, footer.size), textWidth(footerText.identifier, footer.size))),
      y0: footer.y - descent * footer.size,
      y1: footer.y + FOOTER_LINE_SPACING * footer.size + ascent * footer.size,
    },
  };
}

const overlaps = (a: LayoutBox, b: LayoutBox) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
const round = (n: number) => Math.round(n * 10) / 10;
const describeBox = (b: LayoutBox) => `x ${round(b.x0)}–${round(b.x1)}, y ${round(b.y0)}–${round(b.y1)}`;

function checkLayout(type: LicenceType, issue: (pathSegments: (string | number)[], message: string) => void): void {
  const { layout } = type;
  const page = LICENCE_PAGE_SIZES[layout.page];
  const margin = (layout.frame ? licenceFrameInset(layout.page).inner : 0) + LICENCE_CONTENT_GAP;
  const regions = licenceLayoutRegions(type);
  const names = Object.keys(regions) as LayoutRegionName[];

  for (const name of names) {
    const box = regions[name]!;
    if (box.x0 < margin || box.y0 < margin || box.x1 > page.width - margin || box.y1 > page.height - margin) {
      const what = name === 'body' ? `the body (${bodyLineBudget(type)} lines at most)` : name === 'footer' ? 'the footer line' : name;
      issue(['layout', name], `${what} at ${describeBox(box)} is not inside the ${layout.page} page (${page.width} × ${page.height} pt, keeping ${round(margin)} pt from the edge)`);
    }
  }
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const a = names[i]!;
      const b = names[j]!;
      // The seal is pressed over the issuer name and date, as on paper licences.
      if ((a === 'seal' && b === 'issuer') || (a === 'issuer' && b === 'seal')) continue;
      if (overlaps(regions[a]!, regions[b]!)) {
        issue(['layout', b], `${b} (${describeBox(regions[b]!)}) overlaps ${a} (${describeBox(regions[a]!)})${a === 'body' || b === 'body' ? ` with the body at its longest (${bodyLineBudget(type)} lines)` : ''}`);
      }
    }
  }

  const { body } = layout;
  const labelRoom = body.labelWidth - body.fontSize / 2;
  const labelFits = (pathSegments: (string | number)[], label: string) => {
    if (textWidth(label, body.fontSize) > labelRoom) issue(pathSegments, `'${label}' is wider than layout.body.labelWidth less half a character`);
  };
  type.holderRoles.forEach((role, i) => {
    labelFits(['holderRoles', i, 'nameLabel'], role.nameLabel);
    labelFits(['holderRoles', i, 'idLabel'], role.idLabel);
  });
  type.fields.forEach((field, i) => {
    if (field.printed !== false) labelFits(['fields', i, 'label'], field.label);
  });
  if (type.validity.kind !== 'permanent') labelFits(['validityLabel', 'label'], type.validityLabel?.label ?? DEFAULT_VALIDITY_LABEL);
}

function describeCharacter(ch: string): string {
  return `'${ch}' (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`;
}

// ---------------------------------------------------------------------------------------------
// The catalogue

/** Thrown when licence types cannot be used; lists every problem, one per line, with its file. */
export class LicenceTypeCatalogueError extends Error {
  constructor(
    source: string,
    readonly problems: string[],
  ) {
    super(`Invalid licence types in ${source} (${problems.length} problem(s)):\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'LicenceTypeCatalogueError';
  }
}

/** 'fields[2].options' from ['fields', 2, 'options']. */
function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : `${out ? '.' : ''}${String(s)}`;
  return out || '(top)';
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

interface Candidate {
  /** Where it came from, e.g. 'templates/business-licence.json'. */
  source: string;
  value: unknown;
  /** The slug a file name dictates. */
  expectedSlug?: string;
}

/** The licence types of this region, validated and cross-checked; immutable. */
export class LicenceTypeCatalogue {
  readonly #types: readonly LicenceType[];
  readonly #byCode: ReadonlyMap<string, LicenceType>;
  readonly #bySlug: ReadonlyMap<string, LicenceType>;

  private constructor(types: LicenceType[]) {
    this.#types = Object.freeze(types.map(deepFreeze));
    this.#byCode = new Map(this.#types.map((t) => [t.code, t]));
    this.#bySlug = new Map(this.#types.map((t) => [t.slug, t]));
  }

  /**
   * Reads every *.json in `dir` (sorted by name). Throws {@link LicenceTypeCatalogueError}
   * listing all problems of all files when any is unusable or the directory has none.
   */
  static load(dir: string): LicenceTypeCatalogue {
    const shown = displayPath(dir);
    let names: string[];
    try {
      names = readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith('.json'))
        .map((e) => e.name)
        .sort();
    } catch (error) {
      throw new LicenceTypeCatalogueError(shown, [`${shown}: cannot read the directory: ${(error as Error).message}`]);
    }
    if (names.length === 0) throw new LicenceTypeCatalogueError(shown, [`${shown}: no licence type files (*.json)`]);
    const problems: string[] = [];
    const candidates: Candidate[] = [];
    for (const name of names) {
      const source = path.join(shown, name);
      let value: unknown;
      try {
        value = JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
      } catch (error) {
        problems.push(`${source}: ${(error as Error).message}`);
        continue;
      }
      candidates.push({ source, value, expectedSlug: name.slice(0, -'.json'.length) });
    }
    return LicenceTypeCatalogue.#build(candidates, problems, shown);
  }

  /** The same checks as {@link load}, for types built in code (tests). */
  static fromTypes(types: LicenceType[]): LicenceTypeCatalogue {
    const candidates = types.map((value, i) => {
      const slug = (value as { slug?: unknown } | null)?.slug;
      return { source: typeof slug === 'string' ? `licence type '${slug}'` : `types[${i}]`, value };
    });
    return LicenceTypeCatalogue.#build(candidates, [], 'the given licence types');
  }

  static #build(candidates: Candidate[], problems: string[], origin: string): LicenceTypeCatalogue {
    const types: LicenceType[] = [];
    const codes = new Map<string, string>();
    const slugs = new Map<string, string>();
    for (const { source, value, expectedSlug } of candidates) {
      const parsed = licenceTypeSchema.safeParse(value);
      if (!parsed.success) {
        for (const i of parsed.error.issues) problems.push(`${source}: ${formatPath(i.path)}: ${i.message}`);
        continue;
      }
      const type = parsed.data;
      if (expectedSlug !== undefined && type.slug !== expectedSlug) {
        problems.push(`${source}: slug: must equal the file name without .json ('${expectedSlug}')`);
      }
      const codeOwner = codes.get(type.code);
      if (codeOwner) problems.push(`${source}: code: ${type.code} is also the code of ${codeOwner}`);
      else codes.set(type.code, source);
      const slugOwner = slugs.get(type.slug);
      if (slugOwner) problems.push(`${source}: slug: '${type.slug}' is also the slug of ${slugOwner}`);
      else slugs.set(type.slug, source);
      types.push(type);
    }
    if (problems.length > 0) throw new LicenceTypeCatalogueError(origin, problems);
    return new LicenceTypeCatalogue(types);
  }

  list(): readonly LicenceType[] {
    return this.#types;
  }

  get(code: string): LicenceType | undefined {
    return this.#byCode.get(code);
  }

  getBySlug(slug: string): LicenceType | undefined {
    return this.#bySlug.get(slug);
  }

  require(code: string): LicenceType {
    const type = this.#byCode.get(code);
    if (!type) throw new NotFoundError('LicenceTypeNotFound', `no licence type with code '${code.slice(0, 40)}'`);
    return type;
  }
}

/** `dir` relative to the working directory when inside it, so messages read 'templates/x.json'. */
function displayPath(dir: string): string {
  const relative = path.relative(process.cwd(), dir);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : dir;
}
