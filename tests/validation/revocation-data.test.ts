/**
 * Embedded revocation data (RFC 6960 responses, RFC 5280 CRLs) read and checked by the
 * validator's lean code, with responses and lists made by the project's own builders and by
 * responders who may not answer for the certificate.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integerFromOctets, oid, readTlv, sequence, TAG, tlv } from '../../src/pki/der.js';
import { buildCrl } from '../../src/pki/crl.js';
import { buildOcspResponse, certIdFor, issuerHashes, prepareOcspResponder, serialHex, type OcspCertStatus } from '../../src/pki/ocsp.js';
import { x509 } from '../../src/pki/x509.js';
import { CertificateCache, type ParsedCertificate } from '../../src/validation/certificate.js';
import { EmbeddedRevocationData, RevocationDataCache } from '../../src/validation/revocation-data.js';
import { signatureScheme, verifyWith } from '../../src/validation/signature-algorithms.js';
import { makePadesFixtures, type Issued, type PadesFixtures } from '../pades/fixtures.js';
import { missingTool } from '../support/outside-tools.js';

describe.skipIf(missingTool('openssl'))('embedded revocation data', () => {
  let f: PadesFixtures;
  const certificates = new CertificateCache();
  let seal: ParsedCertificate;
  let sealCa: ParsedCertificate;
  const parse = (issued: Issued) => certificates.parse(issued.der) as ParsedCertificate;

  beforeAll(async () => {
    f = await makePadesFixtures({ withNss: false });
    seal = parse(f.seal);
    sealCa = parse(f.sealCa);
  });
  afterAll(async () => {
    await f?.cleanup();
  });

  const ocsp = async (responder: Issued, status: OcspCertStatus, hash: 'SHA-1' | 'SHA-256' = 'SHA-1') => {
    const prepared = await prepareOcspResponder({ certificateDer: responder.der, privateKey: responder.privateKey, crypto });
    const certId = certIdFor({ ...issuerHashes(f.sealCa.der, hash), hashAlgorithm: hash, serialNumber: serialHex(Buffer.from('1001', 'hex')) });
    return buildOcspResponse({ responder: prepared, producedAt: f.now, responses: [{ certId, status, thisUpdate: f.now, nextUpdate: new Date(f.now.getTime() + 3_600_000) }] });
  };
  const statuses = (ocsps: Uint8Array[], crls: Uint8Array[] = []) =>
    new EmbeddedRevocationData(
      ocsps.map((der) => ({ der, source: 'dss-ocsp' })),
      crls.map((der) => ({ der, source: 'dss-crl' })),
      new RevocationDataCache(),
      certificates,
    ).statusesFor(seal, sealCa);

  it('reads good and revoked OCSP answers from a delegated responder (SHA-1 and SHA-256 CertIDs)', async () => {
    expect(statuses([await ocsp(f.ocsp, { kind: 'good' })])).toMatchObject([{ status: 'good', source: 'dss-ocsp', issuedAt: f.now }]);
    const revokedAt = new Date(f.now.getTime() - 60_000);
    expect(statuses([await ocsp(f.ocsp, { kind: 'revoked', revokedAt, reason: 1 }, 'SHA-256')])).toMatchObject([{ status: 'revoked', revokedAt, reason: 'keyCompromise' }]);
  });

  it('ignores a response from a responder the issuer did not authorise, and a tampered one', async () => {
    expect(statuses([await ocsp(f.tsa, { kind: 'revoked', revokedAt: f.now })])).toEqual([]);
    const tampered = Buffer.from(await ocsp(f.ocsp, { kind: 'good' }));
    tampered[tampered.length - 80] = tampered[tampered.length - 80]! ^ 0x01;
    expect(statuses([tampered])).toEqual([]);
    expect(statuses([Buffer.from('not an OCSP response')])).toEqual([]);
  });

  it('reads a CRL of the issuer, and ignores one of another CA', async () => {
    const crl = (issuer: Issued) =>
      buildCrl({
        issuerCertificate: new x509.X509Certificate(issuer.der),
        signingKey: issuer.privateKey,
        signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
        crypto,
        crlNumber: 7,
        thisUpdate: f.now,
        nextUpdate: new Date(f.now.getTime() + 86_400_000),
        entries: [{ serialHex: '1001', revokedAt: f.now, reason: 'superseded' }],
      });
    expect(statuses([], [await crl(f.sealCa)])).toMatchObject([{ status: 'revoked', source: 'dss-crl', reason: 'superseded', revokedAt: f.now }]);
    expect(statuses([], [await crl(f.root)])).toEqual([]);
  });
});

describe('signature algorithms', () => {
  it('verifies RSASSA-PSS with explicit parameters (RFC 4055 §3.1) and refuses mismatched MGF1 hashes', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const data = Buffer.from('signed attributes');
    const signature = sign('sha256', data, { key: privateKey, padding: 6, saltLength: 32 });
    const sha = (name: string) => sequence(oid(name));
    const params = (mgfHash: string) =>
      sequence(
        tlv(TAG.context(0), sha('2.16.840.1.101.3.4.2.1')),
        tlv(TAG.context(1), sequence(oid('1.2.840.113549.1.1.8'), sha(mgfHash))),
        tlv(TAG.context(2), integerFromOctets(Uint8Array.of(32))),
      );
    const read = (der: Uint8Array) => ({ oid: '1.2.840.113549.1.1.10', parameters: readTlv(der) });
    const scheme = signatureScheme(read(params('2.16.840.1.101.3.4.2.1')));
    expect(scheme.ok && verifyWith(scheme.scheme, publicKey, [data], signature)).toBe(true);
    expect(signatureScheme(read(params('2.16.840.1.101.3.4.2.2')))).toMatchObject({ ok: false });
  });

  it('verifies Ed25519 and refuses SHA-1 signatures (ETSI TS 119 312)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const data = Buffer.from('x');
    const scheme = signatureScheme({ oid: '1.3.101.112', parameters: null });
    expect(scheme.ok && verifyWith(scheme.scheme, publicKey, [data], sign(null, data, privateKey))).toBe(true);
    expect(signatureScheme({ oid: '1.2.840.113549.1.1.5', parameters: null })).toMatchObject({ ok: false, reason: expect.stringMatching(/no longer acceptable/) });
    expect(signatureScheme({ oid: '1.2.840.10045.4.1', parameters: null })).toMatchObject({ ok: false });
  });
});
