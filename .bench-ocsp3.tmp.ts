import { readFileSync, writeFileSync } from 'node:fs';
import { buildOcspResponse, parseOcspRequest, prepareOcspResponder } from './src/pki/ocsp.js';
const d = (f: string) => { const pem = readFileSync(`/tmp/ocsp-exp/${f}`, 'utf8'); return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64')); };
const privateKey = await crypto.subtle.importKey('pkcs8', d('rsa.key'), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
const responder = await prepareOcspResponder({ certificateDer: d('rsa.pem'), privateKey, crypto });
const req = parseOcspRequest(readFileSync('/tmp/ocsp-exp/req.der'));
const t = new Date();
writeFileSync('/tmp/ocsp-exp/rsa-resp.der', await buildOcspResponse({ responder, producedAt: t, responses: req.requests.map((certId) => ({ certId, status: { kind: 'revoked', revokedAt: t, reason: 4 }, thisUpdate: t })), nonce: req.nonce }));
