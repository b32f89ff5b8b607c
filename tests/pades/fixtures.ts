/**
 * A small PKI made by openssl, for sealing tests: an EC P-256 root, a seal CA (pathlen 0),
 * seal certificates (EC P-256 with a Chinese CN, a second EC one, EC P-384, RSA-3072), a TSA
 * and an OCSP responder; the keys imported into WebCrypto as non-extractable. The PAdES
 * services are backed by the project's real RFC 3161, OCSP and CRL builders. Also sample
 * PDFs made with pdf-lib and an NSS database that trusts the root, for pdfsig.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PDFDocument, rgb, StandardFonts } from 'pdf-lib';
import { buildCrl } from '../../src/pki/crl.js';
import { buildOcspResponse, certIdFor, issuerHashes, prepareOcspResponder, serialHex } from '../../src/pki/ocsp.js';
import { buildTimeStampResponse, type TimeStampSigner } from '../../src/pki/timestamp.js';
import { x509 } from '../../src/pki/x509.js';
import { timeStampTokenFromResponse, type PadesServices, type PadesSigner } from '../../src/pades/sign-pdf.js';
import { openssl } from '../support/openssl.js';

const execFileAsync = promisify(execFile);

export const TSA_POLICY = '1.2.3.4.5';
/** The seal certificate's subject common name: UTF-8, so openssl and pdfsig must print it intact. */
export const SEAL_CN = '某某市市场监督管理局电子印章';

