/**
 * The visible appearance of an e-seal: the traditional red official seal (公章) of an
 * organisation, or the square name seal (名章) of a person, drawn from data as vector
 * graphics.
 *
 * One geometry ({@link sealGeometry}) feeds two renderers. The PDF ({@link sealPdf}) draws
 * the text as real text in an embedded subset of Noto Sans SC, so it stays searchable and
 * sharp at any zoom. The SVG ({@link sealSvg}) draws the same glyphs as outlines, so it looks
 * the same where the font is not installed.
 *
 * Layout follows the usual shape of Chinese official seals: a red ring, a five-pointed star
 * in the centre, the organisation name along the upper arc with each character's foot toward
 * the centre, the seal type (证照专用章 ...) level below the star, and the 14-digit seal code
 * (GB/T 38540 esID as seen in government seals: region code + sequence) small along the
 * bottom, reading left to right.
 */
import {
  PDFDocument,
  PDFHexString,
  PDFName,
  PDFOperator,
  PDFOperatorNames,
  beginText,
  endMarkedContent,
  endText,
  popGraphicsState,
  pushGraphicsState,
  setFillingRgbColor,
  setFontAndSize,
  setLineWidth,
  setStrokingRgbColor,
  setTextMatrix,
  setTextRenderingMode,
  showText,
  TextRenderingMode,
  rgb,
} from '@cantoo/pdf-lib';
import type { PDFFont, PDFPage } from '@cantoo/pdf-lib';
import type { Glyph } from 'fontkit';
import { cjkFont, cjkFontCovers, embedCjkFont } from '../pdf/cjk-font.js';
import { InvalidInputError } from '../errors.js';

export interface SealDesign {
  kind: 'organisation' | 'personal';
  /** 单位名称, drawn along the upper arc (organisation seals) */
  organisationName: string;
  /** e.g. 证照专用章, 业务专用章, 财务专用章, 合同专用章, drawn horizontally below the star; empty for 法定名称章 */
  sealTypeLabel: string;
  /** 14-digit seal code, drawn small along the lower arc */
  sealCode: string;
  /** personal name seals: the person's name, drawn in a square seal */
  personName?: string;
}

export const SEAL_NAME_MAX_CHARS = 40;
export const SEAL_LABEL_MAX_CHARS = 12;
export const PERSON_NAME_MAX_CHARS = 8;

const POINTS_PER_MM = 72 / 25.4;

/**
 * Default box sizes: 42 mm is the common diameter of an organisation's official seal. A name
 * seal of that size would dwarf a signature, so personal seals default to 20 mm.
 */
export const DEFAULT_SEAL_SIZE_PT = {
  organisation: 42 * POINTS_PER_MM,
  personal: 20 * POINTS_PER_MM,
} as const;

/** Seal red (印泥红), as used for e-seal images. */
export const SEAL_RED = '#E60012';
const SEAL_RED_RGB = [0xe6 / 255, 0x00 / 255, 0x12 / 255] as const;

// ---------------------------------------------------------------------------------------------
// Validation

function invalid(field: keyof SealDesign | 'kind', reason: string): never {
  throw new InvalidInputError('InvalidSealDesign', `seal design: ${field} ${reason}`, { details: { field } });
}

function characters(text: string): string[] {
  return Array.from(text);
}

const CONTROL_OR_LINE_BREAK = /[\p{Cc}\p{Zl}\p{Zp}]/u;

function checkText(field: keyof SealDesign, value: unknown, min: number, max: number): string {
  if (typeof value !== 'string') invalid(field, 'must be a string');
  const text = value.trim();
  const count = characters(text).length;
  if (count < min) invalid(field, min === 1 ? 'must not be empty' : `must have at least ${min} characters`);
  if (count > max) invalid(field, `must have at most ${max} characters (has ${count})`);
  if (CONTROL_OR_LINE_BREAK.test(text)) invalid(field, 'must not contain control characters or line breaks');
  // A character outside the font would be drawn as an empty box on the seal.
  if (!cjkFontCovers(text)) invalid(field, 'has characters the seal font cannot draw');
  return text;
}

