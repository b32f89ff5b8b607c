import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/errors.js';
import {
  bodyLineBudget,
  HOLDER_ID_TYPE_CODES,
  HOLDER_ID_TYPE_NAMES,
  LICENCE_PAGE_SIZES,
  licenceLayoutRegions,
  LicenceTypeCatalogue,
  LicenceTypeCatalogueError,
  licenceTypeSchema,
  type LicenceType,
} from '../../src/licences/licence-type.js';
import { creditCodeProblem } from '../../src/pki/credit-code.js';

const TEMPLATES = fileURLToPath(new URL('../../templates', import.meta.url));

/** A shipped template as plain, mutable JSON. */
function template(slug: string): LicenceType {
  return JSON.parse(readFileSync(path.join(TEMPLATES, `${slug}.json`), 'utf8')) as LicenceType;
}

/** The problems fromTypes reports for these types (fails the test when there are none). */
function problemsOf(types: LicenceType[]): string[] {
  try {
    LicenceTypeCatalogue.fromTypes(types);
  } catch (error) {
    expect(error).toBeInstanceOf(LicenceTypeCatalogueError);
    return (error as LicenceTypeCatalogueError).problems;
  }
  expect.fail('the types were accepted');
}

describe('the shipped catalogue (templates/)', () => {
  const catalogue = LicenceTypeCatalogue.load(TEMPLATES);

  it('has at least the five licence types', () => {
    expect(catalogue.list().map((t) => t.slug)).toEqual(
      expect.arrayContaining(['business-licence', 'marriage-certificate', 'disability-certificate', 'tax-payment-certificate', 'constructor-registration']),
    );
    expect(catalogue.list().length).toBeGreaterThanOrEqual(5);
  });

  it.each(catalogue.list().map((t) => [t.slug, t] as const))('%s has a GB/T 36904 type code: a valid credit code and 3 digits', (_slug, type) => {
    expect(type.code).toHaveLength(21);
    expect(creditCodeProblem(type.code.slice(0, 18))).toBeNull();
    expect(type.code.slice(18)).toMatch(/^\d{3}$/);
    expect(type.definingAuthority.creditCode).toBe(type.code.slice(0, 18));
  });

  it.each(catalogue.list().map((t) => [t.slug, t] as const))('%s fits its page: every region inside, body at its longest included', (_slug, type) => {
    const page = LICENCE_PAGE_SIZES[type.layout.page];
    for (const box of Object.values(licenceLayoutRegions(type))) {
      expect(box.x0).toBeGreaterThan(0);
      expect(box.y0).toBeGreaterThan(0);
      expect(box.x1).toBeLessThan(page.width);
      expect(box.y1).toBeLessThan(page.height);
    }
    expect(bodyLineBudget(type)).toBeGreaterThanOrEqual(type.holderRoles.length * 2);
  });

  it('uses the real 二级建造师 type code of 住房和城乡建设部 (gb-standards.md §1.4)', () => {
    const type = catalogue.getBySlug('constructor-registration')!;
    expect(type.code).toBe('11100000000013338W001');
    expect(type.holderKind).toBe('person');
    expect(type.validity).toEqual({ kind: 'fixed-term', years: 3 });
  });

  it('says so in the note wherever a code is an illustrative placeholder', () => {
    for (const type of catalogue.list()) {
      if (type.code.startsWith('11100000000013338W')) continue;
      expect(type.note, type.slug).toMatch(/illustrative placeholder/);
    }
  });

  it('has the 结婚证 with two person holders and the 营业执照 with an organisation holder', () => {
    const marriage = catalogue.getBySlug('marriage-certificate')!;
    expect(marriage.holderRoles.map((r) => r.key)).toEqual(['holder', 'spouse']);
    expect(HOLDER_ID_TYPE_CODES[marriage.holderKind]).toBe('111');
    const business = catalogue.getBySlug('business-licence')!;
    expect(HOLDER_ID_TYPE_CODES[business.holderKind]).toBe('001');
    expect(HOLDER_ID_TYPE_NAMES[business.holderKind]).toBe('统一社会信用代码');
    expect(business.validity).toEqual({ kind: 'given', required: false });
  });

  it('finds types by code and refuses unknown codes with LicenceTypeNotFound', () => {
    const first = catalogue.list()[0]!;
    expect(catalogue.get(first.code)).toBe(first);
    expect(catalogue.require(first.code)).toBe(first);
    expect(catalogue.get('11100000000013338W999')).toBeUndefined();
    expect(() => catalogue.require('11100000000013338W999')).toThrow(NotFoundError);
    try {
      catalogue.require('nope');
    } catch (error) {
      expect((error as NotFoundError).code).toBe('LicenceTypeNotFound');
    }
  });

  it('is immutable, so that per-type caches keyed by the object stay right', () => {
    const type = catalogue.list()[0]!;
    expect(Object.isFrozen(catalogue.list())).toBe(true);
    expect(Object.isFrozen(type.fields[0])).toBe(true);
    expect(() => {
      (type.layout.body as { x: number }).x = 0;
    }).toThrow(TypeError);
  });
});