const OPENSSL_CNF = `
[req]
distinguished_name = dn
prompt = no
string_mask = utf8only
utf8 = yes
[dn]
CN = unused
[root_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ca_ext]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[seal_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = emailProtection,1.3.6.1.5.5.7.3.36
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[tsa_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ocsp_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
noCheck = ignored
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

type KeyKind = 'p256' | 'p384' | 'rsa3072';
const GENPKEY: Record<KeyKind, string[]> = {
  p256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  p384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  rsa3072: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'],
};
const IMPORT: Record<KeyKind, EcKeyImportParams | RsaHashedImportParams> = {
  p256: { name: 'ECDSA', namedCurve: 'P-256' },
  p384: { name: 'ECDSA', namedCurve: 'P-384' },
  rsa3072: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
};

export interface Issued {
  name: string;
  der: Uint8Array<ArrayBuffer>;
  pemFile: string;
  privateKey: CryptoKey;
  serial: string;
}

export interface PadesFixtures {
  dir: string;
  root: Issued;
  sealCa: Issued;
  /** EC P-256 seal with the Chinese CN. */
  seal: Issued;
  seal2: Issued;
  sealP384: Issued;
  sealRsa: Issued;
  tsa: Issued;
  ocsp: Issued;
  signer(seal: Issued): PadesSigner;
  services: PadesServices;
  /** How often each service was called, to prove what a level asks for. */
  calls: { timestamp: number; revocationData: Uint8Array[][] };
  pdfs: { objectStreams: Uint8Array; classic: Uint8Array; multiPage: Uint8Array; appearance: Uint8Array };
  /** `sql:<dir>` of an NSS database whose only trust anchor is the root. */
  nssDb: string;
  /** The time every test signs at: openssl's certificates are valid from the moment they were made. */
  now: Date;
  cleanup(): Promise<void>;
}

export async function makePadesFixtures(options: { withNss: boolean }): Promise<PadesFixtures> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'elt-pades-'));
  const run = async (args: string[]) => {
    const result = await openssl(args, { cwd: dir });
    if (result.code !== 0) throw new Error(`openssl ${args.join(' ')}: ${result.stderr}`);
  };
  await writeFile(path.join(dir, 'openssl.cnf'), OPENSSL_CNF);

  const issue = async (name: string, kind: KeyKind, subject: string, ext: string, issuer: Issued | null, serial: string): Promise<Issued> => {
    await run(['genpkey', ...GENPKEY[kind], '-out', `${name}.key`]);
    if (issuer) {
      await run(['req', '-new', '-utf8', '-config', 'openssl.cnf', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`]);
      await run(['x509', '-req', '-in', `${name}.csr`, '-CA', issuer.pemFile, '-CAkey', `${issuer.name}.key`, '-set_serial', `0x${serial}`, '-days', '30', '-extfile', 'openssl.cnf', '-extensions', ext, '-out', `${name}.pem`]);
    } else {
      await run(['req', '-x509', '-new', '-utf8', '-config', 'openssl.cnf', '-extensions', ext, '-key', `${name}.key`, '-subj', subject, '-set_serial', `0x${serial}`, '-days', '60', '-out', `${name}.pem`]);
    }
    await run(['x509', '-in', `${name}.pem`, '-outform', 'DER', '-out', `${name}.der`]);
    const pkcs8 = pemBody(await readFile(path.join(dir, `${name}.key`), 'utf8'));
    return {
      name,
      der: new Uint8Array(await readFile(path.join(dir, `${name}.der`))),
      pemFile: path.join(dir, `${name}.pem`),
      privateKey: await crypto.subtle.importKey('pkcs8', pkcs8, IMPORT[kind], false, ['sign']),
      serial,
    };
  };

  const root = await issue('root', 'p256', '/C=CN/O=Test Trust Service/CN=Test Root CA', 'root_ext', null, '01');
  const sealCa = await issue('seal-ca', 'p256', '/C=CN/O=Test Trust Service/CN=Test Seal CA', 'ca_ext', root, '02');
  const tsa = await issue('tsa', 'p256', '/C=CN/O=Test Trust Service/CN=Test TSA', 'tsa_ext', root, '03');
  const seal = await issue('seal', 'p256', `/C=CN/O=测试单位/CN=${SEAL_CN}`, 'seal_ext', sealCa, '1001');
  const seal2 = await issue('seal2', 'p256', '/C=CN/O=Test Org Two/CN=Second Seal', 'seal_ext', sealCa, '1002');
  const sealP384 = await issue('seal-p384', 'p384', '/C=CN/O=Test Org/CN=P-384 Seal', 'seal_ext', sealCa, '1003');
  const sealRsa = await issue('seal-rsa', 'rsa3072', '/C=CN/O=Test Org/CN=RSA Seal', 'seal_ext', sealCa, '1004');
  const ocsp = await issue('ocsp', 'p256', '/C=CN/O=Test Trust Service/CN=Test OCSP Responder', 'ocsp_ext', sealCa, '1fff');
  await writeFile(path.join(dir, 'chain.pem'), Buffer.concat([await readFile(sealCa.pemFile), await readFile(root.pemFile)]));

  // Whole seconds: CRL and OCSP times have no fractions, and a token's genTime should not precede them.
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const tsaSigner: TimeStampSigner = { certificate: tsa.der, privateKey: tsa.privateKey, crypto };
  const responder = await prepareOcspResponder({ certificateDer: ocsp.der, privateKey: ocsp.privateKey, crypto });
  const sealCaHashes = issuerHashes(sealCa.der, 'SHA-1');
  const rootCrl = await buildCrl({
    issuerCertificate: new x509.X509Certificate(root.der),
    signingKey: root.privateKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
    crypto,
    crlNumber: 1,
    thisUpdate: now,
    nextUpdate: new Date(now.getTime() + 7 * 86_400_000),
    entries: [],
  });
  const sealCaSubject = new x509.X509Certificate(sealCa.der).subject;

  const calls: PadesFixtures['calls'] = { timestamp: 0, revocationData: [] };
  const services: PadesServices = {
    async timestamp(digest) {
      calls.timestamp++;
      const response = await buildTimeStampResponse({
        request: { hashAlgorithm: 'SHA-256', hashedMessage: digest, reqPolicy: null, nonce: null, certReq: true },
        policy: TSA_POLICY,
        serialNumber: randomBytes(8),
        genTime: now,
        signer: tsaSigner,
        extraCerts: [root.der],
      });
      return timeStampTokenFromResponse(response);
    },
    async revocationData(certificates) {
      calls.revocationData.push(certificates);
      const ocspResponses: Uint8Array[] = [];
      let needsRootCrl = false;
      for (const der of certificates) {
        const certificate = new x509.X509Certificate(new Uint8Array(der));
        if (certificate.issuer === sealCaSubject) {
          const certId = certIdFor({ ...sealCaHashes, hashAlgorithm: 'SHA-1', serialNumber: serialHex(Buffer.from(certificate.serialNumber, 'hex')) });
          ocspResponses.push(
            await buildOcspResponse({
              responder,
              producedAt: now,
              responses: [{ certId, status: { kind: 'good' }, thisUpdate: now, nextUpdate: new Date(now.getTime() + 86_400_000) }],
            }),
          );
        } else {
          needsRootCrl = true;
        }
      }
      return { ocspResponses, crls: needsRootCrl ? [rootCrl] : [] };
    },
  };

  const nssDir = path.join(dir, 'nss');
  if (options.withNss) {
    await execFileAsync('mkdir', ['-p', nssDir]);
    await execFileAsync('certutil', ['-N', '-d', `sql:${nssDir}`, '--empty-password']);
    await execFileAsync('certutil', ['-A', '-d', `sql:${nssDir}`, '-n', 'root', '-t', 'CT,C,C', '-i', root.pemFile]);
  }

  return {
    dir,
    root,
    sealCa,
    seal,
    seal2,
    sealP384,
    sealRsa,
    tsa,
    ocsp,
    signer: (issued) => ({ certificate: issued.der, chain: [sealCa.der, root.der], privateKey: issued.privateKey, crypto }),
    services,
    calls,
    pdfs: await samplePdfs(),
    nssDb: `sql:${nssDir}`,
    now,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

function pemBody(pem: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'));
}

/** One A4 page with text, saved with object streams and with a classic table; three pages; and a seal appearance. */
async function samplePdfs(): Promise<PadesFixtures['pdfs']> {
  const onePage = await PDFDocument.create({ updateMetadata: false });
  const font = await onePage.embedFont(StandardFonts.Helvetica);
  const page = onePage.addPage([595.28, 841.89]);
  page.drawText('Business licence 0001', { x: 72, y: 760, size: 24, font });
  page.drawText('Sealed by the test trust service.', { x: 72, y: 720, size: 12, font });

  const multi = await PDFDocument.create({ updateMetadata: false });
  const multiFont = await multi.embedFont(StandardFonts.Helvetica);
  for (let n = 1; n <= 3; n++) {
    multi.addPage([595.28, 841.89]).drawText(`Page ${n} of 3`, { x: 72, y: 760, size: 24, font: multiFont });
  }

  const seal = await PDFDocument.create({ updateMetadata: false });
  const sealFont = await seal.embedFont(StandardFonts.HelveticaBold);
  const sealPage = seal.addPage([200, 200]);
  const red = rgb(0.85, 0.1, 0.1);
  sealPage.drawCircle({ x: 100, y: 100, size: 90, borderColor: red, borderWidth: 8 });
  sealPage.drawCircle({ x: 100, y: 100, size: 30, color: red });
  sealPage.drawText('SEAL', { x: 62, y: 30, size: 28, font: sealFont, color: red });

  return {
    objectStreams: await onePage.save(),
    classic: await onePage.save({ useObjectStreams: false }),
    multiPage: await multi.save({ useObjectStreams: false }),
    appearance: await seal.save(),
  };
}
