/**
 * The hand-written DER in src/pades, judged by asn1js: what we write it decodes to the same
 * values and re-encodes to the same bytes; what others write (BER indefinite lengths,
 * constructed strings) we read.
 */
import * as asn1js from 'asn1js';
import { describe, expect, it } from 'vitest';
import { children, content, oid, oidString, readTlv, sequence, setOf, tlv, TAG } from '../../src/pki/der.js';

const bytes = (ber: ArrayBuffer) => new Uint8Array(ber);

describe('src/pades DER', () => {
  it.each(['1.2.840.113549.1.9.16.2.47', '2.16.840.1.101.3.4.2.1', '1.3.6.1.5.5.7.3.36', '2.999.1234567', '0.9.2342.19200300.100.1.1'])(
    'writes and reads OBJECT IDENTIFIER %s as asn1js does',
    (dotted) => {
      expect(Buffer.from(oid(dotted))).toEqual(Buffer.from(bytes(new asn1js.ObjectIdentifier({ value: dotted }).toBER())));
      expect(oidString(readTlv(oid(dotted)))).toBe(dotted);
    },
  );

  it.each([0, 1, 127, 128, 255, 256, 65_535, 65_536, 70_000])('uses minimal definite lengths for %i content octets', (length) => {
    const written = tlv(TAG.octetString, new Uint8Array(length));
    expect(Buffer.from(written)).toEqual(Buffer.from(bytes(new asn1js.OctetString({ valueHex: new Uint8Array(length) }).toBER())));
    const read = readTlv(written);
    expect(read.contentEnd - read.contentStart).toBe(length);
    expect(read.end).toBe(written.length);
  });

  it('sorts SET OF by encoding, as DER wants for signed attributes (X.690 §11.6)', () => {
    const long = sequence(oid('1.2.3'), new Uint8Array(200));
    const short = sequence(oid('1.2.4'));
    const middle = sequence(oid('1.2.3'), tlv(TAG.octetString, Uint8Array.of(1)));
    const set = readTlv(setOf(long, short, middle));
    expect(children(set).map((child) => child.end - child.start)).toEqual([short.length, middle.length, long.length]);
  });

  it('reads BER indefinite lengths and constructed OCTET STRINGs, which asn1js also accepts', () => {
    // SEQUENCE (indefinite) { OID id-data, OCTET STRING (constructed, indefinite) { 01 02 }, { 03 } }
    const encoded = Buffer.from('3080' + '06092a864886f70d010701' + '2480' + '04020102' + '040103' + '0000' + '0000', 'hex');
    expect(asn1js.fromBER(new Uint8Array(encoded)).offset).toBe(encoded.length);
    const outer = readTlv(encoded);
    expect(outer.end).toBe(encoded.length);
    const [type, data] = children(outer);
    expect(oidString(type!)).toBe('1.2.840.113549.1.7.1');
    expect([...content(data!)]).toEqual([1, 2, 3]);
  });

  it('refuses truncated input instead of reading past it', () => {
    const whole = sequence(oid('1.2.3'), tlv(TAG.octetString, new Uint8Array(10)));
    expect(() => readTlv(whole.subarray(0, whole.length - 1))).toThrow(/truncated/);
    expect(() => readTlv(Uint8Array.of(0x30, 0x80, 0x05, 0x00))).toThrow(/end-of-contents/);
  });
});
