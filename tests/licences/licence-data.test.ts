import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import {
  chinaDate,
  type LicenceData,
  type LicenceDataParams,
  type LicenceDataProblem,
  validateLicenceData,
} from '../../src/licences/licence-data.js';
import { LicenceTypeCatalogue, type LicenceType } from '../../src/licences/licence-type.js';
import { residentIdCheckCharacter } from '../../src/pki/resident-id.js';
import { testCreditCode } from '../support/credit-codes.js';

const catalogue = LicenceTypeCatalogue.load(fileURLToPath(new URL('../../templates', import.meta.url)));
const type = (slug: string): LicenceType => catalogue.getBySlug(slug)!;

/** 2026-03-15 12:00 in China. */
const TODAY = new Date('2026-03-15T04:00:00Z');

/** A resident identity number with its check character computed (GB 11643). */
const rid = (first17: string) => first17 + residentIdCheckCharacter(first17);
const MAN = rid('11010519491231002'); // 11010519491231002X, the standard's example
const WOMAN = rid('44030419900307142');
const CHILD = rid('31010120150601003');
const COMPANY = testCreditCode(1);

/** Realistic, valid issuance data for each shipped type. */
const GOOD: Record<string, LicenceDataParams> = {
  'business-licence': {
    holders: [{ name: '北京示例科技有限公司', id: COMPANY }],
    fields: {
      entityType: '有限责任公司（自然人投资或控股）',
      legalRepresentative: '王小明',
      businessScope: '技术开发、技术咨询、技术服务；软件开发；计算机系统服务。\n（依法须经批准的项目，经相关部门批准后依批准的内容开展经营活动。）',
      registeredCapital: 500,
      establishedOn: '2019-06-18',
      domicile: '北京市朝阳区建国路88号9层901',
    },
    validFrom: '2019-06-18',
  },
  'marriage-certificate': {
    holders: [
      { name: '张伟', id: MAN },
      { name: '李娜', id: WOMAN },
    ],
    fields: { registrationDate: '2026-03-14', certificateNumber: 'J110105-2026-000123' },
  },
  'disability-certificate': {
    holders: [{ name: '陈小宝', id: CHILD }],
    fields: { sex: '男', disabilityCategory: '听力', disabilityGrade: '二级', address: '上海市黄浦区南京东路100弄5号', guardian: '陈建国', guardianId: MAN },
    validFrom: '2026-01-01',
  },
  'tax-payment-certificate': {
    holders: [{ name: '深圳市示例贸易有限公司', id: testCreditCode(2) }],
    fields: {
      taxAuthority: '国家税务总局深圳市南山区税务局',
      originalVoucherNumber: '344036260300012345',
      taxCategory: '增值税',
      itemName: '批发业',
      taxPeriod: '2026-01-01至2026-01-31',
      paymentDate: '2026-02-15',
      amount: '12345.6',
    },
  },
  'constructor-registration': {
    holders: [{ name: '刘洋', id: WOMAN }],
    fields: {
      sex: '女',
      birthDate: '1990-03-07',
      employer: '中建示例工程局有限公司',
      employerCreditCode: testCreditCode(3),
      specialty: '市政公用工程',
      registrationNumber: '京211151601234',
    },
    validFrom: '2026-03-01',
  },
};

function params(slug: string, change: (p: LicenceDataParams) => void = () => {}): LicenceDataParams {
  const p = structuredClone(GOOD[slug]!);
  change(p);
  return p;
}

/** The problems reported for `input` (fails the test when it is accepted). */
function problemsOf(slug: string, input: unknown): LicenceDataProblem[] {
  try {
    validateLicenceData(type(slug), input as LicenceDataParams, TODAY);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return ((error as InvalidInputError).details as { problems: LicenceDataProblem[] }).problems;
  }
  expect.fail('the data was accepted');
}

