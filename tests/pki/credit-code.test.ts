import { describe, expect, it } from 'vitest';
import { creditCodeCheckCharacter, creditCodeProblem, isValidCreditCode } from '../../src/pki/credit-code.js';

describe('unified social credit code (GB 32100)', () => {
  // Vectors from ../shared/reference/gb-standards.md §4.1 (real codes and the standard's example).
  it.each([
    '91350100M000100Y43',
    '11100000000013338W',
    '11220000013544541J',
    '91370406L24894136J',
    '11330105002500287C',
    '113700000045046442',
    '11100000MB0341032Y',
  ])('accepts %s', (code) => {
    expect(creditCodeProblem(code)).toBeNull();
    expect(creditCodeCheckCharacter(code.slice(0, 17))).toBe(code[17]);
  });

  it.each([
    ['91350100M000100Y44', 'check-character'],
    ['11100000000013338X', 'check-character'],
    ['91350100M000100Y4', 'shape'],
    ['91350100M000100Y433', 'shape'],
    ['91350100I000100Y43', 'shape'], // I is not in the alphabet
    ['9135010OM000100Y43', 'shape'], // region code must be digits
    ['91350100m000100y43', 'shape'], // callers upper-case before validating
    ['', 'shape'],
  ])('rejects %s (%s)', (code, problem) => {
    expect(creditCodeProblem(code)).toBe(problem);
    expect(isValidCreditCode(code)).toBe(false);
  });

  it("maps a remainder of 0 to check character '0' rather than an out-of-range index", () => {
    // '113700000045046442' ends in '2'; search a body whose weighted sum is a multiple of 31.
    let body = '';
    for (let n = 0; n < 10_000; n++) {
      const candidate = `1114000001${String(n).padStart(7, '0')}`;
      if (creditCodeCheckCharacter(candidate) === '0') {
        body = candidate;
        break;
      }
    }
    expect(body).not.toBe('');
    expect(isValidCreditCode(`${body}0`)).toBe(true);
  });
});
