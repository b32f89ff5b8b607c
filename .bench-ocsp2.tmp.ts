import { readFileSync } from 'node:fs';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
const req = new Uint8Array(readFileSync('/tmp/ocsp-exp/req.der'));
const pem = readFileSync('/tmp/ocsp-exp/resp.pem', 'utf8');
const cert = new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'));
function time(label: string, fn: () => unknown, n = 2000) {
  for (let i = 0; i < 100; i++) fn();
  const s = performance.now(); for (let i = 0; i < n; i++) fn(); console.log(label, ((performance.now() - s) / n).toFixed(4), 'ms');
}
time('fromBER req', () => asn1js.fromBER(req));
time('fromBER req limits', () => asn1js.fromBER(req, { maxDepth: 32, maxNodes: 4000, parseEmbedded: false }));
time('OCSPRequest schema', () => pkijs.OCSPRequest.schema());
time('OCSPRequest parse', () => new pkijs.OCSPRequest({ schema: asn1js.fromBER(req).result }));
time('fromBER cert', () => asn1js.fromBER(cert));
time('Certificate parse', () => new pkijs.Certificate({ schema: asn1js.fromBER(cert).result }));
const c = new pkijs.Certificate({ schema: asn1js.fromBER(cert).result });
time('Certificate toSchema toBER', () => c.toSchema().toBER());
time('fromBER cert noembed', () => asn1js.fromBER(cert, { parseEmbedded: false }));
time('asn1js build+toBER small', () => new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: cert }), new asn1js.GeneralizedTime({ valueDate: new Date() }), new asn1js.Sequence({ value: [new asn1js.Integer({ value: 5 }), new asn1js.ObjectIdentifier({ value: '1.3.6.1.5.5.7.48.1.2' })] })] }).toBER());
