import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PDFDocument } from '@cantoo/pdf-lib';
import { PDFDocument as PlainPdfLibDocument, rgb } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { cjkFont, embedCjkFont } from '../../src/pdf/cjk-font.js';
import {
  DEFAULT_SEAL_SIZE_PT,
  glyphReach,
  nameSpanDegrees,
  sealGeometry,
  sealPdf,
  sealSvg,
  transformPoint,
  validateSealDesign,
  type PlacedGlyph,
  type SealDesign,
  type SealGeometry,
} from '../../src/seals/seal-appearance.js';
import { missingTool } from '../support/outside-tools.js';
import { isRedNear, pdfToPng, readPng, redShare, svgToPng, type Raster } from '../support/raster.js';

const execFileAsync = promisify(execFile);

const shanxi: SealDesign = {
  kind: 'organisation',
  organisationName: '山西省市场监督管理局',
  sealTypeLabel: '证照专用章',
  sealCode: '14000000000001',
};
const NAME_20 = '中华人民共和国国家市场监督管理总局登记局';
const NAME_40 = '中华人民共和国国家市场监督管理总局登记注册局企业信用信息公示系统运行维护服务中心';
const zhangSanfeng: SealDesign = {
  kind: 'personal',
  organisationName: '',
  sealTypeLabel: '',
  sealCode: '14000000000002',
  personName: '张三丰',
};

const organisation = (organisationName: string, sealTypeLabel = '合同专用章'): SealDesign => ({
  ...shanxi,
  organisationName,
  sealTypeLabel,
});
const person = (personName: string): SealDesign => ({ ...zhangSanfeng, personName });

// ---------------------------------------------------------------------------------------------
// Geometry helpers: where each glyph's em box centre is, which way it faces.

const degreesOf = (radians: number) => (radians * 180) / Math.PI;

function centreOf(placed: PlacedGlyph) {
  return transformPoint(placed.matrix, placed.glyph.advanceWidth / 2, 0.38 * cjkFont().unitsPerEm);
}

/** Clockwise from 12 o'clock, in degrees, -180..180. */
function angleOf(geometry: SealGeometry, placed: PlacedGlyph): number {
  const { x, y } = centreOf(placed);
  const c = geometry.size / 2;
  return degreesOf(Math.atan2(x - c, c - y));
}

/** The glyph's "up" (font +y) in seal space, dotted with the direction from the seal centre. */
function facesOutward(geometry: SealGeometry, placed: PlacedGlyph): number {
  const origin = transformPoint(placed.matrix, 0, 0);
  const top = transformPoint(placed.matrix, 0, 1);
  const centre = centreOf(placed);
  const c = geometry.size / 2;
  return (top.x - origin.x) * (centre.x - c) + (top.y - origin.y) * (centre.y - c);
}

function inkBox(placed: PlacedGlyph) {
  const { minX, minY, maxX, maxY } = placed.glyph.bbox;
  const corners = [
    transformPoint(placed.matrix, minX, minY),
    transformPoint(placed.matrix, minX, maxY),
    transformPoint(placed.matrix, maxX, minY),
    transformPoint(placed.matrix, maxX, maxY),
  ];
  const xs = corners.map((p) => p.x);
  const ys = corners.map((p) => p.y);
  return { minX: Math.min(...xs), maxX: Math.max(...xs), minY: Math.min(...ys), maxY: Math.max(...ys) };
}

const byRole = (geometry: SealGeometry, role: PlacedGlyph['role']) => geometry.glyphs.filter((g) => g.role === role);

function pathPoints(d: string): Array<{ x: number; y: number }> {
  const numbers = (d.match(/-?\d+(\.\d+)?/g) ?? []).map(Number);
  return Array.from({ length: numbers.length / 2 }, (_, i) => ({ x: numbers[2 * i]!, y: numbers[2 * i + 1]! }));
}

function expectInvalidSealDesign(run: () => unknown) {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('InvalidSealDesign');
    expect((error as AppError).kind).toBe('invalid');
    return;
  }
  expect.fail('expected InvalidSealDesign');
}

// ---------------------------------------------------------------------------------------------

