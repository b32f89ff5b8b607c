/**
 * Before a document is signed again, each signature already in it must still hold: sealing
 * on top of a broken signature would put our seal on a document that was altered after
 * someone else signed it. This is an integrity check of the bytes, not a validation (no
 * certificate path, no revocation, no signature value check; that is src/validation's job):
 *
 * 1. /ByteRange is `[0 a b c]` where the gap `a..b` is exactly the /Contents hex string, and
 *    `b + c` ends a revision, i.e. falls right after a `%%EOF` (ISO 32000-2 §12.8.1, ETSI EN
 *    319 142-1 §6.2.1 for the one-gap rule).
 * 2. The digest of the covered bytes equals what the signature claims: the CMS
 *    messageDigest signed attribute (RFC 5652 §11.2), or the time-stamp token's message
 *    imprint for a document time-stamp (ETSI.RFC3161, ISO 32000-2 §12.8.3.4).
 *
 * The CMS is read from the bytes in the gap, not from the parsed /Contents, so a later
 * revision that redefines the signature dictionary cannot hide a mismatch.
 */
import { createHash, getHashes } from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import { childrenOf, content, DerError, oidString, readTlv, TAG, type Tlv } from '../pki/der.js';
import type { SignatureEntry } from './form-fields.js';

const ID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const ID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const ID_CT_TST_INFO = '1.2.840.113549.1.9.16.1.4';

/** Digest OIDs a PDF signature may use, with node:crypto's names. Others cannot be checked and are let through. */
const DIGESTS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '1.2.156.10197.1.401': 'sm3',
};
const availableHashes = new Set(getHashes());

/**
 * @throws InvalidInputError `BrokenExistingSignature` naming the field.
 */
export function checkExistingSignatures(bytes: Uint8Array, signatures: readonly SignatureEntry[]): void {
  for (const signature of signatures) {
    const problem = integrityProblem(bytes, signature);
    if (problem) {
      throw new InvalidInputError('BrokenExistingSignature', `the existing signature '${signature.fieldName}' is broken: ${problem}`, {
        details: { field: signature.fieldName },
      });
    }
  }
}

function integrityProblem(bytes: Uint8Array, signature: SignatureEntry): string | null {
  const range = signature.byteRange;
  if (!range) return 'its /ByteRange is not four non-negative integers';
  const [start, gapStart, gapEnd, tailLength] = range as [number, number, number, number];
  const end = gapEnd + tailLength;
  if (start !== 0 || gapStart <= 0 || gapEnd <= gapStart + 1 || end > bytes.length) return 'its /ByteRange does not lie within the file';
  if (bytes[gapStart] !== 0x3c /* < */ || bytes[gapEnd - 1] !== 0x3e /* > */) return 'the /ByteRange gap is not the /Contents string';
  if (!endsRevision(bytes, end)) return 'its /ByteRange does not end at a revision\'s %%EOF';

  let der: Uint8Array;
  try {
    der = hexToBytes(bytes.subarray(gapStart + 1, gapEnd - 1));
  } catch {
    return 'the /ByteRange gap holds something other than hex digits';
  }
  let claim: { digestOid: string; digest: Uint8Array } | null;
  try {
    claim = claimedDigest(der, signature.subFilter);
  } catch (cause) {
    return `its CMS cannot be read (${cause instanceof Error ? cause.message : String(cause)})`;
  }
  if (!claim) return null; // nothing we can compare (e.g. no signed attributes)
  const algorithm = DIGESTS[claim.digestOid];
  if (!algorithm || !availableHashes.has(algorithm)) return null;
  const actual = createHash(algorithm).update(bytes.subarray(0, gapStart)).update(bytes.subarray(gapEnd, end)).digest();
  return Buffer.compare(actual, claim.digest) === 0 ? null : 'the signed bytes do not match the digest in its CMS (the document was changed)';
}

/** Whether `end` is right after `%%EOF`, allowing the end-of-line that may follow it. */
function endsRevision(bytes: Uint8Array, end: number): boolean {
  let cut = end;
  for (let i = 0; i < 2 && cut > 0 && (bytes[cut - 1] === 0x0a || bytes[cut - 1] === 0x0d); i++) cut--;
  return cut >= 5 && Buffer.from(bytes.buffer, bytes.byteOffset + cut - 5, 5).toString('latin1') === '%%EOF';
}

