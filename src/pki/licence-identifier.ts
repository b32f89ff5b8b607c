/**
 * E-licence identifier (电子证照标识), GB/T 36904.
 *
 * ```
 * 1.2.156.3005.2 . 证照类型代码 . 证照颁发机构代码 . 流水号 . 版本号 . 校验位
 * root           . type code    . issuer code      . serial . NNN    . check
 * ```
 *
 * - type code: 21 characters, the unified social credit code (GB 32100) of the body that
 *   defines the licence type followed by a 3-digit sequence, e.g. `11100000000013338W032`;
 * - issuer code: the credit code of the issuing organisation;
 * - serial: 0-9A-Z, variable length, no dots;
 * - version: 3 digits, `001` first, increased on re-issue;
 * - check: one character of 0-9A-Z, ISO/IEC 7064 hybrid MOD 37,36 over the type code,
 *   issuer code, serial and version concatenated without dots and without the root.
 *
 * The normative text of GB/T 36904 was not available; this layout is the consensus of
 * implementations that claim conformance, and the check character reproduces real
 * identifiers (see shared/reference/gb-standards.md §1.4). Identifiers are generated
 * strictly; identifiers from other systems are parsed leniently, because some deployed
 * systems use a non-standard check character or an area code as the issuer code.
 */
import { InvalidInputError } from '../errors.js';
import { creditCodeProblem } from './credit-code.js';

/** The root code (电子证照根代码), fixed for every e-licence identifier. */
export const LICENCE_IDENTIFIER_ROOT = '1.2.156.3005.2';
/** Our upper bound on serial length: the longest serial seen in use, a dashless UUID in hex. */
export const LICENCE_SERIAL_MAX_LENGTH = 32;
/** Versions are three digits. */
export const LICENCE_VERSION_MAX = 999;

/** Error code of every InvalidInputError thrown here. */
const ERROR_CODE = 'InvalidLicenceIdentifier';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const MODULUS = 36;
const SERIAL = new RegExp(`^[0-9A-Z]{1,${LICENCE_SERIAL_MAX_LENGTH}}$`);
const TYPE_SEQUENCE = /^\d{3}$/;
/** Lenient shapes for parsing identifiers issued elsewhere. */
const FOREIGN = {
  typeCode: /^[0-9A-Z]{18}\d{3}$/,
  issuerCode: /^(?:[0-9A-Z]{18}|\d{6})$/,
  serial: /^[0-9A-Z]+$/,
  version: /^\d{3}$/,
  check: /^[0-9A-Z]$/,
} as const;

export interface LicenceIdentifierParams {
  /** 21 characters: the defining body's credit code and a 3-digit sequence. */
  typeCode: string;
  /** The issuing organisation's unified social credit code. */
  issuerCreditCode: string;
  /** 1–32 characters of 0-9A-Z. */
  serial: string;
  /** 1–999; written as three digits. */
  version: number;
}

export interface LicenceIdentifierParts {
  readonly typeCode: string;
  /** A credit code in conforming identifiers; some systems put a 6-digit area code here. */
  readonly issuerCode: string;
  readonly serial: string;
  readonly version: number;
  /** The check character as written in the identifier. */
  readonly check: string;
  /** Whether `check` is the GB/T 36904 (MOD 37,36) check character. False is a warning on foreign data. */
  readonly checkValid: boolean;
}

/** The segment an InvalidLicenceIdentifier error is about, also given as `details.segment`. */
export type LicenceIdentifierSegment =
  | 'root'
  | 'segments'
  | 'typeCode'
  | 'issuerCreditCode'
  | 'issuerCode'
  | 'serial'
  | 'version'
  | 'check';

/**
 * ISO/IEC 7064 hybrid system MOD 37,36 check character of `s`, as GB/T 36904 uses it.
 * Characters 0-9 have values 0–9 and A-Z values 10–35. Pass the type code, issuer code,
 * serial and version concatenated, without dots and without the root. Throws RangeError
 * for an empty string or any character outside 0-9A-Z (lower case included).
 */
export function mod37_36CheckCharacter(s: string): string {
  if (s.length === 0) throw new RangeError('MOD 37,36 needs at least one character');
  let p = MODULUS;
  for (const ch of s) {
    const value = ALPHABET.indexOf(ch);
    if (value < 0) throw new RangeError(`'${ch}' is not a MOD 37,36 character (0-9, A-Z)`);
    // S_j ||_M: the remainder mod M, with 0 replaced by M; then P_{j+1} = 2·S mod (M+1).
    const sum = (p + value) % MODULUS || MODULUS;
    p = (2 * sum) % (MODULUS + 1);
  }
  return ALPHABET[(MODULUS + 1 - p) % MODULUS]!;
}

/**
 * Builds a conforming identifier, check character included. Each segment is validated
 * strictly: the type code must start with a valid credit code, the issuer must be a
 * valid credit code. Throws InvalidInputError `InvalidLicenceIdentifier` naming the
 * first bad segment.
 */