describe('seal design validation', () => {
  it.each<[string, Partial<SealDesign> & Record<string, unknown>]>([
    ['empty organisation name', { organisationName: '' }],
    ['blank organisation name', { organisationName: '   ' }],
    ['organisation name over 40 characters', { organisationName: `${NAME_40}局` }],
    ['line break in the name', { organisationName: '山西省\n市场监督管理局' }],
    ['character the font cannot draw', { organisationName: '山西省😀局' }],
    ['label too long', { sealTypeLabel: '证照专用章证照专用章证照专用章' }],
    ['empty seal code', { sealCode: '' }],
    ['13-digit seal code', { sealCode: '1400000000001' }],
    ['15-digit seal code', { sealCode: '140000000000011' }],
    ['letter in seal code', { sealCode: '1400000000000A' }],
    ['full-width digits in seal code', { sealCode: '１４000000000001' }],
    ['spaces around seal code', { sealCode: ' 14000000000001' }],
    ['unknown kind', { kind: 'department' as SealDesign['kind'] }],
    ['personal seal without a name', { kind: 'personal', personName: undefined }],
    ['personal name of one character', { kind: 'personal', personName: '张' }],
    ['personal name over 8 characters', { kind: 'personal', personName: '买买提艾力阿不都热' }],
  ])('rejects %s', (_, change) => {
    const design = { ...shanxi, ...change } as SealDesign;
    expectInvalidSealDesign(() => validateSealDesign(design));
    expectInvalidSealDesign(() => sealSvg(design));
  });

  it('rejects the same designs from sealPdf, and a box size that is not sensible', async () => {
    await expect(sealPdf({ ...shanxi, sealCode: '1234' })).rejects.toMatchObject({ code: 'InvalidSealDesign' });
    await expect(sealPdf(shanxi, 0)).rejects.toMatchObject({ code: 'InvalidSealDesign' });
    await expect(sealPdf(shanxi, Number.NaN)).rejects.toMatchObject({ code: 'InvalidSealDesign' });
  });

  it('accepts 40 characters, an empty label (法定名称章) and trims names', () => {
    expect(Array.from(NAME_40)).toHaveLength(40);
    expect(Array.from(NAME_20)).toHaveLength(20);
    expect(validateSealDesign(organisation(NAME_40)).organisationName).toBe(NAME_40);
    expect(validateSealDesign(organisation('山西省人民政府', '')).sealTypeLabel).toBe('');
    expect(validateSealDesign(organisation(' 山西省人民政府 ')).organisationName).toBe('山西省人民政府');
    expect(sealSvg(organisation(' 山西省人民政府 '))).toBe(sealSvg(organisation('山西省人民政府')));
  });
});