describe('LicenceTypeCatalogue.load refuses a bad directory, listing every problem with its file', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function write(files: Record<string, unknown>): string {
    dir = mkdtempSync(path.join(os.tmpdir(), 'licence-types-'));
    for (const [name, value] of Object.entries(files)) {
      writeFileSync(path.join(dir, name), typeof value === 'string' ? value : JSON.stringify(value, null, 2));
    }
    return dir;
  }

  it('reports all problems of all files at once', () => {
    const base = template('business-licence');
    const withSlug = (slug: string, change: (t: LicenceType) => void = () => {}) => {
      const t = structuredClone(base);
      t.slug = slug;
      change(t);
      return t;
    };
    const badCredit = '11100000PH00000123'; // check character changed from 2 to 3
    const directory = write({
      'a.json': withSlug('a'),
      'b.json': withSlug('b'), // same code as a.json
      'c.json': withSlug('c', (t) => {
        t.code = `${badCredit}002`;
        t.definingAuthority.creditCode = badCredit;
      }),
      'd.json': withSlug('d', (t) => {
        t.code = `${t.code.slice(0, 18)}004`;
        delete t.fields[0]!.options;
      }),
      'e.json': withSlug('e', (t) => {
        t.code = `${t.code.slice(0, 18)}005`;
        t.layout.qr.x = 800;
      }),
      'f.json': { ...withSlug('f', (t) => (t.code = `${t.code.slice(0, 18)}006`)), colour: 'red' },
      'g.json': withSlug('g', (t) => {
        t.code = `${t.code.slice(0, 18)}007`;
        t.fields[5]!.key = 'validUntil';
      }),
      'h.json': withSlug('h', (t) => {
        t.code = `${t.code.slice(0, 18)}008`;
        t.fields[5]!.label = '住所😀';
        t.fields[0]!.options!.push('𠀀');
      }),
      'i.json': withSlug('not-i', (t) => (t.code = `${t.code.slice(0, 18)}009`)),
      'j.json': '{ "code": ',
      'README.md': 'not a licence type',
    });
    let error: unknown;
    try {
      LicenceTypeCatalogue.load(directory);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LicenceTypeCatalogueError);
    const { problems, message } = error as LicenceTypeCatalogueError;
    const shown = (name: string) => path.join(directory, name);
    const expected: [string, RegExp][] = [
      ['b.json', /^code: 11100000PH00000122001 is also the code of .*a\.json$/],
      ['c.json', /^code: the first 18 characters are not a valid unified social credit code \(check-character\)$/],
      ['c.json', /^definingAuthority\.creditCode: not a valid unified social credit code \(check-character\)$/],
      ['d.json', /^fields\[0\]\.options: required for enum$/],
      ['e.json', /^layout\.qr: qr at x 800–900.* is not inside the A4-landscape page/],
      ['f.json', /^\(top\): Unrecognized key: "colour"$/],
      ['g.json', /^fields\[5\]\.key: 'validUntil' is reserved$/],
      ['h.json', /^fields\[5\]\.label: cannot be drawn with the CJK font: '😀' \(U\+1F600\)$/],
      ['h.json', /^fields\[0\]\.options\[16\]: cannot be drawn with the CJK font: '𠀀' \(U\+20000\)$/],
      ['i.json', /^slug: must equal the file name without \.json \('i'\)$/],
      ['j.json', /JSON/],
    ];
    for (const [file, pattern] of expected) {
      const prefix = `${shown(file)}: `;
      const lines = problems.filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length));
      expect(lines, `${file} in\n${message}`).toContainEqual(expect.stringMatching(pattern));
    }
    expect(problems.some((p) => p.startsWith(`${shown('a.json')}:`))).toBe(false);
    expect(problems.some((p) => p.includes('README'))).toBe(false);
    for (const p of problems) expect(message).toContain(`\n  ${p}`);
  });

  it('names files relative to the working directory when they are inside it', () => {
    const type = template('marriage-certificate');
    delete (type.fields[0] as Partial<LicenceType['fields'][number]>).label;
    const directory = write({ 'marriage-certificate.json': type });
    const cwd = process.cwd();
    process.chdir(path.dirname(directory));
    try {
      expect(() => LicenceTypeCatalogue.load(directory)).toThrow(
        `\n  ${path.basename(directory)}/marriage-certificate.json: fields[0].label: Invalid input: expected string, received undefined`,
      );
    } finally {
      process.chdir(cwd);
    }
  });

  it('refuses an empty or missing directory', () => {
    expect(() => LicenceTypeCatalogue.load(write({ 'README.md': '# nothing' }))).toThrow(/no licence type files/);
    expect(() => LicenceTypeCatalogue.load(path.join(os.tmpdir(), 'no-such-licence-types-dir'))).toThrow(/cannot read the directory/);
  });
});