/** Checks a design and returns it with names trimmed; throws `InvalidSealDesign`. */
export function validateSealDesign(design: SealDesign): SealDesign {
  if (design === null || typeof design !== 'object') invalid('kind', 'design must be an object');
  if (typeof design.sealCode !== 'string' || !/^[0-9]{14}$/.test(design.sealCode)) {
    invalid('sealCode', 'must be 14 digits (6-digit region code + 8-digit sequence)');
  }
  switch (design.kind) {
    case 'organisation':
      return {
        kind: 'organisation',
        organisationName: checkText('organisationName', design.organisationName, 1, SEAL_NAME_MAX_CHARS),
        sealTypeLabel: checkText('sealTypeLabel', design.sealTypeLabel ?? '', 0, SEAL_LABEL_MAX_CHARS),
        sealCode: design.sealCode,
      };
    case 'personal':
      return {
        kind: 'personal',
        organisationName: typeof design.organisationName === 'string' ? design.organisationName.trim() : '',
        sealTypeLabel: typeof design.sealTypeLabel === 'string' ? design.sealTypeLabel.trim() : '',
        sealCode: design.sealCode,
        personName: checkText('personName', design.personName, 2, PERSON_NAME_MAX_CHARS),
      };
    default:
      return invalid('kind', "must be 'organisation' or 'personal'");
  }
}

// ---------------------------------------------------------------------------------------------
// Geometry

/** Affine map [a b c d e f]: x' = a·x + c·y + e, y' = b·x + d·y + f (SVG and PDF order). */
export type Matrix = readonly [number, number, number, number, number, number];

interface Vector {
  x: number;
  y: number;
}

export type GlyphRole = 'organisationName' | 'sealTypeLabel' | 'sealCode' | 'personName';

export interface PlacedGlyph {
  /** The character this glyph draws. */
  text: string;
  glyph: Glyph;
  role: GlyphRole;
  /** From font units (y up) to seal units (y down, origin at the top-left of the box). */
  matrix: Matrix;
  /** Outline stroke that makes the thin Regular weight read like seal lettering, in seal units. */
  strokeWidth: number;
}

export interface SealShape {
  /** SVG path data in seal units (y down). */
  d: string;
  paint: 'fill' | 'stroke';
  strokeWidth: number;
}

export interface SealGeometry {
  /** Side of the square box; all coordinates are in these units. */
  size: number;
  /** Distance from the centre inside which all text must stay (inner edge of the border). */
  textLimitRadius: number;
  shapes: SealShape[];
  glyphs: PlacedGlyph[];
}

/*
 * Proportions, as fractions of the seal's radius r, read off real 42 mm seals: ring ≈ 1.5 mm
 * (1/28 of the diameter), star ≈ 14 mm across, name characters ≈ 6 mm tall, code digits ≈ 2 mm.
 */
const RING_STROKE = 2 / 28;
const OUTER_MARGIN = 0.01; // keeps the anti-aliased edge of the ring on the page
const NAME_GAP = 0.05; // between the ring and the top of the name characters
const NAME_HEIGHT_MAX = 0.3;
const NAME_HEIGHT_MIN = 0.19;
const NAME_FILL = 0.92; // share of each character's arc slot its glyph may use before condensing
const STAR_RADIUS = 0.32;
const LABEL_HEIGHT = 0.17;
const LABEL_CENTRE_Y = 0.5;
const LABEL_MAX_WIDTH = 0.95;
const CODE_HEIGHT = 0.1;
const CODE_GAP = 0.05;
const CODE_TRACKING = 1.15;
/** Glyph outline stroke relative to character height: regular weight → seal-like medium. */
const EMBOLDEN = 0.03;

/**
 * The ideographic em box of Noto Sans SC spans -0.12 em to 0.88 em around the baseline;
 * characters are centred on its middle so ideographs and digits sit on the same circle.
 */
