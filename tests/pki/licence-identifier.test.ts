import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import {
  buildLicenceIdentifier,
  LICENCE_IDENTIFIER_ROOT,
  type LicenceIdentifierParams,
  mod37_36CheckCharacter,
  nextVersion,
  parseLicenceIdentifier,
} from '../../src/pki/licence-identifier.js';

/** Real identifiers whose check character ../shared/reference/gb-standards.md §1.4 marks [verified]. */
const VERIFIED = [
  // 吉林 (S17a)
  {
    identifier: '1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F',
    parts: { typeCode: '11100000000013338W032', issuerCode: '11220000013544541J', serial: '2430599', version: 1, check: 'F' },
  },
  // 住建部 interface document (S17b)
  {
    identifier: '1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U',
    parts: { typeCode: '11100000000013338W011', issuerCode: '11430000006122244L', serial: '20230000403', version: 1, check: 'U' },
  },
  // 浙江 OFD file name (S17h)
  {
    identifier: '1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0',
    parts: { typeCode: '11100000000013338W009', issuerCode: '11330105002500287C', serial: '2025052201', version: 2, check: '0' },
  },
];
/** A test value from a deployed system; its issuer is an area code, so only parsing accepts it. */
const AREA_CODE_ISSUER = '1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9';

/**
 * Identifiers in use whose check character is not the GB/T 36904 one (§1.4 counter-examples).
 * The second is given elided in §1.4; the full text is from the code comment it cites.
 */
const COUNTER_EXAMPLES = [
  // 山东 (S17i): a vendor variant gives M, the standard algorithm D.
  ['1.2.156.3005.2.11100000000013661B006.113700000045046442.209FA4E88F9E4C878F3E9BED2CE7EA49.001.M', 'D'],
  ['1.2.156.3005.2.11100000000013338W050.91610800064834709T.2023000001.001.X', '2'],
] as const;

const VALID_PARAMS: LicenceIdentifierParams = {
  typeCode: '11100000000013338W032',
  issuerCreditCode: '11220000013544541J',
  serial: '2430599',
  version: 1,
};

function bodyOf(identifier: string): string {
  return identifier.split('.').slice(5, 9).join('');
}