describe('validateLicenceData with good data', () => {
  it('covers every shipped type', () => {
    expect(Object.keys(GOOD).sort()).toEqual(catalogue.list().map((t) => t.slug).sort());
  });

  it.each(Object.keys(GOOD))('accepts realistic data for %s', (slug) => {
    const data = validateLicenceData(type(slug), params(slug), TODAY);
    const t = type(slug);
    expect(data.holders.map((h) => h.role)).toEqual(t.holderRoles.map((r) => r.key));
    expect(data.holders.every((h) => h.idTypeCode === (t.holderKind === 'person' ? '111' : '001'))).toBe(true);
    expect(Object.keys(data.fields)).toEqual(t.fields.map((f) => f.key).filter((k) => k in GOOD[slug]!.fields));
  });

  it('normalises the 营业执照: names trimmed, money with 2 decimals, open-ended term', () => {
    const data = validateLicenceData(
      type('business-licence'),
      params('business-licence', (p) => {
        p.holders[0]!.name = '  北京示例科技有限公司\u3000';
        p.fields.legalRepresentative = ' 王小明 ';
        p.fields.businessScope = '技术开发；\r\n技术咨询。\r软件开发。';
      }),
      TODAY,
    );
    expect(data).toEqual<LicenceData>({
      holders: [{ role: 'holder', name: '北京示例科技有限公司', id: COMPANY, idTypeCode: '001' }],
      fields: {
        entityType: '有限责任公司（自然人投资或控股）',
        legalRepresentative: '王小明',
        businessScope: '技术开发；\n技术咨询。\n软件开发。',
        registeredCapital: '500.00',
        establishedOn: '2019-06-18',
        domicile: '北京市朝阳区建国路88号9层901',
      },
      validFrom: '2019-06-18',
      validUntil: null,
    });
  });

  it('gives the 结婚证 two holders, no end date and validFrom = the issue date in China', () => {
    const evening = new Date('2026-03-15T17:30:00Z'); // already 16 March in Beijing
    const data = validateLicenceData(type('marriage-certificate'), params('marriage-certificate'), evening);
    expect(data.holders).toEqual([
      { role: 'holder', name: '张伟', id: '11010519491231002X', idTypeCode: '111' },
      { role: 'spouse', name: '李娜', id: WOMAN, idTypeCode: '111' },
    ]);
    expect(data.validFrom).toBe('2026-03-16');
    expect(data.validUntil).toBeNull();
  });

  it("upper-cases a lower-case 'x' in holder ids and resident-id fields", () => {
    const data = validateLicenceData(
      type('disability-certificate'),
      params('disability-certificate', (p) => {
        p.holders[0]!.id = '11010519491231002x';
        p.fields.guardianId = '11010519491231002x';
      }),
      TODAY,
    );
    expect(data.holders[0]!.id).toBe('11010519491231002X');
    expect(data.fields.guardianId).toBe('11010519491231002X');
  });

  it('upper-cases credit codes', () => {
    const data = validateLicenceData(type('business-licence'), params('business-licence', (p) => (p.holders[0]!.id = COMPANY.toLowerCase())), TODAY);
    expect(data.holders[0]!.id).toBe(COMPANY);
  });

  it('omits absent optional fields; empty strings and null count as absent', () => {
    const data = validateLicenceData(
      type('disability-certificate'),
      params('disability-certificate', (p) => {
        p.fields.guardian = '  ';
        p.fields.guardianId = null;
      }),
      TODAY,
    );
    expect(data.fields).not.toHaveProperty('guardian');
    expect(data.fields).not.toHaveProperty('guardianId');
  });
});