const EM_BOX_CENTRE_Y = 0.38;

const degrees = (value: number) => (value * Math.PI) / 180;

/**
 * The name spreads over more of the circle as it gets longer: 210° up to 10 characters,
 * 240° from 20 on; short names keep characters close (32° each) rather than scattered.
 */
export function nameSpanDegrees(count: number): number {
  const spread = 210 + Math.min(Math.max(count - 10, 0), 10) * 3;
  return Math.min(spread, count * 32);
}

/**
 * The matrix that puts a glyph's em box centred on `centre`, with the glyph's x axis along
 * `right` and its y axis along `up` (unit vectors in y-down seal space), scaled to
 * `width` × `height` seal units per em.
 */
function glyphMatrix(glyph: Glyph, centre: Vector, right: Vector, up: Vector, width: number, height: number): Matrix {
  const unitsPerEm = cjkFont().unitsPerEm;
  const a = (right.x * width) / unitsPerEm;
  const b = (right.y * width) / unitsPerEm;
  const c = (up.x * height) / unitsPerEm;
  const d = (up.y * height) / unitsPerEm;
  const anchorX = glyph.advanceWidth / 2;
  const anchorY = EM_BOX_CENTRE_Y * unitsPerEm;
  return [a, b, c, d, centre.x - a * anchorX - c * anchorY, centre.y - b * anchorX - d * anchorY];
}

function glyphOf(character: string): Glyph {
  return cjkFont().glyphForCodePoint(character.codePointAt(0)!);
}

function advanceEm(glyph: Glyph): number {
  return glyph.advanceWidth / cjkFont().unitsPerEm;
}

/** Point at `angle` (radians clockwise from 12 o'clock) and `radius` from `centre`, y down. */
function polar(centre: Vector, radius: number, angle: number): Vector {
  return { x: centre.x + radius * Math.sin(angle), y: centre.y - radius * Math.cos(angle) };
}

/**
 * Radius of the line through the middle of a band of glyphs `width` × `height` such that the
 * glyphs' outer corners just touch `outerRadius`.
 */
function bandCentreRadius(outerRadius: number, width: number, height: number): number {
  return Math.sqrt(outerRadius ** 2 - (width / 2) ** 2) - height / 2;
}

/** Organisation name along the upper arc: evenly spaced, feet toward the centre. */
function placeOrganisationName(name: string, centre: Vector, r: number, textLimit: number): PlacedGlyph[] {
  const chars = characters(name);
  const span = degrees(nameSpanDegrees(chars.length));
  const pitch = span / chars.length;
  const outer = textLimit - NAME_GAP * r;

  // Characters shrink as the name grows, down to a legible minimum; beyond that they are
  // condensed sideways, as seal engravers do for long names.
  let height = NAME_HEIGHT_MAX * r;
  let width = height;
  let radius = bandCentreRadius(outer, width, height);
  for (let pass = 0; pass < 3; pass += 1) {
    const slot = pitch * radius * NAME_FILL;
    height = Math.min(Math.max(slot, NAME_HEIGHT_MIN * r), NAME_HEIGHT_MAX * r);
    width = Math.min(height, slot);
    radius = bandCentreRadius(outer, width, height);
  }

  return chars.map((text, index) => {
    const angle = -span / 2 + pitch * (index + 0.5);
    const outward = { x: Math.sin(angle), y: -Math.cos(angle) };
    const clockwise = { x: Math.cos(angle), y: Math.sin(angle) };
    const glyph = glyphOf(text);
    return {
      text,
      glyph,
      role: 'organisationName' as const,
      matrix: glyphMatrix(glyph, polar(centre, radius, angle), clockwise, outward, width, height),
      strokeWidth: EMBOLDEN * width,
    };
  });
}