describe('organisation seal geometry', () => {
  const SIZE = 1000;

  it.each([
    ['1 character', '局'],
    ['4 characters', '北京大学'],
    ['10 characters', '山西省市场监督管理局'],
    ['20 characters', NAME_20],
    ['40 characters', NAME_40],
  ])('keeps a name of %s inside the ring, evenly spread, feet toward the centre', (_, name) => {
    const geometry = sealGeometry(validateSealDesign(organisation(name)), SIZE);
    for (const placed of geometry.glyphs) {
      expect(glyphReach(geometry, placed), `${placed.role} ${placed.text}`).toBeLessThan(geometry.textLimitRadius);
    }

    const nameGlyphs = byRole(geometry, 'organisationName');
    expect(nameGlyphs.map((g) => g.text).join('')).toBe(name);
    const angles = nameGlyphs.map((g) => angleOf(geometry, g));
    const steps = angles.slice(1).map((angle, i) => angle - angles[i]!);
    for (const step of steps) expect(step).toBeCloseTo(steps[0]!, 6); // evenly spread, clockwise
    expect(angles[0]! + angles.at(-1)!).toBeCloseTo(0, 6); // centred on 12 o'clock
    for (const placed of nameGlyphs) expect(facesOutward(geometry, placed)).toBeGreaterThan(0);

    // Neighbours do not touch: centre distance exceeds the glyph's em-box width.
    for (let i = 1; i < nameGlyphs.length; i += 1) {
      const [a, b] = [centreOf(nameGlyphs[i - 1]!), centreOf(nameGlyphs[i]!)];
      const [m0, m1] = nameGlyphs[i]!.matrix;
      const width = Math.hypot(m0, m1) * nameGlyphs[i]!.glyph.advanceWidth;
      expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeGreaterThan(width);
    }
  });

  it('spreads names of 10 or more characters over 210–240 degrees', () => {
    for (const count of [10, 14, 20, 40]) {
      expect(nameSpanDegrees(count)).toBeGreaterThanOrEqual(210);
      expect(nameSpanDegrees(count)).toBeLessThanOrEqual(240);
    }
    expect(nameSpanDegrees(4)).toBeLessThan(210);
  });

  it('puts the label level below the star and the code left to right along the bottom, clear of the name', () => {
    const geometry = sealGeometry(validateSealDesign(organisation(NAME_40, '电子营业执照证照专用章')), SIZE);
    const star = pathPoints(geometry.shapes.find((shape) => shape.paint === 'fill')!.d);
    const starBottom = Math.max(...star.map((p) => p.y));

    const label = byRole(geometry, 'sealTypeLabel');
    const labelBox = label.map(inkBox);
    const labelTop = Math.min(...labelBox.map((b) => b.minY));
    const labelBottom = Math.max(...labelBox.map((b) => b.maxY));
    expect(labelTop).toBeGreaterThan(starBottom);
    const baselines = label.map((g) => transformPoint(g.matrix, 0, 0).y);
    for (const y of baselines) expect(y).toBeCloseTo(baselines[0]!, 6); // level

    const code = byRole(geometry, 'sealCode');
    expect(code.map((g) => g.text).join('')).toBe(shanxi.sealCode);
    const xs = code.map((g) => centreOf(g).x);
    for (let i = 1; i < xs.length; i += 1) expect(xs[i]!).toBeGreaterThan(xs[i - 1]!); // reads left to right
    for (const placed of code) {
      expect(facesOutward(geometry, placed)).toBeLessThan(0); // tops toward the centre
      expect(inkBox(placed).minY).toBeGreaterThan(labelBottom);
    }

    // At least 10° of clear arc between the ends of the name and of the code.
    const nameEnd = Math.max(...byRole(geometry, 'organisationName').map((g) => Math.abs(angleOf(geometry, g))));
    const codeEnd = Math.min(...code.map((g) => Math.abs(angleOf(geometry, g))));
    expect(codeEnd - nameEnd).toBeGreaterThan(10);
  });

  it('puts a personal name in the frame, right column first, top to bottom', () => {
    for (const name of ['王五', '张三丰', '欧阳修文', '买买提艾力阿不都']) {
      const geometry = sealGeometry(validateSealDesign(person(name)), SIZE);
      const frame = geometry.shapes[0]!;
      const inner = pathPoints(frame.d)[0]!.x + frame.strokeWidth / 2;
      for (const placed of geometry.glyphs) {
        const box = inkBox(placed);
        expect(box.minX).toBeGreaterThan(inner);
        expect(box.minY).toBeGreaterThan(inner);
        expect(box.maxX).toBeLessThan(SIZE - inner);
        expect(box.maxY).toBeLessThan(SIZE - inner);
      }
      const [first, second] = geometry.glyphs.map(centreOf);
      expect(first!.x).toBeGreaterThan(SIZE / 2); // the surname opens the right column
      expect(geometry.glyphs.map((g) => g.text).join('')).toBe(name);
      if (name.length > 3) expect(second!.y).toBeGreaterThan(first!.y);
    }
  });
});

describe('seal SVG', () => {
  it('is self-contained: outlines as paths, no text elements or fonts, text kept for accessibility', () => {
    const svg = sealSvg(shanxi);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="42mm" height="42mm"/);
    expect(svg).toContain(' viewBox="0 0 1000 1000"');
    expect(svg).toContain('aria-label="山西省市场监督管理局 证照专用章 14000000000001"');
    expect(svg).toContain('<title>山西省市场监督管理局 证照专用章 14000000000001</title>');
    expect(svg).not.toMatch(/<text|font-family|@font-face|href=/);
    const glyphCount = sealGeometry(validateSealDesign(shanxi), 1000).glyphs.length;
    expect(svg.match(/<path /g)).toHaveLength(2 + glyphCount); // ring, star, one path per glyph
    expect(glyphCount).toBe(10 + 5 + 14);
  });

  it('escapes markup in the accessible text', () => {
    expect(sealSvg(organisation('A&B<公司>'))).toContain('aria-label="A&#38;B&#60;公司&#62;');
  });
});

describe.skipIf(missingTool('chromium'))('seal SVG in Chromium', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'elt-seal-svg-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('renders red: ring, star at the centre, name band', async () => {
    const raster = await readPng(await svgToPng(sealSvg(shanxi), dir, 'shanxi'));
    const cssPixels = (42 / 25.4) * 96; // width="42mm" at 96 CSS px per inch
    checkOrganisationSeal(raster, cssPixels / 1000, sealGeometry(validateSealDesign(shanxi), 1000));
  });
});

