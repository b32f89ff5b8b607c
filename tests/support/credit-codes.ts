import { creditCodeCheckCharacter } from '../../src/pki/credit-code.js';

/** A valid credit code for test department number `n` (check character computed, not hard-coded). */
export function testCreditCode(n: number): string {
  const body = `1114000001${String(n).padStart(7, '0')}`;
  return body + creditCodeCheckCharacter(body);
}