describe('licence type checks (fromTypes and the schema)', () => {
  const source = (slug: string) => `licence type '${slug}'`;

  it('accepts the shipped types through fromTypes too', () => {
    const shipped = LicenceTypeCatalogue.load(TEMPLATES).list();
    const types = shipped.map((t) => template(t.slug));
    expect(LicenceTypeCatalogue.fromTypes(types).list()).toEqual(shipped);
  });

  it('refuses duplicate codes and slugs across types', () => {
    const a = template('disability-certificate');
    const b = template('disability-certificate');
    expect(problemsOf([a, b])).toEqual([
      `${source('disability-certificate')}: code: ${a.code} is also the code of ${source('disability-certificate')}`,
      `${source('disability-certificate')}: slug: 'disability-certificate' is also the slug of ${source('disability-certificate')}`,
    ]);
  });

  // Each case changes the 营业执照 in one way; the problem must name the path.
  const cases: [string, (t: LicenceType) => void, string][] = [
    ['a type code that is not 21 characters', (t) => (t.code = '11100000PH00000122'), "code: must be 21 characters: the defining authority's credit code and 3 digits"],
    ['a defining authority other than the code says', (t) => (t.definingAuthority.creditCode = '11100000000013338W'), 'definingAuthority.creditCode: must equal the first 18 characters of code (11100000PH00000122)'],
    ['options on a text field', (t) => (t.fields[1]!.options = ['甲']), 'fields[1].options: only for enum'],
    ['duplicate options', (t) => t.fields[0]!.options!.push('全民所有制'), 'fields[0].options: must be unique'],
    ['maxLength on a date', (t) => (t.fields[4]!.maxLength = 10), 'fields[4].maxLength: only for text and multiline'],
    ['a pattern that is not a regular expression', (t) => (t.fields[1]!.pattern = '('), 'fields[1].pattern: not a valid regular expression'],
    ['min above max', (t) => Object.assign(t.fields[3]!, { min: 10, max: 1 }), 'fields[3].max: must not be less than min'],
    ['a money bound with 3 decimals', (t) => (t.fields[3]!.min = 0.001), 'fields[3].min: must be a non-negative amount with at most 2 decimals'],
    ['min on a text field', (t) => (t.fields[1]!.min = 1), 'fields[1].min: only for integer and money'],
    ['a field key that is not camelCase', (t) => (t.fields[1]!.key = 'legal_representative'), 'fields[1].key: must be camelCase'],
    ['a duplicate field key', (t) => (t.fields[1]!.key = 'entityType'), "fields[1].key: duplicate field key 'entityType'"],
    ['each reserved key', (t) => (t.fields[1]!.key = 'paperNumber'), "fields[1].key: 'paperNumber' is reserved"],
    ['holders as a field key', (t) => (t.fields[1]!.key = 'holders'), "fields[1].key: 'holders' is reserved"],
    ['an unknown field type', (t) => ((t.fields[1] as { type: string }).type = 'email'), 'fields[1].type: Invalid option'],
    ['an unknown key in a field', (t) => Object.assign(t.fields[1]!, { hint: 'x' }), 'fields[1]: Unrecognized key: "hint"'],
    ['an unknown key in the layout', (t) => Object.assign(t.layout.body, { colour: 'red' }), 'layout.body: Unrecognized key: "colour"'],
    ['an unknown validity kind', (t) => (t.validity = { kind: 'forever' } as never), 'validity.kind: Invalid discriminator value'],
    ['a lower-case number prefix', (t) => (t.licenceNumber.prefix = 'yz'), 'licenceNumber.prefix: must be 0–6 upper-case letters and digits'],
    ['an unknown seal type', (t) => (t.sealType = 'finance' as never), 'sealType: Invalid option'],
    ['a slug with capitals', (t) => (t.slug = 'Business'), 'slug: must be lower-case letters, digits and dashes'],
    ['a title the font cannot draw', (t) => (t.layout.title.text = '营业执照\u{2A6D6}'), "layout.title.text: cannot be drawn with the CJK font: '\u{2A6D6}' (U+2A6D6)"],
    ['a title wider than the page', (t) => (t.layout.title.text = '营业执照营业执照营业执照营业执照营业执照营业执照'), 'layout.title: title at x '],
    ['a QR code on the seal', (t) => Object.assign(t.layout.qr, { x: 620, y: 120 }), 'layout.seal: seal (x 612–732, y 103–223) overlaps qr (x 620–720'],
    ['a QR code too small to scan', (t) => (t.layout.qr.size = 40), 'layout.qr.size: must be at least 56 points (20 mm) to scan'],
    ['a body that runs into the footer at its longest', (t) => (t.fields[2]!.maxLength = 900), 'layout.footer: footer ('],
    ['a label wider than the label column', (t) => (t.layout.body.labelWidth = 60), "fields[3].label: '注册资本（万元）' is wider than layout.body.labelWidth"],
    ['a label column that leaves no room for values', (t) => (t.layout.body.labelWidth = 500), 'layout.body.labelWidth: must leave at least 10 characters'],
    ['a body too close to the frame', (t) => (t.layout.body.x = 20), 'layout.body: the body (25 lines at most) at x 20–570'],
    ['a negative coordinate', (t) => (t.layout.seal.y = -5), 'layout.seal.y: Too small'],
  ];
  it.each(cases)('refuses %s', (_what, change, expected) => {
    const type = template('business-licence');
    change(type);
    const problems = problemsOf([type]);
    expect(problems, problems.join('\n')).toContainEqual(expect.stringContaining(`${source(type.slug)}: ${expected}`));
  });

  it('the schema alone applies the per-type checks', () => {
    const type = template('tax-payment-certificate');
    type.fields[2]!.options = undefined;
    const result = licenceTypeSchema.safeParse(type);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toContain('fields.2.options: required for enum');
  });
});