/** Checks a render of `geometry` (in seal units) at `scale` pixels per unit. */
function checkOrganisationSeal(raster: Raster, scale: number, geometry: SealGeometry) {
  const c = (geometry.size / 2) * scale;
  const ring = geometry.shapes[0]!;
  const ringRadius = (geometry.textLimitRadius + ring.strokeWidth / 2) * scale;
  const at = (radius: number, degrees: number) => ({
    x: c + radius * Math.sin((degrees * Math.PI) / 180),
    y: c - radius * Math.cos((degrees * Math.PI) / 180),
  });

  for (let degrees = 0; degrees < 360; degrees += 30) {
    const { x, y } = at(ringRadius, degrees);
    expect(isRedNear(raster, x, y), `ring at ${degrees}°`).toBe(true);
  }
  expect(isRedNear(raster, c, c), 'star at the centre').toBe(true);
  expect(isRedNear(raster, 2, 2) || isRedNear(raster, 2 * c - 3, 2), 'corners outside the ring').toBe(false);

  // The name band (upper arc) is partly red: glyph strokes, not a solid fill and not empty.
  const band: Array<{ x: number; y: number }> = [];
  const limit = geometry.textLimitRadius * scale;
  for (let radius = limit * 0.7; radius < limit * 0.95; radius += 1) {
    for (let degrees = -100; degrees <= 100; degrees += 1) band.push(at(radius, degrees));
  }
  const share = redShare(raster, band);
  expect(share).toBeGreaterThan(0.15);
  expect(share).toBeLessThan(0.8);
}