export function buildLicenceIdentifier(params: LicenceIdentifierParams): string {
  const { typeCode, issuerCreditCode, serial, version } = params;
  if (typeCode.length !== 21 || !TYPE_SEQUENCE.test(typeCode.slice(18))) {
    throw invalid('typeCode', 'the licence type code must be a credit code followed by 3 digits (21 characters)');
  }
  const typeDefinerProblem = creditCodeProblem(typeCode.slice(0, 18));
  if (typeDefinerProblem !== null) {
    throw invalid('typeCode', `the licence type code does not start with a valid credit code (${typeDefinerProblem})`, {
      problem: typeDefinerProblem,
    });
  }
  const issuerProblem = creditCodeProblem(issuerCreditCode);
  if (issuerProblem !== null) {
    throw invalid('issuerCreditCode', `the issuer code must be a valid credit code (${issuerProblem})`, {
      problem: issuerProblem,
    });
  }
  if (!SERIAL.test(serial)) {
    throw invalid('serial', `the serial must be 1–${LICENCE_SERIAL_MAX_LENGTH} characters of 0-9 and A-Z`);
  }
  if (!Number.isInteger(version) || version < 1 || version > LICENCE_VERSION_MAX) {
    throw invalid('version', `the version must be an integer from 1 to ${LICENCE_VERSION_MAX}`);
  }
  return format(typeCode, issuerCreditCode, serial, String(version).padStart(3, '0'));
}

/**
 * Splits an identifier into its segments and checks its check character. Lenient, for
 * identifiers issued elsewhere: a wrong check character gives `checkValid: false`, the
 * issuer code may be 18 characters of 0-9A-Z or a 6-digit area code, the serial may be
 * of any length, and the credit codes inside are not checked (use `isValidCreditCode`
 * for that). Throws InvalidInputError `InvalidLicenceIdentifier` only when `text` does not
 * have the shape of an identifier; nothing is trimmed or upper-cased.
 */
export function parseLicenceIdentifier(text: string): LicenceIdentifierParts {
  const prefix = `${LICENCE_IDENTIFIER_ROOT}.`;
  if (!text.startsWith(prefix)) throw invalid('root', `an e-licence identifier starts with ${prefix}`);
  const segments = text.slice(prefix.length).split('.');
  if (segments.length !== 5) {
    throw invalid('segments', 'an e-licence identifier has five segments after the root: type, issuer, serial, version, check', {
      count: segments.length,
    });
  }
  const [typeCode, issuerCode, serial, version, check] = segments as [string, string, string, string, string];
  if (!FOREIGN.typeCode.test(typeCode)) {
    throw invalid('typeCode', 'the licence type code must be 18 characters of 0-9A-Z and 3 digits');
  }
  if (!FOREIGN.issuerCode.test(issuerCode)) {
    throw invalid('issuerCode', 'the issuer code must be 18 characters of 0-9A-Z or a 6-digit area code');
  }
  if (!FOREIGN.serial.test(serial)) throw invalid('serial', 'the serial must be characters of 0-9 and A-Z');
  if (!FOREIGN.version.test(version)) throw invalid('version', 'the version must be 3 digits');
  if (!FOREIGN.check.test(check)) throw invalid('check', 'the check character must be one of 0-9 and A-Z');
  return {
    typeCode,
    issuerCode,
    serial,
    version: Number(version),
    check,
    checkValid: mod37_36CheckCharacter(`${typeCode}${issuerCode}${serial}${version}`) === check,
  };
}

/**
 * The identifier of the re-issued licence: same type, issuer and serial, the version
 * increased by one, a new check character. The input must be a conforming identifier,
 * check character included: a wrong one may hide a mistyped segment, which re-issue
 * would otherwise carry on under a fresh, valid check character. Throws InvalidInputError
 * `InvalidLicenceIdentifier`, also when the version is already 999.
 */
export function nextVersion(identifier: string): string {
  const parts = parseLicenceIdentifier(identifier);
  if (!parts.checkValid) throw invalid('check', 'the check character is wrong; re-issue only from a conforming identifier');
  if (parts.version >= LICENCE_VERSION_MAX) throw invalid('version', `the version cannot go past ${LICENCE_VERSION_MAX}`);
  return buildLicenceIdentifier({
    typeCode: parts.typeCode,
    issuerCreditCode: parts.issuerCode,
    serial: parts.serial,
    version: parts.version + 1,
  });
}

function format(typeCode: string, issuerCode: string, serial: string, version: string): string {
  const check = mod37_36CheckCharacter(`${typeCode}${issuerCode}${serial}${version}`);
  return [LICENCE_IDENTIFIER_ROOT, typeCode, issuerCode, serial, version, check].join('.');
}

function invalid(segment: LicenceIdentifierSegment, message: string, extra: Record<string, unknown> = {}): InvalidInputError {
  return new InvalidInputError(ERROR_CODE, message, { details: { segment, ...extra } });
}