/** Seal code along the bottom, read left to right with the digits' tops toward the centre. */
function placeSealCode(code: string, centre: Vector, r: number, textLimit: number): PlacedGlyph[] {
  const height = CODE_HEIGHT * r;
  const glyphs = characters(code).map(glyphOf);
  const widths = glyphs.map((glyph) => advanceEm(glyph) * height);
  const radius = bandCentreRadius(textLimit - CODE_GAP * r, Math.max(...widths), height);
  const slots = widths.map((width) => (width * CODE_TRACKING) / radius);
  const span = slots.reduce((sum, slot) => sum + slot, 0);

  let angle = Math.PI + span / 2; // start left of 6 o'clock, move counter-clockwise
  return glyphs.map((glyph, index) => {
    const slot = slots[index]!;
    const at = angle - slot / 2;
    angle -= slot;
    const inward = { x: -Math.sin(at), y: Math.cos(at) };
    const counterClockwise = { x: -Math.cos(at), y: -Math.sin(at) };
    return {
      text: code[index]!,
      glyph,
      role: 'sealCode' as const,
      matrix: glyphMatrix(glyph, polar(centre, radius, at), counterClockwise, inward, height, height),
      strokeWidth: EMBOLDEN * height,
    };
  });
}

/** Seal type label, level, centred below the star; condensed if it would not fit. */
function placeSealTypeLabel(label: string, centre: Vector, r: number): PlacedGlyph[] {
  const chars = characters(label);
  const glyphs = chars.map(glyphOf);
  const height = LABEL_HEIGHT * r;
  const naturalWidth = glyphs.reduce((sum, glyph) => sum + advanceEm(glyph) * height, 0);
  const squeeze = Math.min(1, (LABEL_MAX_WIDTH * r) / naturalWidth);
  let x = centre.x - (naturalWidth * squeeze) / 2;
  const y = centre.y + LABEL_CENTRE_Y * r;
  return glyphs.map((glyph, index) => {
    const width = advanceEm(glyph) * height * squeeze;
    const placed = {
      text: chars[index]!,
      glyph,
      role: 'sealTypeLabel' as const,
      matrix: glyphMatrix(glyph, { x: x + width / 2, y }, { x: 1, y: 0 }, { x: 0, y: -1 }, height * squeeze, height),
      strokeWidth: EMBOLDEN * height * squeeze,
    };
    x += width;
    return placed;
  });
}

function starPath(centre: Vector, radius: number): string {
  const inner = radius * Math.sin(degrees(18)) / Math.sin(degrees(126)); // the regular star's inner radius
  const points = Array.from({ length: 10 }, (_, index) =>
    polar(centre, index % 2 === 0 ? radius : inner, degrees(36 * index)),
  );
  return `M${points.map((point) => `${fmt(point.x)} ${fmt(point.y)}`).join('L')}Z`;
}

function circlePath(centre: Vector, radius: number): string {
  const left = `${fmt(centre.x - radius)} ${fmt(centre.y)}`;
  const right = `${fmt(centre.x + radius)} ${fmt(centre.y)}`;
  const arc = `A${fmt(radius)} ${fmt(radius)} 0 1 1`;
  return `M${left}${arc} ${right}${arc} ${left}Z`;
}

function organisationGeometry(design: SealDesign, size: number): SealGeometry {
  const r = size / 2;
  const centre = { x: r, y: r };
  const ringStroke = RING_STROKE * r;
  const ringRadius = r - OUTER_MARGIN * r - ringStroke / 2;
  const textLimitRadius = ringRadius - ringStroke / 2;
  return {
    size,
    textLimitRadius,
    shapes: [
      { d: circlePath(centre, ringRadius), paint: 'stroke', strokeWidth: ringStroke },
      { d: starPath(centre, STAR_RADIUS * r), paint: 'fill', strokeWidth: 0 },
    ],
    glyphs: [
      ...placeOrganisationName(design.organisationName, centre, r, textLimitRadius),
      ...placeSealTypeLabel(design.sealTypeLabel, centre, r),
      ...placeSealCode(design.sealCode, centre, r, textLimitRadius),
    ],
  };
}