describe('validity', () => {
  const validity = (slug: string, validFrom?: string, validUntil?: string) => {
    const data = validateLicenceData(
      type(slug),
      params(slug, (p) => {
        delete p.validFrom;
        if (validFrom !== undefined) p.validFrom = validFrom;
        if (validUntil !== undefined) p.validUntil = validUntil;
      }),
      TODAY,
    );
    return [data.validFrom, data.validUntil];
  };

  it.each([
    ['disability-certificate', '2026-01-01', undefined, ['2026-01-01', '2035-12-31']], // 10 years − 1 day
    ['constructor-registration', '2026-01-01', undefined, ['2026-01-01', '2028-12-31']], // 3 years
    ['disability-certificate', '2024-02-29', undefined, ['2024-02-29', '2034-02-28']], // anniversary 1 March − 1 day
    ['constructor-registration', '2024-02-29', undefined, ['2024-02-29', '2027-02-28']],
    ['disability-certificate', '2024-03-01', undefined, ['2024-03-01', '2034-02-28']],
    ['disability-certificate', '2023-03-01', undefined, ['2023-03-01', '2033-02-28']],
    ['disability-certificate', '2019-03-01', undefined, ['2019-03-01', '2029-02-28']],
    ['disability-certificate', '2018-03-01', undefined, ['2018-03-01', '2028-02-29']], // ends on a leap day
    ['disability-certificate', undefined, undefined, ['2026-03-15', '2036-03-14']], // from the issue date
    ['disability-certificate', '2026-01-01', '2030-06-30', ['2026-01-01', '2030-06-30']], // explicit end
    ['business-licence', '2019-06-18', undefined, ['2019-06-18', null]], // 长期
    ['business-licence', '2019-06-18', '2039-06-17', ['2019-06-18', '2039-06-17']],
    ['business-licence', '2019-06-18', '2019-06-18', ['2019-06-18', '2019-06-18']], // one day is allowed
    ['tax-payment-certificate', undefined, undefined, ['2026-03-15', null]], // permanent
  ] as const)('%s from %s until %s: %j', (slug, from, until, expected) => {
    expect(validity(slug, from, until)).toEqual(expected);
  });

  it('requires validUntil when the rule says given and required', () => {
    const t: LicenceType = { ...structuredClone(type('business-licence')), validity: { kind: 'given', required: true } };
    const catalogueWith = LicenceTypeCatalogue.fromTypes([t]);
    expect(() => validateLicenceData(catalogueWith.list()[0]!, params('business-licence'), TODAY)).toThrow(/validUntil: validUntil is required/);
  });
});

describe('chinaDate', () => {
  it.each([
    ['2026-12-31T15:59:59.999Z', '2026-12-31'],
    ['2026-12-31T16:00:00Z', '2027-01-01'],
    ['2024-02-28T20:00:00Z', '2024-02-29'],
    ['2026-03-15T00:00:00+08:00', '2026-03-15'],
  ])('%s is %s in China', (instant, expected) => {
    expect(chinaDate(new Date(instant))).toBe(expected);
  });

  it('refuses an invalid date', () => {
    expect(() => chinaDate(new Date('nope'))).toThrow(RangeError);
  });
});

