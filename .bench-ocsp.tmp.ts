import { readFileSync } from 'node:fs';
import { buildOcspResponse, certIdFor, issuerHashes, parseOcspRequest, prepareOcspResponder } from './src/pki/ocsp.js';
const d = (f: string) => { const pem = readFileSync(`/tmp/ocsp-exp/${f}`, 'utf8'); return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64')); };
const root = d('root.pem');
for (const [name, key, cert, alg] of [['ec-p256', 'resp.key', 'resp.pem', { name: 'ECDSA', namedCurve: 'P-256' }], ['rsa-2048', 'rsa.key', 'rsa.pem', { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }]] as const) {
  const privateKey = await crypto.subtle.importKey('pkcs8', d(key), alg, false, ['sign']);
  const responder = await prepareOcspResponder({ certificateDer: d(cert), privateKey, crypto });
  const certId = certIdFor({ ...issuerHashes(root, 'SHA-1'), serialNumber: '0081020304', hashAlgorithm: 'SHA-1' });
  const t = new Date('2026-01-01T00:00:00.123Z');
  const nonce = new Uint8Array(16).fill(9);
  const req = readFileSync('/tmp/ocsp-exp/req.der');
  const one = () => buildOcspResponse({ responder, producedAt: t, responses: [{ certId, status: { kind: 'good' }, thisUpdate: t, nextUpdate: new Date(t.getTime() + 86400e3) }], nonce });
  for (let i = 0; i < 200; i++) await one();
  const n = 2000;
  let start = performance.now();
  for (let i = 0; i < n; i++) await one();
  const total = (performance.now() - start) / n;
  start = performance.now();
  for (let i = 0; i < n; i++) parseOcspRequest(req);
  const parse = (performance.now() - start) / n;
  start = performance.now();
  for (let i = 0; i < n; i++) await crypto.subtle.sign(alg.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : alg, privateKey, new Uint8Array(200));
  const sign = (performance.now() - start) / n;
  console.log(`${name}: build+sign ${total.toFixed(3)} ms/response, raw WebCrypto sign ${sign.toFixed(3)} ms, parseOcspRequest ${parse.toFixed(3)} ms`);
}
