/**
 * Unified social credit code (统一社会信用代码), GB 32100-2015.
 *
 * 18 characters from a 31-character alphabet (no I, O, S, V, Z). Position 18 is a
 * check character computed with GB/T 17710 MOD 31-3 over positions 1–17, weights
 * W_i = 3^(i-1) mod 31.
 */
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const SHAPE = /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/;

/** The check character for the first 17 characters of a credit code. */
export function creditCodeCheckCharacter(first17: string): string {
  if (first17.length !== 17) throw new RangeError('a credit code body has 17 characters');
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = ALPHABET.indexOf(first17[i]!);
    if (value < 0) throw new RangeError(`'${first17[i]}' is not a credit code character`);
    sum += value * WEIGHTS[i]!;
  }
  // 31 - (sum mod 31) is 31 when the sum is a multiple of 31; GB 32100 maps that to '0'.
  const check = (31 - (sum % 31)) % 31;
  return ALPHABET[check]!;
}

export type CreditCodeProblem = 'shape' | 'check-character';

/** Why `code` is not a valid unified social credit code, or null when it is. */
export function creditCodeProblem(code: string): CreditCodeProblem | null {
  if (!SHAPE.test(code)) return 'shape';
  return creditCodeCheckCharacter(code.slice(0, 17)) === code[17] ? null : 'check-character';
}

export function isValidCreditCode(code: string): boolean {
  return creditCodeProblem(code) === null;
}
