import { randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import { PDFDocument, rgb, StandardFonts } from 'pdf-lib';
import * as pkijs from 'pkijs';
import { signPdf, timeStampTokenFromResponse, type PadesServices, type PadesSigner, type SignPdfParams } from '../src/pades/sign-pdf.js';
import { buildCertificate, positiveSerial } from '../src/pki/certificate.js';
import { pkijsEngine } from '../src/pki/pkijs-engine.js';
import { buildTimeStampResponse } from '../src/pki/timestamp.js';
import { type Figure, median } from './lib.js';

const RUNS = 3;
const RUN_SECONDS = 2;
const SIGNING_TIME = new Date('2026-11-23T12:00:00Z');

/**
 * PAdES seals per second of a one-page A4 PDF, in-process and sequential: B-B with a visible
 * seal appearance, B-B invisible, and B-T with the time-stamp token made in-process by the
 * real RFC 3161 builder (src/pki/timestamp.ts). ECDSA P-256 keys, non-extractable.
 * The first seal of each kind is checked with pkijs before anything is timed.
 */
export async function benchPades(): Promise<Figure[]> {
  const { signer, services } = await makeSignerAndTsa();
  const pdf = await onePagePdf();
  const appearance = await sealAppearance();
  const visible: SignPdfParams = {
    pdf,
    signer,
    level: 'B-B',
    signingTime: SIGNING_TIME,
    placement: { page: 1, x: 400, y: 60, width: 120, height: 120 },
    appearance,
    reason: '电子营业执照签章',
  };
  const cases: { name: string; params: SignPdfParams; note: string }[] = [
    { name: 'pades_b_b_seals', params: visible, note: 'visible seal with a PDF appearance' },
    { name: 'pades_b_b_invisible_seals', params: { pdf, signer, level: 'B-B', signingTime: SIGNING_TIME }, note: 'invisible' },
    { name: 'pades_b_t_seals', params: { ...visible, level: 'B-T', services }, note: 'visible, in-process RFC 3161 token' },
  ];

  const figures: Figure[] = [];
  for (const { name, params, note } of cases) {
    await checkSignature(await signPdf(params));
    const rates: number[] = [];
    for (let run = 0; run < RUNS; run++) rates.push(await sealsPerSecond(params));
    figures.push({ name, value: median(rates), unit: 'seals/s', note: `one-page A4 (${pdf.length} B), ECDSA P-256, ${note}, sequential, median of ${RUNS} x ${RUN_SECONDS} s` });
  }
  return figures;
}

async function sealsPerSecond(params: SignPdfParams): Promise<number> {
  for (let i = 0; i < 20; i++) await signPdf(params); // warm-up
  let count = 0;
  const started = performance.now();
  const until = started + RUN_SECONDS * 1000;
  while (performance.now() < until) {
    await signPdf(params);
    count++;
  }
  return count / ((performance.now() - started) / 1000);
}

/** pkijs, not our code, checks the CMS over the byte ranges. */
async function checkSignature(signed: Uint8Array): Promise<void> {
  const text = Buffer.from(signed).toString('latin1');
  const match = /\/ByteRange \[(\d+) (\d+) (\d+) (\d+)\s*\]/.exec(text);
  if (!match) throw new Error('no /ByteRange in the sealed PDF');
  const [a, b, c] = [Number(match[2]), Number(match[3]), Number(match[4])];
  const all = Buffer.from(text.slice(a + 1, b - 1), 'hex');
  const decoded = asn1js.fromBER(new Uint8Array(all));
  const signedData = new pkijs.SignedData({ schema: new pkijs.ContentInfo({ schema: decoded.result }).content });
  const data = Buffer.concat([signed.subarray(0, a), signed.subarray(b, b + c)]);
  const ok = await signedData.verify({ signer: 0, data: new Uint8Array(data).buffer, checkChain: false }, pkijsEngine(crypto));
  if (!ok) throw new Error('pkijs does not verify the seal');
}

async function makeSignerAndTsa(): Promise<{ signer: PadesSigner; services: PadesServices }> {
  const ec = { name: 'ECDSA', namedCurve: 'P-256' } as const;
  const ecdsa = { name: 'ECDSA', hash: 'SHA-256' } as const;
  const notBefore = new Date('2026-01-01T00:00:00Z');
  const notAfter = new Date('2036-01-01T00:00:00Z');
  const keys = async () => (await crypto.subtle.generateKey(ec, false, ['sign', 'verify'])) as CryptoKeyPair;
  const rootKeys = await keys();
  const root = await buildCertificate({
    serialNumber: positiveSerial(randomBytes(16)), subject: [['CN', 'Bench Root']], notBefore, notAfter,
    subjectPublicKey: rootKeys.publicKey, signingKey: rootKeys.privateKey, signingAlgorithm: ecdsa, crypto,
    ca: { pathLength: 1 }, keyUsage: ['keyCertSign', 'cRLSign'],
  });
  const caKeys = await keys();
  const ca = await buildCertificate({
    serialNumber: positiveSerial(randomBytes(16)), subject: [['CN', 'Bench Seal CA']], issuerCertificate: root, notBefore, notAfter,
    subjectPublicKey: caKeys.publicKey, signingKey: rootKeys.privateKey, signingAlgorithm: ecdsa, crypto,
    ca: { pathLength: 0 }, keyUsage: ['keyCertSign', 'cRLSign'],
  });
  const sealKeys = await keys();
  const seal = await buildCertificate({
    serialNumber: positiveSerial(randomBytes(16)), subject: [['C', 'CN'], ['O', '基准测试单位'], ['CN', '基准测试电子印章']], issuerCertificate: ca, notBefore, notAfter,
    subjectPublicKey: sealKeys.publicKey, signingKey: caKeys.privateKey, signingAlgorithm: ecdsa, crypto,
    keyUsage: ['digitalSignature', 'nonRepudiation'], extendedKeyUsage: ['emailProtection', 'documentSigning'],
  });
  const tsaKeys = await keys();
  const tsa = await buildCertificate({
    serialNumber: positiveSerial(randomBytes(16)), subject: [['CN', 'Bench TSA']], issuerCertificate: root, notBefore, notAfter,
    subjectPublicKey: tsaKeys.publicKey, signingKey: rootKeys.privateKey, signingAlgorithm: ecdsa, crypto,
    keyUsage: ['digitalSignature'], extendedKeyUsage: ['timeStamping'], extendedKeyUsageCritical: true,
  });
  const der = (certificate: { rawData: ArrayBuffer }) => new Uint8Array(certificate.rawData);
  const tsaSigner = { certificate: der(tsa), privateKey: tsaKeys.privateKey, crypto };
  return {
    signer: { certificate: der(seal), chain: [der(ca), der(root)], privateKey: sealKeys.privateKey, crypto },
    services: {
      async timestamp(digest) {
        const response = await buildTimeStampResponse({
          request: { hashAlgorithm: 'SHA-256', hashedMessage: digest, reqPolicy: null, nonce: null, certReq: true },
          policy: '1.2.3.4', serialNumber: randomBytes(8), genTime: SIGNING_TIME, signer: tsaSigner, extraCerts: [der(root)],
        });
        return timeStampTokenFromResponse(response);
      },
      async revocationData() {
        return { ocspResponses: [], crls: [] };
      },
    },
  };
}

async function onePagePdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([595.28, 841.89]);
  page.drawText('Business licence 0001', { x: 72, y: 760, size: 24, font });
  for (let line = 0; line < 20; line++) page.drawText(`Field ${line}: value ${line * 17}`, { x: 72, y: 700 - line * 24, size: 12, font });
  return doc.save();
}

async function sealAppearance(): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const font = await doc.embedFont(StandardFonts.HelveticaBold);
  const page = doc.addPage([200, 200]);
  const red = rgb(0.85, 0.1, 0.1);
  page.drawCircle({ x: 100, y: 100, size: 90, borderColor: red, borderWidth: 8 });
  page.drawText('SEAL', { x: 62, y: 30, size: 28, font, color: red });
  return doc.save();
}