describe('validateLicenceData refuses bad data with a stable code and path', () => {
  type Case = [string, string, (p: LicenceDataParams) => void, string, string];
  const f = (key: string, value: unknown) => (p: LicenceDataParams) => {
    p.fields[key] = value;
  };
  const cases: Case[] = [
    // holders
    ['one holder for a 结婚证', 'marriage-certificate', (p) => p.holders.pop(), 'holders', 'holder-count'],
    ['three holders for a 结婚证', 'marriage-certificate', (p) => p.holders.push({ name: '王五', id: MAN }), 'holders', 'holder-count'],
    ['holders not a list', 'business-licence', (p) => (p.holders = 'x' as never), 'holders', 'holder-count'],
    ['a holder that is not an object', 'business-licence', (p) => (p.holders = ['x' as never]), 'holders[0]', 'not-an-object'],
    ['no holder name', 'business-licence', (p) => (p.holders[0]!.name = ' '), 'holders[0].name', 'required'],
    ['a holder name of 51 characters', 'business-licence', (p) => (p.holders[0]!.name = '名'.repeat(51)), 'holders[0].name', 'too-long'],
    ['a holder name that is a number', 'business-licence', (p) => (p.holders[0]!.name = 42 as never), 'holders[0].name', 'not-a-string'],
    ['an emoji in a name', 'marriage-certificate', (p) => (p.holders[1]!.name = '李娜😀'), 'holders[1].name', 'unprintable-character'],
    ['an ext-B character the font lacks', 'marriage-certificate', (p) => (p.holders[1]!.name = '李𠀀'), 'holders[1].name', 'unprintable-character'],
    ['a zero-width space in a name', 'marriage-certificate', (p) => (p.holders[0]!.name = '张\u200b伟'), 'holders[0].name', 'unprintable-character'],
    ['no holder id', 'business-licence', (p) => (p.holders[0]!.id = ''), 'holders[0].id', 'required'],
    ['a 15-digit resident id', 'marriage-certificate', (p) => (p.holders[1]!.id = '110105491231002'), 'holders[1].id', 'resident-id-shape'],
    ['a resident id with a wrong check character', 'marriage-certificate', (p) => (p.holders[0]!.id = '110105194912310021'), 'holders[0].id', 'resident-id-check-character'],
    ['a resident id born tomorrow', 'marriage-certificate', (p) => (p.holders[0]!.id = rid('11010520260316001')), 'holders[0].id', 'resident-id-birth-date'],
    ['a resident id born on 29 February 2025', 'marriage-certificate', (p) => (p.holders[0]!.id = rid('11010520250229001')), 'holders[0].id', 'resident-id-birth-date'],
    ['a credit code for a person', 'marriage-certificate', (p) => (p.holders[0]!.id = '91350100M000100Y43'), 'holders[0].id', 'resident-id-shape'],
    ['a 15-digit id for an organisation', 'business-licence', (p) => (p.holders[0]!.id = '110105491231002'), 'holders[0].id', 'credit-code-shape'],
    ['a credit code with a wrong check character', 'business-licence', (p) => (p.holders[0]!.id = `${COMPANY.slice(0, 17)}${COMPANY[17] === '1' ? '2' : '1'}`), 'holders[0].id', 'credit-code-check-character'],
    ['a credit code with an O', 'business-licence', (p) => (p.holders[0]!.id = `${COMPANY.slice(0, 10)}O${COMPANY.slice(11)}`), 'holders[0].id', 'credit-code-shape'],
    // fields
    ['an unknown field', 'business-licence', f('colour', 'red'), 'fields.colour', 'unknown-field'],
    ['a field named like a reserved key', 'business-licence', f('validUntil', '2030-01-01'), 'fields.validUntil', 'unknown-field'],
    ['a missing required field', 'business-licence', (p) => delete p.fields.domicile, 'fields.domicile', 'required'],
    ['a required field given as spaces', 'business-licence', f('domicile', '   '), 'fields.domicile', 'required'],
    ['a number for a text field', 'business-licence', f('legalRepresentative', 12), 'fields.legalRepresentative', 'not-a-string'],
    ['text longer than maxLength', 'business-licence', f('legalRepresentative', '王'.repeat(31)), 'fields.legalRepresentative', 'too-long'],
    ['a line break in a one-line text', 'business-licence', f('domicile', '北京市\n朝阳区'), 'fields.domicile', 'unprintable-character'],
    ['a control character', 'business-licence', f('domicile', '北京市\u0007朝阳区'), 'fields.domicile', 'unprintable-character'],
    ['multiline text with more lines than the layout holds', 'business-licence', f('businessScope', '技术开发\n'.repeat(40)), 'fields.businessScope', 'too-long'],
    ['multiline text longer than maxLength', 'business-licence', f('businessScope', '技'.repeat(501)), 'fields.businessScope', 'too-long'],
    ['text that does not match the pattern', 'marriage-certificate', f('certificateNumber', 'J110105-2026-12'), 'fields.certificateNumber', 'pattern'],
    ['a pattern match only in part', 'tax-payment-certificate', f('originalVoucherNumber', 'No.3440362603000123'), 'fields.originalVoucherNumber', 'pattern'],
    ['a value not among the options', 'disability-certificate', f('disabilityGrade', '五级'), 'fields.disabilityGrade', 'not-an-option'],
    ['an enum given as a number', 'disability-certificate', f('disabilityGrade', 2), 'fields.disabilityGrade', 'not-a-string'],
    ['29 February in a common year', 'business-licence', f('establishedOn', '2025-02-29'), 'fields.establishedOn', 'not-a-date'],
    ['month 13', 'business-licence', f('establishedOn', '2025-13-01'), 'fields.establishedOn', 'not-a-date'],
    ['a date with slashes', 'business-licence', f('establishedOn', '2025/01/01'), 'fields.establishedOn', 'not-a-date'],
    ['a date with a time', 'business-licence', f('establishedOn', '2025-01-01T00:00:00Z'), 'fields.establishedOn', 'not-a-date'],
    ['a date as a number', 'business-licence', f('establishedOn', 20250101), 'fields.establishedOn', 'not-a-string'],
    ['money with 3 decimals', 'business-licence', f('registeredCapital', '500.125'), 'fields.registeredCapital', 'not-an-amount'],
    ['money as a float with 3 decimals', 'business-licence', f('registeredCapital', 0.1 + 0.2), 'fields.registeredCapital', 'not-an-amount'],
    ['money in exponent form', 'business-licence', f('registeredCapital', '5e2'), 'fields.registeredCapital', 'not-an-amount'],
    ['money with a thousands separator', 'business-licence', f('registeredCapital', '1,000'), 'fields.registeredCapital', 'not-an-amount'],
    ['money as a boolean', 'business-licence', f('registeredCapital', true), 'fields.registeredCapital', 'not-an-amount'],
    ['negative money', 'business-licence', f('registeredCapital', -1), 'fields.registeredCapital', 'out-of-range'],
    ['negative money as text', 'business-licence', f('registeredCapital', '-0.01'), 'fields.registeredCapital', 'out-of-range'],
    ['money beyond 13 digits', 'business-licence', f('registeredCapital', 1e14), 'fields.registeredCapital', 'out-of-range'],
    ['a bad resident-id field', 'disability-certificate', f('guardianId', '110105194912310021'), 'fields.guardianId', 'resident-id-check-character'],
    ['a bad credit-code field', 'constructor-registration', f('employerCreditCode', '91350100M000100Y44'), 'fields.employerCreditCode', 'credit-code-check-character'],
    // validity
    ['validUntil on a permanent licence', 'marriage-certificate', (p) => (p.validUntil = '2030-01-01'), 'validUntil', 'validity-not-allowed'],
    ['validUntil before validFrom', 'business-licence', (p) => (p.validUntil = '2019-06-17'), 'validUntil', 'validity-order'],
    ['a fixed term ending on its first day', 'disability-certificate', (p) => (p.validUntil = '2026-01-01'), 'validUntil', 'validity-order'],
    ['validFrom that is not a date', 'disability-certificate', (p) => (p.validFrom = '2026-02-30'), 'validFrom', 'not-a-date'],
    ['validFrom as a number', 'disability-certificate', (p) => (p.validFrom = 20260101 as never), 'validFrom', 'not-a-string'],
    ['validUntil that is not a date', 'business-licence', (p) => (p.validUntil = 'forever'), 'validUntil', 'not-a-date'],
  ];

  it.each(cases)('%s (%s)', (_what, slug, change, path, code) => {
    const problems = problemsOf(slug, params(slug, change));
    expect(problems.map((p) => [p.path, p.code])).toEqual([[path, code]]);
    expect(problems[0]!.message.startsWith(`${path}: `)).toBe(true);
  });

  it('throws one InvalidInputError InvalidLicenceData listing every problem at once', () => {
    const input = params('marriage-certificate', (p) => {
      p.holders[0]!.id = '110105194912310021';
      p.holders[1]!.name = '';
      p.fields.registrationDate = '2026-02-30';
      p.fields.certificateNumber = 'X1';
      p.fields.shoeSize = 42;
      p.validFrom = 'today';
      p.validUntil = '2099-01-01';
    });
    let error: InvalidInputError | undefined;
    try {
      validateLicenceData(type('marriage-certificate'), input, TODAY);
    } catch (e) {
      error = e as InvalidInputError;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error!.code).toBe('InvalidLicenceData');
    const problems = (error!.details as { problems: LicenceDataProblem[] }).problems;
    expect(problems.map((p) => [p.path, p.code])).toEqual([
      ['holders[0].id', 'resident-id-check-character'],
      ['holders[1].name', 'required'],
      ['fields.shoeSize', 'unknown-field'],
      ['fields.registrationDate', 'not-a-date'],
      ['fields.certificateNumber', 'pattern'],
      ['validFrom', 'not-a-date'],
      ['validUntil', 'validity-not-allowed'],
    ]);
    expect(error!.message).toBe(`7 problem(s) in the licence data: ${problems[0]!.message}`);
  });

  it('refuses fields that are not an object, and then misses the required ones', () => {
    const problems = problemsOf('tax-payment-certificate', params('tax-payment-certificate', (p) => (p.fields = ['增值税'] as never)));
    expect(problems.map((p) => [p.path, p.code])).toEqual([
      ['fields', 'not-an-object'],
      ...['taxAuthority', 'originalVoucherNumber', 'taxCategory', 'itemName', 'taxPeriod', 'paymentDate', 'amount'].map((k) => [`fields.${k}`, 'required']),
    ]);
  });

  it('treats input that is not an object as empty', () => {
    const problems = problemsOf('disability-certificate', null);
    expect(problems.map((p) => [p.path, p.code])).toEqual([
      ['holders', 'holder-count'],
      ['fields.sex', 'required'],
      ['fields.disabilityCategory', 'required'],
      ['fields.disabilityGrade', 'required'],
      ['fields.address', 'required'],
    ]);
  });

  it('shortens a very long unknown key in the path', () => {
    const problems = problemsOf('business-licence', params('business-licence', f('k'.repeat(10_000), 1)));
    expect(problems[0]!.path).toBe(`fields.${'k'.repeat(40)}…`);
  });

  it('names the character the font cannot print', () => {
    const problems = problemsOf('business-licence', params('business-licence', f('domicile', '北京市\u{2A6D6}')));
    expect(problems[0]!.message).toContain("'\u{2A6D6}' (U+2A6D6), which the licence font cannot print");
  });
});