/*
 * Name seal: a square frame, the name in two columns read right column first, top to bottom
 * (the traditional order). The right column takes the shorter half, so a three-character
 * name puts the surname alone, tall, on the right. Name seals carry no visible code: the
 * seal code stays in the e-seal data (and the SVG title / PDF title).
 */
const FRAME_STROKE = 1 / 14;
const FRAME_PADDING = 0.05;
const CELL_FILL = 0.94;

function personalGeometry(design: SealDesign, size: number): SealGeometry {
  const chars = characters(design.personName ?? '');
  const stroke = FRAME_STROKE * size;
  const frameOuter = size * (1 - OUTER_MARGIN);
  const frameOffset = (size - frameOuter) / 2 + stroke / 2;
  const frameSide = frameOuter - stroke;
  const innerStart = (size - frameOuter) / 2 + stroke + FRAME_PADDING * size;
  const innerSide = size - 2 * innerStart;

  const rightCount = Math.floor(chars.length / 2);
  const columns = [chars.slice(0, rightCount), chars.slice(rightCount)];
  const columnWidth = innerSide / 2;
  const glyphs = columns.flatMap((column, columnIndex) => {
    const cellHeight = innerSide / column.length;
    const centreX = innerStart + columnWidth * (columnIndex === 0 ? 1.5 : 0.5);
    return column.map((text, row) => {
      const glyph = glyphOf(text);
      const centre = { x: centreX, y: innerStart + cellHeight * (row + 0.5) };
      // Stretch the em box to the cell: tall for a lone character, as engravers cut them.
      const perEmX = (columnWidth * CELL_FILL) / advanceEm(glyph);
      const perEmY = cellHeight * CELL_FILL;
      return {
        text,
        glyph,
        role: 'personName' as const,
        matrix: glyphMatrix(glyph, centre, { x: 1, y: 0 }, { x: 0, y: -1 }, perEmX, perEmY),
        strokeWidth: EMBOLDEN * 1.5 * Math.min(perEmX, perEmY),
      };
    });
  });

  const square = `M${fmt(frameOffset)} ${fmt(frameOffset)}h${fmt(frameSide)}v${fmt(frameSide)}h${fmt(-frameSide)}Z`;
  return {
    size,
    textLimitRadius: innerSide / 2 + FRAME_PADDING * size,
    shapes: [{ d: square, paint: 'stroke', strokeWidth: stroke }],
    glyphs,
  };
}

/**
 * Where everything goes, in a square box of side `size` (y down). Pure layout: the renderers
 * below only paint it. Expects a validated design.
 */
export function sealGeometry(design: SealDesign, size: number): SealGeometry {
  return design.kind === 'personal' ? personalGeometry(design, size) : organisationGeometry(design, size);
}

/** Applies a matrix to a point. */
export function transformPoint(matrix: Matrix, x: number, y: number): Vector {
  const [a, b, c, d, e, f] = matrix;
  return { x: a * x + c * y + e, y: b * x + d * y + f };
}

/**
 * How far from the box centre a glyph's ink reaches (corners of its bounding box, plus half
 * the outline stroke): the number to compare with {@link SealGeometry.textLimitRadius}.
 */
export function glyphReach(geometry: SealGeometry, placed: PlacedGlyph): number {
  const { minX, minY, maxX, maxY } = placed.glyph.bbox;
  const centre = geometry.size / 2;
  const corners = [
    [minX, minY],
    [minX, maxY],
    [maxX, minY],
    [maxX, maxY],
  ] as const;
  const reach = Math.max(
    ...corners.map(([x, y]) => {
      const point = transformPoint(placed.matrix, x, y);
      return Math.hypot(point.x - centre, point.y - centre);
    }),
  );
  return reach + placed.strokeWidth / 2;
}

// ---------------------------------------------------------------------------------------------
// Rendering