/** The error `fn` throws; fails the test when it throws nothing. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('e-licence identifier (GB/T 36904)', () => {
  describe('MOD 37,36 check character', () => {
    it.each([...VERIFIED.map((v) => v.identifier), AREA_CODE_ISSUER])('reproduces the check character of %s', (identifier) => {
      expect(mod37_36CheckCharacter(bodyOf(identifier))).toBe(identifier.at(-1));
    });

    it.each(COUNTER_EXAMPLES)('gives the standard check character for %s (%s)', (identifier, standard) => {
      expect(mod37_36CheckCharacter(bodyOf(identifier))).toBe(standard);
    });

    it.each(['', 'abc', '11100000000013338w032', '1.2', 'AB-12', 'AB 12', '证照', '١٢'])('throws RangeError for %j', (text) => {
      expect(() => mod37_36CheckCharacter(text)).toThrow(RangeError);
    });

    it('detects every single-character substitution in the verified identifiers', () => {
      const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
      for (const { identifier } of VERIFIED) {
        const body = bodyOf(identifier);
        for (let i = 0; i < body.length; i++) {
          for (const ch of alphabet) {
            if (ch === body[i]) continue;
            const changed = `${body.slice(0, i)}${ch}${body.slice(i + 1)}`;
            expect(mod37_36CheckCharacter(changed), changed).not.toBe(identifier.at(-1));
          }
        }
      }
    });
  });

  describe('parse', () => {
    it.each(VERIFIED)('parses $identifier with a valid check character', ({ identifier, parts }) => {
      expect(parseLicenceIdentifier(identifier)).toEqual({ ...parts, checkValid: true });
    });

    it('parses an area code in the issuer segment (foreign data), checking the check character all the same', () => {
      expect(parseLicenceIdentifier(AREA_CODE_ISSUER)).toEqual({
        typeCode: '11100000MB03271699022',
        issuerCode: '340100',
        serial: '000000016',
        version: 1,
        check: '9',
        checkValid: true,
      });
    });

    it.each(COUNTER_EXAMPLES)('parses %s with checkValid false rather than rejecting it', (identifier) => {
      const parts = parseLicenceIdentifier(identifier);
      expect(parts.checkValid).toBe(false);
      expect(parts.check).toBe(identifier.at(-1));
    });

    it('flags a verified identifier with a changed check character', () => {
      expect(parseLicenceIdentifier(VERIFIED[0]!.identifier.replace(/F$/, 'G')).checkValid).toBe(false);
    });

    it.each([
      ['', 'root'],
      ['2.11100000000013338W032.11220000013544541J.2430599.001.F', 'root'],
      ['1.2.156.3005.1.11100000000013338W032.11220000013544541J.2430599.001.F', 'root'],
      [' 1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F', 'root'],
      ['1.2.156.3005.2', 'root'],
      ['1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001', 'segments'],
      ['1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F.OFD', 'segments'],
      ['1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430.599.001.F', 'segments'],
      ['1.2.156.3005.2.11100000000013338W03.11220000013544541J.2430599.001.F', 'typeCode'],
      ['1.2.156.3005.2.11100000000013338W0321.11220000013544541J.2430599.001.F', 'typeCode'],
      ['1.2.156.3005.2.11100000000013338WA32.11220000013544541J.2430599.001.F', 'typeCode'],
      ['1.2.156.3005.2.11100000000013338w032.11220000013544541J.2430599.001.F', 'typeCode'],
      ['1.2.156.3005.2.11100000000013338W032.1101101102.2430599.001.F', 'issuerCode'],
      ['1.2.156.3005.2.11100000000013338W032.34010A.2430599.001.F', 'issuerCode'],
      ['1.2.156.3005.2.11100000000013338W032.11220000013544541j.2430599.001.F', 'issuerCode'],
      ['1.2.156.3005.2.11100000000013338W032.11220000013544541J..001.F', 'serial'],
      ['1.2.156.3005.2.11100000000013338W032.11220000013544541J.0624_001.001.F', 'serial'],
      ['1.2.156.3005.2.11100000000013338W032.11220000013544541J.209fa4e8.001.F', 'serial'],
      ['1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.01.F', 'version'],
      ['1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.0001.F', 'version'],
      ['1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.00A.F', 'version'],
      ['1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.', 'check'],
      ['1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.FF', 'check'],
      ['1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.f', 'check'],
      ['1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F ', 'check'],
    ])('rejects %j, which is not an identifier (%s)', (text, segment) => {
      const error = thrownBy(() => parseLicenceIdentifier(text));
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error).toMatchObject({ code: 'InvalidLicenceIdentifier', details: { segment } });
    });
  });

  describe('build', () => {
    it.each(VERIFIED)('builds $identifier from its segments', ({ identifier, parts }) => {
      expect(
        buildLicenceIdentifier({
          typeCode: parts.typeCode,
          issuerCreditCode: parts.issuerCode,
          serial: parts.serial,
          version: parts.version,
        }),
      ).toBe(identifier);
    });

    it.each([
      VALID_PARAMS,
      { ...VALID_PARAMS, serial: '7', version: 999 },
      { ...VALID_PARAMS, serial: '209FA4E88F9E4C878F3E9BED2CE7EA49', version: 10 },
      { typeCode: '11100000MB0341032Y002', issuerCreditCode: '91350100M000100Y43', serial: 'Z0Z0Z0Z0Z0', version: 42 },
      { typeCode: '11100000000013661B006', issuerCreditCode: '113700000045046442', serial: '0', version: 1 },
    ])('round-trips %o through parse', (params) => {
      const identifier = buildLicenceIdentifier(params);
      expect(identifier.startsWith(`${LICENCE_IDENTIFIER_ROOT}.`)).toBe(true);
      expect(identifier.split('.')[8]).toBe(String(params.version).padStart(3, '0'));
      expect(parseLicenceIdentifier(identifier)).toEqual({
        typeCode: params.typeCode,
        issuerCode: params.issuerCreditCode,
        serial: params.serial,
        version: params.version,
        check: identifier.at(-1),
        checkValid: true,
      });
    });

    it.each([
      ['typeCode', { typeCode: '11100000000013338W03' }, /type code/],
      ['typeCode', { typeCode: '11100000000013338W0320' }, /type code/],
      ['typeCode', { typeCode: '11100000000013338W' }, /type code/],
      ['typeCode', { typeCode: '11100000000013338WA32' }, /type code/],
      ['typeCode', { typeCode: '11100000000013338X032' }, /type code.*check-character/], // wrong USCC check character
      ['typeCode', { typeCode: '11100000000013338w032' }, /type code.*shape/],
      ['typeCode', { typeCode: '111000000000I3338W032' }, /type code.*shape/], // I is not a credit code character
      ['issuerCreditCode', { issuerCreditCode: '340100' }, /issuer.*shape/], // area code: parsed, never built
      ['issuerCreditCode', { issuerCreditCode: '11220000013544541K' }, /issuer.*check-character/],
      ['issuerCreditCode', { issuerCreditCode: '91350100M0001TGQXM' }, /issuer.*check-character/], // early pilot code
      ['issuerCreditCode', { issuerCreditCode: '' }, /issuer/],
      ['serial', { serial: '' }, /serial/],
      ['serial', { serial: 'A'.repeat(33) }, /serial/],
      ['serial', { serial: '209fa4e8' }, /serial/],
      ['serial', { serial: '2430.599' }, /serial/],
      ['serial', { serial: '0624_001' }, /serial/],
      ['serial', { serial: '2430599 ' }, /serial/],
      ['serial', { serial: '证照001' }, /serial/],
      ['version', { version: 0 }, /version/],
      ['version', { version: 1000 }, /version/],
      ['version', { version: -1 }, /version/],
      ['version', { version: 1.5 }, /version/],
      ['version', { version: Number.NaN }, /version/],
      ['version', { version: Number.POSITIVE_INFINITY }, /version/],
    ] as const)('rejects a bad %s: %o', (segment, change, message) => {
      const error = thrownBy(() => buildLicenceIdentifier({ ...VALID_PARAMS, ...change }));
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error).toMatchObject({ code: 'InvalidLicenceIdentifier', details: { segment } });
      expect((error as Error).message).toMatch(message);
    });
  });

  describe('nextVersion', () => {
    it('keeps type, issuer and serial, increases the version and computes a new check character', () => {
      const next = nextVersion('1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0');
      const body = '11100000000013338W00911330105002500287C2025052201003';
      expect(next).toBe(`1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.003.${mod37_36CheckCharacter(body)}`);
      expect(parseLicenceIdentifier(next)).toMatchObject({ version: 3, checkValid: true });
    });

    it('goes from 009 to 010 and from 998 to 999', () => {
      const at = (version: number) => buildLicenceIdentifier({ ...VALID_PARAMS, version });
      expect(nextVersion(at(9))).toBe(at(10));
      expect(nextVersion(at(998))).toBe(at(999));
    });

    it.each([
      ['after version 999', buildLicenceIdentifier({ ...VALID_PARAMS, version: 999 }), 'version'],
      ['from a wrong check character', COUNTER_EXAMPLES[1][0], 'check'],
      ['from an area-code issuer', AREA_CODE_ISSUER, 'issuerCreditCode'],
      ['from text that is not an identifier', '1.2.156.3005.2.x', 'segments'],
    ])('refuses to re-issue %s', (_case, identifier, segment) => {
      const error = thrownBy(() => nextVersion(identifier));
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error).toMatchObject({ code: 'InvalidLicenceIdentifier', details: { segment } });
    });
  });
});