describe('money and integer normalisation', () => {
  const money = (value: unknown) => validateLicenceData(type('business-licence'), params('business-licence', (p) => (p.fields.registeredCapital = value)), TODAY).fields.registeredCapital;

  it.each([
    [500, '500.00'],
    ['500', '500.00'],
    [' 500.5 ', '500.50'],
    ['500.05', '500.05'],
    [0.1, '0.10'],
    [0, '0.00'],
    ['-0', '0.00'],
    ['0012.30', '12.30'],
    [1234567.89, '1234567.89'],
    ['9999999999999.99', '9999999999999.99'],
    [19.99, '19.99'],
  ])('%j → %s', (value, expected) => {
    expect(money(value)).toBe(expected);
  });

  it('leaves an optional amount out when it is empty', () => {
    expect(money('')).toBeUndefined();
  });

  const withInteger = (() => {
    const t = structuredClone(type('disability-certificate')) as LicenceType;
    t.slug = 'test-integer';
    t.fields.push({ key: 'copies', label: '份数', labelEn: 'Copies', type: 'integer', required: false, min: 1, max: 99 });
    return LicenceTypeCatalogue.fromTypes([t]).list()[0]!;
  })();
  const integer = (value: unknown) => {
    const input = params('disability-certificate', (p) => (p.fields.copies = value));
    try {
      return validateLicenceData(withInteger, input, TODAY).fields.copies;
    } catch (error) {
      return ((error as InvalidInputError).details as { problems: LicenceDataProblem[] }).problems.map((p) => p.code).join();
    }
  };

  it.each([
    [3, '3'],
    ['07', '7'],
    [' 12 ', '12'],
    ['+5', '5'],
    [99, '99'],
    [0, 'out-of-range'],
    ['100', 'out-of-range'],
    [1.5, 'not-an-integer'],
    ['1.0', 'not-an-integer'],
    ['三', 'not-an-integer'],
    [true, 'not-an-integer'],
    [Number.NaN, 'not-an-integer'],
    ['', undefined],
  ])('integer %j → %s', (value, expected) => {
    expect(integer(value)).toBe(expected);
  });
});