function fmt(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.codePointAt(0)};`);
}

/** What the seal says, for `<title>`, `aria-label` and the PDF title. */
export function sealDescription(design: SealDesign): string {
  const parts =
    design.kind === 'personal'
      ? [design.personName ?? '', design.sealCode]
      : [design.organisationName, design.sealTypeLabel, design.sealCode];
  return parts.filter((part) => part !== '').join(' ');
}

const SVG_VIEWBOX = 1000;

function renderSvg(design: SealDesign): string {
  const geometry = sealGeometry(design, SVG_VIEWBOX);
  const sizeMm = DEFAULT_SEAL_SIZE_PT[design.kind] / POINTS_PER_MM;
  const label = escapeXml(sealDescription(design));
  const shapes = geometry.shapes.map((shape) =>
    shape.paint === 'fill'
      ? `<path d="${shape.d}"/>`
      : `<path d="${shape.d}" fill="none" stroke="${SEAL_RED}" stroke-width="${fmt(shape.strokeWidth)}"/>`,
  );
  // Outlines are baked into seal coordinates (rather than a transform attribute) so the
  // emboldening stroke has the same width in every direction, as it has in the PDF.
  const glyphs = geometry.glyphs.map((placed) => {
    const d = placed.glyph.path.transform(...placed.matrix).toSVG();
    return `<path d="${d}" stroke="${SEAL_RED}" stroke-width="${fmt(placed.strokeWidth)}" stroke-linejoin="round"/>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${fmt(sizeMm)}mm" height="${fmt(sizeMm)}mm"` +
      ` viewBox="0 0 ${SVG_VIEWBOX} ${SVG_VIEWBOX}" role="img" aria-label="${label}">`,
    `<title>${label}</title>`,
    `<g fill="${SEAL_RED}">`,
    ...shapes,
    ...glyphs,
    '</g>',
    '</svg>',
  ].join('\n');
}

/** Converts a y-down seal-space matrix to the PDF page (y up, origin bottom-left) in em units. */
function pdfTextMatrix(placed: PlacedGlyph, size: number): Matrix {
  const unitsPerEm = cjkFont().unitsPerEm;
  const [a, b, c, d, e, f] = placed.matrix;
  // Text space at font size 1 is one em per unit, the placement matrix works in font units.
  return [a * unitsPerEm, -b * unitsPerEm, c * unitsPerEm, -d * unitsPerEm, e, size - f];
}

function drawShapes(page: PDFPage, geometry: SealGeometry): void {
  const red = rgb(...SEAL_RED_RGB);
  for (const shape of geometry.shapes) {
    if (shape.paint === 'fill') page.drawSvgPath(shape.d, { x: 0, y: geometry.size, color: red });
    else page.drawSvgPath(shape.d, { x: 0, y: geometry.size, borderColor: red, borderWidth: shape.strokeWidth });
  }
}

/** Consecutive glyphs of the same role: the name, the label, the code. */
function runsByRole(glyphs: PlacedGlyph[]): PlacedGlyph[][] {
  const runs: PlacedGlyph[][] = [];
  for (const placed of glyphs) {
    const current = runs.at(-1);
    if (current && current[0]!.role === placed.role) current.push(placed);
    else runs.push([placed]);
  }
  return runs;
}

/**
 * Marks a run of separately placed glyphs with its text (ISO 32000-1 §14.9.4 ActualText), so
 * copying or extracting gives "山西省市场监督管理局" rather than characters in scattered lines.
 */
function actualTextSpan(text: string) {
  const inlineProperties = `<< /ActualText ${PDFHexString.fromText(text).toString()} >>`;
  return PDFOperator.of(PDFOperatorNames.BeginMarkedContentSequence, [PDFName.of('Span'), inlineProperties]);
}

/**
 * Each glyph gets its own text matrix: that is how characters follow the arc while staying
 * real text (copyable, found by search) in the embedded font. Render mode "fill then stroke"
 * thickens the outlines by the same stroke as in the SVG.
 */
