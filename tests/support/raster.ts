import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import UPNG from '@cantoo/pdf-lib/upng';

const execFileAsync = promisify(execFile);

/** A decoded image: RGBA, 8 bits per channel, rows top to bottom. */
export interface Raster {
  width: number;
  height: number;
  rgba: Uint8Array;
}

export function decodePng(bytes: Uint8Array): Raster {
  // Node may hand out a slice of a shared pool buffer: decode only this file's bytes.
  const own = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const image = UPNG.decode(own);
  return { width: image.width, height: image.height, rgba: new Uint8Array(UPNG.toRGBA8(image)[0]!) };
}

/** Seal red, also when anti-aliased against white or transparent: strong red, little green or blue. */
export function isRedAt(raster: Raster, x: number, y: number): boolean {
  const px = Math.round(x);
  const py = Math.round(y);
  if (px < 0 || py < 0 || px >= raster.width || py >= raster.height) return false;
  const i = (py * raster.width + px) * 4;
  const [r, g, b, a] = [raster.rgba[i]!, raster.rgba[i + 1]!, raster.rgba[i + 2]!, raster.rgba[i + 3]!];
  return a > 128 && r > 170 && g < 110 && b < 110;
}

/** True if any pixel within `radius` pixels of (x, y) is red: tolerates half-pixel rounding. */
export function isRedNear(raster: Raster, x: number, y: number, radius = 1): boolean {
  for (let dy = -radius; dy <= radius; dy += 1) {
    for (let dx = -radius; dx <= radius; dx += 1) {
      if (isRedAt(raster, x + dx, y + dy)) return true;
    }
  }
  return false;
}

/** Share of the sampled points that are red. */
export function redShare(raster: Raster, points: Array<{ x: number; y: number }>): number {
  return points.filter((point) => isRedAt(raster, point.x, point.y)).length / points.length;
}

/** Renders page 1 of a PDF with poppler's pdftoppm; returns the PNG path. */
export async function pdfToPng(pdf: Uint8Array, dir: string, name: string, dpi = 150): Promise<string> {
  const pdfPath = path.join(dir, `${name}.pdf`);
  await writeFile(pdfPath, pdf);
  await execFileAsync('pdftoppm', ['-r', String(dpi), '-png', '-singlefile', pdfPath, path.join(dir, name)], {
    timeout: 60_000,
  });
  return path.join(dir, `${name}.png`);
}

/** Screenshots an SVG file in headless Chromium (viewport `size` × `size` CSS pixels). */
export async function svgToPng(svg: string, dir: string, name: string, size = 400): Promise<string> {
  const svgPath = path.join(dir, `${name}.svg`);
  const pngPath = path.join(dir, `${name}.png`);
  await writeFile(svgPath, svg);
  await execFileAsync(
    'chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${path.join(dir, `chromium-profile-${name}`)}`,
      '--hide-scrollbars',
      `--window-size=${size},${size}`,
      `--screenshot=${pngPath}`,
      `file://${svgPath}`,
    ],
    { timeout: 60_000 },
  );
  return pngPath;
}

export async function readPng(pngPath: string): Promise<Raster> {
  return decodePng(await readFile(pngPath));
}
