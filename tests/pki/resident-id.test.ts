import { describe, expect, it } from 'vitest';
import {
  isValidResidentId,
  maskResidentId,
  residentIdCheckCharacter,
  residentIdProblem,
  residentIdSex,
} from '../../src/pki/resident-id.js';

/** The latest birth date accepted in these tests: 2025-06-30 in China Standard Time. */
const LATEST = new Date('2025-06-30T00:00:00+08:00');

/** A number with the given 17-character body and its computed check character. */
const withCheck = (body: string) => `${body}${residentIdCheckCharacter(body)}`;

/**
 * ISO 7064 MOD 11-2 as the standard defines it, independent of the lookup table in the
 * module: over all 18 characters (X = 10), Σ a_i · 2^(18-i) ≡ 1 (mod 11).
 */
function satisfiesMod11_2(id: string): boolean {
  let sum = 0;
  for (let i = 0; i < 18; i++) {
    const value = id[i] === 'X' ? 10 : Number(id[i]);
    sum += value * (2 ** (17 - i) % 11);
  }
  return sum % 11 === 1;
}

describe('resident identity number (GB 11643)', () => {
  // Vectors from ../shared/reference/gb-standards.md §4.2 (the standard's example and a real number).
  it.each(['11010519491231002X', '13043419840726291X'])('accepts %s', (id) => {
    expect(residentIdProblem(id, LATEST)).toBeNull();
    expect(isValidResidentId(id, LATEST)).toBe(true);
    expect(residentIdCheckCharacter(id.slice(0, 17))).toBe(id[17]);
    expect(satisfiesMod11_2(id)).toBe(true);
  });

  it('accepts a lower-case x check character by upper-casing it', () => {
    expect(residentIdProblem('11010519491231002x', LATEST)).toBeNull();
    expect(isValidResidentId('13043419840726291x', LATEST)).toBe(true);
  });

  it('computes check characters that satisfy the ISO 7064 MOD 11-2 definition, every remainder included', () => {
    const seen = new Set<string>();
    for (let n = 0; n < 200; n++) {
      const id = withCheck(`110105198001${String(n).padStart(5, '0')}`);
      expect(satisfiesMod11_2(id), id).toBe(true);
      seen.add(id[17]!);
    }
    expect([...seen].sort().join('')).toBe('0123456789X');
  });

  it.each([
    ['110105194912310021', 'check-character'],
    ['130434198407262910', 'check-character'],
    ['11010519491231003X', 'check-character'], // a mistyped sequence digit
    ['', 'shape'],
    ['11010519491231002', 'shape'],
    ['11010519491231002X0', 'shape'],
    ['110105491231002', 'shape'], // 15-digit first-generation number
    ['1101051949123100X2', 'shape'], // X only in the last place
    ['11010519491231002Y', 'shape'],
    ['11010519491231002X ', 'shape'], // callers trim
    ['１１０１０５19491231002X', 'shape'], // full-width digits
  ])('rejects %j (%s)', (id, problem) => {
    expect(residentIdProblem(id, LATEST)).toBe(problem);
    expect(isValidResidentId(id, LATEST)).toBe(false);
  });

  // Bodies with a correct check character, so only the birth date is wrong.
  it.each([
    ['19490231', 'birth-date'], // 31 February
    ['19850431', 'birth-date'], // 31 April
    ['19851301', 'birth-date'],
    ['19850001', 'birth-date'],
    ['19850100', 'birth-date'],
    ['19000229', 'birth-date'], // 1900 was not a leap year
    ['20230229', 'birth-date'],
    ['18991231', 'birth-date'], // before 1900
    ['00000000', 'birth-date'],
    ['20250701', 'birth-date'], // after the latest allowed date
    ['20000229', null],
    ['20240229', null],
    ['19000101', null],
    ['20250630', null],
  ])('checks the birth date %s', (date, problem) => {
    expect(residentIdProblem(withCheck(`110105${date}002`), LATEST)).toBe(problem);
  });

  it('reports a wrong check character before a bad birth date', () => {
    const badDate = withCheck('11010519490231002');
    const wrongCheck = `${badDate.slice(0, 17)}${badDate[17] === '0' ? '1' : '0'}`;
    expect(residentIdProblem(wrongCheck, LATEST)).toBe('check-character');
  });

  it('compares the latest birth date by its calendar day in China Standard Time', () => {
    const bornOn30June = withCheck('11010520250630002');
    // 16:00 UTC on 29 June is already 30 June in Beijing.
    expect(residentIdProblem(bornOn30June, new Date('2025-06-29T16:00:00Z'))).toBeNull();
    expect(residentIdProblem(bornOn30June, new Date('2025-06-29T15:59:59.999Z'))).toBe('birth-date');
  });

  it('throws RangeError for an invalid latest birth date rather than accepting every date', () => {
    expect(() => residentIdProblem('11010519491231002X', new Date(Number.NaN))).toThrow(RangeError);
  });

  it.each(['1101051949123100', '1101051949123100X2', '11010519491231002X', 'ABCDEFGHIJKLMNOPQ'])(
    'throws RangeError for the body %j',
    (body) => {
      expect(() => residentIdCheckCharacter(body)).toThrow(RangeError);
    },
  );

  it.each([
    ['11010519491231002X', 'female'], // 17th digit 2
    ['13043419840726291X', 'male'], // 17th digit 1
    ['11010519491231002x', 'female'],
  ] as const)('reads the sex of %s as %s', (id, sex) => {
    expect(residentIdSex(id)).toBe(sex);
  });

  it.each([
    ['11010519491231002X', '110105********002X'],
    ['11010519491231002x', '110105********002X'],
    ['13043419840726291X', '130434********291X'],
    ['110105194912310021', '110105********0021'], // masking needs the shape only, not a valid check
  ])('masks %s as %s, hiding the birth date', (id, masked) => {
    expect(maskResidentId(id)).toBe(masked);
    expect(maskResidentId(id)).not.toContain(id.slice(6, 14));
  });

  it.each(['', '110105491231002', '11010519491231002', 'not an id number!!', '11010519491231002X '])(
    'refuses to mask or read the sex of %j rather than show it unmasked',
    (text) => {
      expect(() => maskResidentId(text)).toThrow(RangeError);
      expect(() => residentIdSex(text)).toThrow(RangeError);
    },
  );
});
