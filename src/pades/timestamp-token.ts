/**
 * RFC 3161 time-stamp tokens as PAdES uses them: the signature-time-stamp of B-T (ETSI EN
 * 319 142-1 §6.3, over the signature value) and the document time-stamp of B-LTA (§5.4.3,
 * over the byte ranges). A token from the time-stamp service is checked against the imprint
 * we asked for before it goes into a document, and its certificates are read for the DSS.
 */
import { UnavailableError } from '../errors.js';
import { childrenOf, compareOctets, content, DerError, oidString, readTlv, TAG, whole } from '../pki/der.js';

export { timeStampTokenFromResponse } from '../pki/timestamp.js';

const ID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const ID_CT_TST_INFO = '1.2.840.113549.1.9.16.1.4';
const ID_SHA256 = '2.16.840.1.101.3.4.2.1';

/**
 * Checks that `token` is a TimeStampToken over `expectedImprint` with SHA-256 and returns
 * the certificates it carries (the TSA's, when the request set certReq).
 *
 * @throws UnavailableError `TimeStampTokenInvalid` otherwise: a token over anything else
 *   would make the signature unverifiable.
 */
export function checkTimeStampToken(token: Uint8Array, expectedImprint: Uint8Array): { certificates: Uint8Array[] } {
  try {
    const contentInfo = readTlv(token);
    if (contentInfo.end !== token.length) throw new DerError('bytes after the token');
    const [contentType, explicitContent] = childrenOf(contentInfo, TAG.sequence, 'ContentInfo');
    if (!contentType || oidString(contentType) !== ID_SIGNED_DATA) throw new DerError('not a SignedData');
    const fields = childrenOf(childrenOf(explicitContent, TAG.context(0), 'content')[0], TAG.sequence, 'SignedData');
    const [eContentType, eContent] = childrenOf(fields[2], TAG.sequence, 'EncapsulatedContentInfo');
    if (!eContentType || oidString(eContentType) !== ID_CT_TST_INFO || !eContent) throw new DerError('not a TSTInfo');
    const tstInfo = readTlv(content(childrenOf(eContent, TAG.context(0), 'eContent')[0]!));
    const [, , imprint] = childrenOf(tstInfo, TAG.sequence, 'TSTInfo');
    const [algorithm, hashed] = childrenOf(imprint, TAG.sequence, 'MessageImprint');
    const [algorithmOid] = childrenOf(algorithm, TAG.sequence, 'AlgorithmIdentifier');
    if (oidString(algorithmOid!) !== ID_SHA256 || !hashed || compareOctets(content(hashed), expectedImprint) !== 0) {
      throw new DerError('the token is not over the requested SHA-256 imprint');
    }
    const certificateSet = fields.find((field) => field.tag === TAG.context(0));
    const certificates = certificateSet
      ? childrenOf(certificateSet, TAG.context(0), 'certificates')
          .filter((choice) => choice.tag === TAG.sequence)
          .map((certificate) => whole(certificate).slice())
      : [];
    return { certificates };
  } catch (cause) {
    throw new UnavailableError('TimeStampTokenInvalid', 'the time-stamp authority returned an unusable token', { cause });
  }
}