describe('fields that are not printed', () => {
  const t = (() => {
    const copy = structuredClone(type('disability-certificate')) as LicenceType;
    copy.slug = 'test-metadata';
    copy.fields.push({ key: 'internalNote', label: '内部备注', labelEn: 'Internal note', type: 'text', required: false, printed: false });
    return LicenceTypeCatalogue.fromTypes([copy]).list()[0]!;
  })();

  it('may hold characters the font cannot draw, since they are never drawn', () => {
    const input = params('disability-certificate', (p) => (p.fields.internalNote = '户籍曾用名𠀀'));
    expect(validateLicenceData(t, input, TODAY).fields.internalNote).toBe('户籍曾用名𠀀');
  });

  it('still refuses control characters', () => {
    const input = params('disability-certificate', (p) => (p.fields.internalNote = 'a\u0000b'));
    expect(() => validateLicenceData(t, input, TODAY)).toThrow(/fields\.internalNote: 内部备注 contains a control or invisible character \(U\+0000\)/);
  });
});

describe('speed', () => {
  it('validates 20,000 rows well within a second or two (a 100,000-row batch runs it per row)', () => {
    const t = type('business-licence');
    const input = params('business-licence');
    validateLicenceData(t, input, TODAY);
    const start = performance.now();
    for (let i = 0; i < 20_000; i++) validateLicenceData(t, input, TODAY);
    expect(performance.now() - start).toBeLessThan(3_000);
  });
});