function drawGlyphs(page: PDFPage, font: PDFFont, geometry: SealGeometry): void {
  const fontKey = page.node.newFontDictionary(font.name, font.ref);
  page.pushOperators(
    pushGraphicsState(),
    setFillingRgbColor(...SEAL_RED_RGB),
    setStrokingRgbColor(...SEAL_RED_RGB),
    beginText(),
    setFontAndSize(fontKey, 1),
    setTextRenderingMode(TextRenderingMode.FillAndOutline),
  );
  for (const run of runsByRole(geometry.glyphs)) {
    page.pushOperators(actualTextSpan(run.map((placed) => placed.text).join('')));
    for (const placed of run) {
      page.pushOperators(
        setLineWidth(placed.strokeWidth),
        setTextMatrix(...pdfTextMatrix(placed, geometry.size)),
        showText(font.encodeText(placed.text)),
      );
    }
    page.pushOperators(endMarkedContent());
  }
  page.pushOperators(endText(), popGraphicsState());
}

async function renderPdf(design: SealDesign, size: number, key: string): Promise<Uint8Array> {
  // No dates or producer in the info dictionary, so equal designs give equal bytes.
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.setTitle(sealDescription(design));
  const font = await embedCjkFont(doc, `seal ${key}`);
  const page = doc.addPage([size, size]);
  const geometry = sealGeometry(design, size);
  drawShapes(page, geometry);
  drawGlyphs(page, font, geometry);
  return doc.save({ useObjectStreams: false });
}

// ---------------------------------------------------------------------------------------------
// Public API with caching

/** A small least-recently-used cache: a service stamps the same few seals over and over. */
class RecentlyUsed<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  get(key: string, make: () => V): V {
    const found = this.entries.get(key);
    if (found !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, found);
      return found;
    }
    const made = make();
    this.entries.set(key, made);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return made;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

const CACHE_CAPACITY = 256;
const svgCache = new RecentlyUsed<string>(CACHE_CAPACITY);
const pdfCache = new RecentlyUsed<Promise<Uint8Array>>(CACHE_CAPACITY);

function cacheKey(design: SealDesign, size?: number): string {
  const { kind, organisationName, sealTypeLabel, sealCode, personName } = design;
  return JSON.stringify([kind, organisationName, sealTypeLabel, sealCode, personName ?? '', size ?? null]);
}

/**
 * The seal as a self-contained SVG (glyph outlines, no font needed), `width`/`height` at the
 * default physical size, text in `<title>` and `aria-label`. Throws `InvalidSealDesign`.
 */
export function sealSvg(design: SealDesign): string {
  const valid = validateSealDesign(design);
  return svgCache.get(cacheKey(valid), () => renderSvg(valid));
}

/**
 * The seal as a one-page PDF whose page is the seal's box (transparent, nothing behind the
 * red), ready to be placed on a document as a form XObject. Text is real text in an embedded
 * Noto Sans SC subset. Equal designs give equal bytes; repeats come from a cache, and each
 * caller gets its own copy. Throws `InvalidSealDesign`.
 *
 * @param sizePt side of the box in points (the diameter, for a round seal); defaults to
 *   {@link DEFAULT_SEAL_SIZE_PT} for the design's kind.
 */
export async function sealPdf(design: SealDesign, sizePt?: number): Promise<Uint8Array> {
  const valid = validateSealDesign(design);
  const size = sizePt ?? DEFAULT_SEAL_SIZE_PT[valid.kind];
  if (!Number.isFinite(size) || size < 10 || size > 1000) {
    throw new InvalidInputError('InvalidSealDesign', `seal design: size must be between 10 and 1000 pt (got ${size})`, {
      details: { field: 'size' },
    });
  }
  const key = cacheKey(valid, size);
  const pending = pdfCache.get(key, () => renderPdf(valid, size, key));
  try {
    return (await pending).slice();
  } catch (error) {
    pdfCache.delete(key); // do not remember failures
    throw error;
  }
}