/**
 * What the signature says the covered bytes hash to:
 * - CMS with signed attributes: SignerInfo.digestAlgorithm and the messageDigest attribute;
 * - `ETSI.RFC3161` document time-stamps: TSTInfo.messageImprint (RFC 3161 §2.4.2);
 * - `adbe.pkcs7.sha1`: the SHA-1 digest carried as the encapsulated content.
 */
function claimedDigest(der: Uint8Array, subFilter: string | null): { digestOid: string; digest: Uint8Array } | null {
  const contentInfo = readTlv(der);
  const [contentType, explicitContent] = childrenOf(contentInfo, TAG.sequence, 'ContentInfo');
  if (!contentType || oidString(contentType) !== ID_SIGNED_DATA) throw new DerError('not a CMS SignedData');
  const [signedData] = childrenOf(explicitContent, TAG.context(0), 'ContentInfo.content');
  const fields = childrenOf(signedData, TAG.sequence, 'SignedData');
  const encapsulated = childrenOf(fields[2], TAG.sequence, 'EncapsulatedContentInfo');
  const eContent = encapsulated[1] ? content(childrenOf(encapsulated[1], TAG.context(0), 'eContent')[0]!) : null;
  const signerInfos = childrenOf(fields[fields.length - 1], TAG.set, 'signerInfos');
  const signerInfo = childrenOf(signerInfos[0], TAG.sequence, 'SignerInfo');

  if (subFilter === 'ETSI.RFC3161') {
    if (!eContent || oidString(encapsulated[0]!) !== ID_CT_TST_INFO) throw new DerError('a document time-stamp without TSTInfo');
    return messageImprint(readTlv(eContent));
  }
  if (subFilter === 'adbe.pkcs7.sha1' && eContent) {
    return { digestOid: '1.3.14.3.2.26', digest: content(readTlv(eContent)) };
  }
  const [digestAlgorithm] = childrenOf(signerInfo[2], TAG.sequence, 'digestAlgorithm');
  const signedAttributes = signerInfo[3]?.tag === TAG.context(0) ? signerInfo[3] : null;
  if (!signedAttributes) return null;
  for (const attribute of childrenOf(signedAttributes, TAG.context(0), 'signedAttrs')) {
    const [type, values] = childrenOf(attribute, TAG.sequence, 'Attribute');
    if (type && oidString(type) === ID_MESSAGE_DIGEST) {
      const [value] = childrenOf(values, TAG.set, 'messageDigest values');
      if (!value || value.tag !== TAG.octetString) throw new DerError('messageDigest is not an OCTET STRING');
      return { digestOid: oidString(digestAlgorithm!), digest: content(value) };
    }
  }
  throw new DerError('no messageDigest attribute');
}

/** TSTInfo ::= SEQUENCE { version, policy, messageImprint SEQUENCE { hashAlgorithm, hashedMessage }, ... } */
function messageImprint(tstInfo: Tlv): { digestOid: string; digest: Uint8Array } {
  const [, , imprint] = childrenOf(tstInfo, TAG.sequence, 'TSTInfo');
  const [algorithm, hashed] = childrenOf(imprint, TAG.sequence, 'MessageImprint');
  const [algorithmOid] = childrenOf(algorithm, TAG.sequence, 'hashAlgorithm');
  if (!hashed || hashed.tag !== TAG.octetString) throw new DerError('bad hashedMessage');
  return { digestOid: oidString(algorithmOid!), digest: content(hashed) };
}

/**
 * Hex digits to bytes. /Contents is zero-padded after the DER; the reader takes the first TLV
 * by its own length (libraries.md §1: stripping trailing zeros would cut a DER ending in 00).
 */
function hexToBytes(hex: Uint8Array): Uint8Array {
  const text = Buffer.from(hex.buffer, hex.byteOffset, hex.byteLength).toString('latin1').replace(/\s+/g, '');
  if (!/^[0-9a-fA-F]*$/.test(text)) throw new Error('not hex');
  return Buffer.from(text.length % 2 ? `${text}0` : text, 'hex');
}
