/**
 * Citizen identity number (公民身份号码), GB 11643-1999.
 *
 * 18 characters: a 6-digit address code (GB/T 2260), the birth date as YYYYMMDD, a
 * 3-digit sequence code (odd for men, even for women) and a check character computed
 * with ISO 7064:1983 MOD 11-2 over positions 1–17, weights W_i = 2^(18-i) mod 11. The
 * check character is a digit or 'X' (the value 10); a lower-case 'x', common in typed
 * input, is accepted by upper-casing first.
 *
 * Only the 18-character second-generation number is handled; the 15-digit numbers of
 * GB 11643-1989 are rejected as 'shape'.
 */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/** Check character for each value of (Σ a_i·W_i mod 11). */
const CHECK_CHARACTERS = '10X98765432';
const SHAPE = /^\d{17}[\dX]$/;
/** Our rule, not the standard's: no living holder was born before 1900. */
const EARLIEST_BIRTH_DATE = 19000101;
/** Birth dates are recorded in China Standard Time, which has no daylight saving. */
const CHINA_STANDARD_TIME_OFFSET_MS = 8 * 60 * 60 * 1000;

/** The check character for the first 17 digits of a resident identity number. */
export function residentIdCheckCharacter(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new RangeError('a resident identity number body has 17 digits');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK_CHARACTERS[sum % 11]!;
}

export type ResidentIdProblem = 'shape' | 'check-character' | 'birth-date';

/**
 * Why `id` is not a valid resident identity number, or null when it is.
 *
 * The embedded birth date must be a real calendar date, not before 1900-01-01 and not
 * after `latestBirthDate`, which callers pass in (usually `clock.now()`); it is compared
 * by its calendar date in China Standard Time (UTC+8). A number that fails both the
 * check character and the date is reported as 'check-character': a mistyped digit is
 * the likelier cause.
 */
export function residentIdProblem(id: string, latestBirthDate: Date): ResidentIdProblem | null {
  const latest = chinaCalendarDate(latestBirthDate);
  const normalized = id.toUpperCase();
  if (!SHAPE.test(normalized)) return 'shape';
  if (residentIdCheckCharacter(normalized.slice(0, 17)) !== normalized[17]) return 'check-character';
  const birthDate = normalized.slice(6, 14);
  if (!isCalendarDate(birthDate)) return 'birth-date';
  const value = Number(birthDate);
  return value < EARLIEST_BIRTH_DATE || value > latest ? 'birth-date' : null;
}

export function isValidResidentId(id: string, latestBirthDate: Date): boolean {
  return residentIdProblem(id, latestBirthDate) === null;
}

/**
 * The holder's sex from the 17th character (the last digit of the sequence code):
 * odd for male, even for female (GB 11643-1999). Needs only the shape of a number;
 * throws RangeError when `id` does not have it.
 */
export function residentIdSex(id: string): 'male' | 'female' {
  const normalized = requireShape(id);
  return Number(normalized[16]) % 2 === 1 ? 'male' : 'female';
}

/**
 * The number for public display: the 6-digit address code and the last 4 characters
 * (sequence tail and check character) are kept, the 8 characters between are replaced
 * by '*', e.g. `110105********002X`.
 *
 * This is the layout most Chinese government portals use. It hides the birth date, the
 * part that identifies a person most, while a holder can still recognise the number;
 * it does reveal the issuing area and, through the 17th character, the sex. Callers that
 * must hide those too should show less. Throws RangeError unless `id` has the shape of a
 * number, so that text which is not one is never shown unmasked by mistake.
 */
export function maskResidentId(id: string): string {
  const normalized = requireShape(id);
  return `${normalized.slice(0, 6)}${'*'.repeat(8)}${normalized.slice(14)}`;
}

function requireShape(id: string): string {
  const normalized = id.toUpperCase();
  if (!SHAPE.test(normalized)) throw new RangeError('a resident identity number has 17 digits and a digit or X');
  return normalized;
}

/** Whether YYYYMMDD names a day of the proleptic Gregorian calendar. */
function isCalendarDate(yyyymmdd: string): boolean {
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  if (month < 1 || month > 12 || day < 1) return false;
  // Day 0 of the next month is the last day of this one.
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** `date` as the number YYYYMMDD of its calendar day in China Standard Time. */
function chinaCalendarDate(date: Date): number {
  const time = date.getTime();
  if (Number.isNaN(time)) throw new RangeError('the latest birth date is not a valid date');
  const local = new Date(time + CHINA_STANDARD_TIME_OFFSET_MS);
  return local.getUTCFullYear() * 10_000 + (local.getUTCMonth() + 1) * 100 + local.getUTCDate();
}