describe.skipIf(missingTool('pdftoppm') || missingTool('pdffonts') || missingTool('pdftotext'))('seal PDF', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'elt-seal-pdf-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A pdffonts row: tagged subset name, type, encoding, then emb, sub, uni all "yes". */
  const EMBEDDED_SUBSET = /^[A-Z]{6}\+NotoSansSC-Regular\s+CID TrueType\s+Identity-H\s+yes\s+yes\s+yes\s/m;

  async function pdfTool(tool: string, args: string[]) {
    const { stdout } = await execFileAsync(tool, args, { timeout: 60_000 });
    return stdout;
  }

  it('embeds a subset of the CJK font and keeps the text extractable', async () => {
    const pdfPath = path.join(dir, 'fonts.pdf');
    await writeFile(pdfPath, await sealPdf(shanxi));
    const fonts = await pdfTool('pdffonts', [pdfPath]);
    // name, type, encoding, emb, sub, uni
    expect(fonts).toMatch(EMBEDDED_SUBSET);
    expect(fonts.trim().split('\n')).toHaveLength(3); // header, rule, one font

    const text = await pdfTool('pdftotext', ['-raw', pdfPath, '-']);
    expect(text.split('\n').slice(0, 3)).toEqual(['山西省市场监督管理局', '证照专用章', '14000000000001']);
  });

  it('has a page the size of the seal, 42 mm by default, and honours a given size', async () => {
    const page = (await PDFDocument.load(await sealPdf(shanxi))).getPage(0);
    expect(page.getWidth()).toBeCloseTo(DEFAULT_SEAL_SIZE_PT.organisation, 3);
    expect(page.getWidth()).toBeCloseTo(119.06, 2);
    expect(page.getHeight()).toBeCloseTo(page.getWidth(), 6);
    const small = (await PDFDocument.load(await sealPdf(shanxi, 85))).getPage(0);
    expect(small.getSize()).toEqual({ width: 85, height: 85 });
  });

  it('renders with poppler: red ring, red star at the centre, red name band, nothing outside', async () => {
    const raster = await readPng(await pdfToPng(await sealPdf(shanxi), dir, 'shanxi', 150));
    const pixelsPerPoint = 150 / 72;
    expect(raster.width).toBe(Math.ceil(DEFAULT_SEAL_SIZE_PT.organisation * pixelsPerPoint));
    const size = DEFAULT_SEAL_SIZE_PT.organisation;
    checkOrganisationSeal(raster, pixelsPerPoint, sealGeometry(validateSealDesign(shanxi), size));
  });

  it('renders a 20-character name seal too', async () => {
    const design = organisation(NAME_20);
    const raster = await readPng(await pdfToPng(await sealPdf(design), dir, 'name20', 150));
    const geometry = sealGeometry(validateSealDesign(design), DEFAULT_SEAL_SIZE_PT.organisation);
    checkOrganisationSeal(raster, 150 / 72, geometry);
  });

  it('renders a personal seal: red square frame with the name inside', async () => {
    const size = DEFAULT_SEAL_SIZE_PT.personal;
    const raster = await readPng(await pdfToPng(await sealPdf(zhangSanfeng), dir, 'zhang', 150));
    const scale = 150 / 72;
    const geometry = sealGeometry(validateSealDesign(zhangSanfeng), size);
    const frame = geometry.shapes[0]!;
    const edge = pathPoints(frame.d)[0]!.x * scale; // middle of the frame's stroke
    const far = (size * scale) - edge;
    const mid = (size * scale) / 2;
    for (const [x, y] of [[edge, mid], [far, mid], [mid, edge], [mid, far]] as const) {
      expect(isRedNear(raster, x, y), `frame at ${x},${y}`).toBe(true);
    }
    const inside: Array<{ x: number; y: number }> = [];
    const inner = (pathPoints(frame.d)[0]!.x + frame.strokeWidth) * scale + 2;
    for (let y = inner; y < size * scale - inner; y += 1) {
      for (let x = inner; x < size * scale - inner; x += 1) inside.push({ x, y });
    }
    const share = redShare(raster, inside);
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.6);
  });

  it('CJK font also works with plain pdf-lib 1.17 (encodeStream adapter), dash included', async () => {
    const doc = await PlainPdfLibDocument.create();
    const font = await embedCjkFont(doc, 'plain pdf-lib');
    const page = doc.addPage([300, 60]);
    const text = '统一社会信用代码：91140100MA0KXXXX0X — 山西';
    page.drawText(text, { x: 10, y: 25, size: 12, font, color: rgb(0xe6 / 255, 0, 0x12 / 255) });
    const pdf = await doc.save();
    const pdfPath = path.join(dir, 'plain.pdf');
    await writeFile(pdfPath, pdf);
    expect(await pdfTool('pdffonts', [pdfPath])).toMatch(EMBEDDED_SUBSET);
    expect((await pdfTool('pdftotext', [pdfPath, '-'])).trim()).toBe(text);
    // @pdf-lib/fontkit's subsets render most CJK glyphs blank; these must have ink.
    const raster = await readPng(await pdfToPng(pdf, dir, 'plain', 150));
    const line = Array.from({ length: raster.width * 30 }, (_, i) => ({
      x: i % raster.width,
      y: 45 + Math.floor(i / raster.width), // rows 45-75 px: the text line, 25 pt above the page foot
    }));
    expect(redShare(raster, line)).toBeGreaterThan(0.05);
  });

  it.skipIf(missingTool('pdftocairo'))('has a transparent background', async () => {
    const pdfPath = path.join(dir, 'transparent.pdf');
    await writeFile(pdfPath, await sealPdf(shanxi));
    await pdfTool('pdftocairo', ['-png', '-transp', '-singlefile', '-r', '72', pdfPath, path.join(dir, 'transparent')]);
    const raster = await readPng(path.join(dir, 'transparent.png'));
    expect(raster.rgba[3]).toBe(0); // top-left corner, outside the ring
    const centre = (Math.floor(raster.height / 2) * raster.width + Math.floor(raster.width / 2)) * 4;
    expect(raster.rgba[centre + 3]).toBe(255); // the star
  });
});

describe('seal PDF caching', () => {
  it('gives equal bytes for equal designs, a private copy each time, and answers repeats fast', async () => {
    const design = organisation('太原市小店区行政审批服务管理局', '业务专用章');
    const started = performance.now();
    const first = await sealPdf(design);
    const firstMs = performance.now() - started;

    const copy = await sealPdf({ ...design });
    expect(copy).toEqual(first);
    copy.fill(0); // a caller scribbling on its copy must not reach the cache
    expect(await sealPdf(design)).toEqual(first);

    const repeatStarted = performance.now();
    for (let i = 0; i < 100; i += 1) await sealPdf(design);
    const repeatMs = (performance.now() - repeatStarted) / 100;
    expect(repeatMs).toBeLessThan(5);
    console.info(`sealPdf: first ${firstMs.toFixed(1)} ms, repeat ${repeatMs.toFixed(3)} ms`);

    expect(await sealPdf({ ...design, sealCode: '14010500000002' })).not.toEqual(first);
  });
});
