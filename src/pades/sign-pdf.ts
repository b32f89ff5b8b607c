/**
 * PAdES baseline signing of any PDF (ETSI EN 319 142-1 §6: B-B, B-T, B-LT, B-LTA),
 * in explicit stages, pyHanko style:
 *
 * 1. open and check: parse the input, refuse encrypted or broken files and documents whose
 *    existing signatures no longer match their bytes or whose certification forbids signing;
 * 2. prepare: append an incremental update with the signature field, its appearance and the
 *    signature dictionary with a zero-filled /Contents (ISO 32000-2 §12.8.1);
 * 3. digest the byte ranges, sign the CAdES signed attributes, time-stamp the signature
 *    value (B-T), embed the CMS;
 * 4. add LTV data: a /DSS update (B-LT), then a document time-stamp update (B-LTA).
 *
 * Every stage appends; nothing before the input's last %%EOF changes, so earlier signatures
 * stay valid. Nothing here reads the clock, a database or the network: the signing time,
 * keys and the time-stamp and revocation services come in as arguments.
 */
import { InvalidInputError } from '../errors.js';
import { isSelfIssued, readCertificate } from '../pki/certificate-fields.js';
import { type CmsSigner, NODE_DIGEST, signAttributes, signedAttributes, signerProfile, type SignerProfile } from '../pki/signer-profile.js';
import { addAppearance, appearanceSource, type AppearanceSource } from './appearance.js';
import { maxSignedDataLength, signatureTimeStampImprint, signedDataContentInfo } from './cades-signature.js';
import { docMdpPermission, docMdpReference, setDocMdpSignature, type DocMdpPermission } from './doc-mdp.js';
import { appendDss } from './dss.js';
import { readFormFields, type FormFields } from './form-fields.js';
import { IncrementalUpdate } from './incremental-update.js';
import { openPdf, type PdfRevision } from './pdf-revision.js';
import { checkExistingSignatures } from './signature-integrity.js';
import { addSignatureField } from './signature-field.js';
import {
  digestByteRanges,
  embedContents,
  locatePlaceholder,
  PlaceholderTooSmallError,
  signatureDictionary,
  type PlacedSignature,
  type SignatureDictionaryParams,
} from './signature-placeholder.js';
import { checkTimeStampToken } from './timestamp-token.js';

/** The signer of a seal: a CMS signer. */
export type PadesSigner = CmsSigner;
export { timeStampTokenFromResponse } from './timestamp-token.js';

/** ETSI EN 319 142-1 §6.3 baseline levels. */
export type PadesLevel = 'B-B' | 'B-T' | 'B-LT' | 'B-LTA';
const LEVELS: readonly PadesLevel[] = ['B-B', 'B-T', 'B-LT', 'B-LTA'];

/** What B-T and above need from outside: a time-stamp authority and revocation information. */
export interface PadesServices {
  /** RFC 3161: returns the DER TimeStampToken (ContentInfo) over the given SHA-256 digest (the caller builds the TimeStampReq). */
  timestamp(digest: Uint8Array): Promise<Uint8Array>;
  /** OCSP responses (DER OCSPResponse) and CRLs (DER) for the given certificates, for the DSS (B-LT). */
  revocationData(certificates: Uint8Array[]): Promise<{ ocspResponses: Uint8Array[]; crls: Uint8Array[] }>;
}

/** Where a visible signature goes: a rectangle on a page, in points from the page's bottom-left corner. */
export interface SignaturePlacement {
  /** 1-based. */
  page: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface SignPdfParams {
  pdf: Uint8Array;
  signer: PadesSigner;
  level: PadesLevel;
  /** Required for B-T and above. */
  services?: PadesServices;
  /** Goes into the signature dictionary's /M only; the CMS has no signing-time attribute (ETSI EN 319 142-1 §6.3). */
  signingTime: Date;
  /** Absent: an invisible signature (a zero-size widget on page 1). */
  placement?: SignaturePlacement;
  /** A one-page PDF whose page 1 is drawn, scaled to fit, as the widget's /AP /N form XObject. */
  appearance?: Uint8Array;
  /** Text strings, written as UTF-16BE so CJK survives (ISO 32000-2 §7.9.2.2). */
  reason?: string;
  location?: string;
  name?: string;
  contactInfo?: string;
  /** A certification signature with DocMDP permission P (ISO 32000-2 §12.8.2.2); only as the document's first signature. */
  certify?: { permissions: DocMdpPermission };
  /** Default: the first free of Seal1, Seal2, … */
  fieldName?: string;
}

/**
 * Signs `params.pdf` at the requested PAdES baseline level and returns the new file: the
 * input byte for byte, followed by one incremental update per stage (signature; DSS for
 * B-LT; document time-stamp for B-LTA).
 *
 * The signature: SubFilter ETSI.CAdES.detached, Filter Adobe.PPKLite; a detached CMS with
 * signed attributes contentType, messageDigest and signing-certificate-v2, no signing-time;
 * the signer certificate and chain (without a self-signed root) in `certificates`; for B-T
 * and above an unsigned signature-time-stamp attribute over the signature value.
 *
 * @throws InvalidInputError with code `InvalidPdf`, `EncryptedPdf`, `PageOutOfRange`,
 *   `PlacementOutsidePage`, `BrokenExistingSignature`, `CertificationNotFirst`,
 *   `DocMdpForbidsSigning`, `InvalidAppearance`, `InvalidFieldName`, `FieldNameTaken`,
 *   `InvalidSignParams`, `InvalidSignerCertificate`, `UnsupportedSignerKey` or
 *   `SignerKeyMismatch`; UnavailableError `TimeStampRefused`/`TimeStampTokenInvalid` when
 *   the time-stamp service fails. Nothing partial is returned.
 */
export async function signPdf(params: SignPdfParams): Promise<Uint8Array> {
  checkParams(params);
  const input = await openPdf(params.pdf);
  const form = readFormFields(input);
  checkExistingSignatures(input.bytes, form.signatures);
  checkSigningAllowed(input, form, params.certify);
  checkPlacement(input, params.placement);
  const profile = signerProfile(params.signer);
  const fieldName = chooseFieldName(form, params.fieldName, 'Seal');
  const appearance = params.placement && params.appearance ? await appearanceSource(params.appearance) : null;

  const tokenLength = params.level === 'B-B' ? 0 : expectedTokenLength(params.services!);
  const signed = await withRoomForContents(maxSignedDataLength(profile, tokenLength), async (capacity, retry) =>
    addCadesSignature(retry ? await openPdf(params.pdf) : input, params, profile, appearance, fieldName, capacity),
  );
  let pdf = signed.pdf;
  if (params.level === 'B-LT' || params.level === 'B-LTA') {
    pdf = await addValidationData(pdf, params.services!, [...profile.allCertificates, ...signed.timeStampCertificates]);
  }
  if (params.level === 'B-LTA') {
    pdf = await addDocumentTimestamp(pdf, params.services!);
  }
  return pdf;
}

/** What a PDF looks like from outside, for callers that place signatures. */
export interface PdfSummary {
  pageCount: number;
  /** Signed signature fields, document time-stamps included. */
  signatureCount: number;
  /** Each page's crop box size in points (the media box when there is no crop box). */
  pageSizes: { width: number; height: number }[];
}

/**
 * Reads page count, page sizes and the number of signatures.
 *
 * @throws InvalidInputError `InvalidPdf` or `EncryptedPdf`.
 */
export async function inspectPdf(pdf: Uint8Array): Promise<PdfSummary> {
  const revision = await openPdf(pdf);
  const pages = revision.document.getPages();
  return {
    pageCount: pages.length,
    signatureCount: readFormFields(revision).signatures.length,
    pageSizes: pages.map((page) => {
      const { width, height } = page.getCropBox();
      return { width, height };
    }),
  };
}

// ---------------------------------------------------------------------------------------
// Stages
// ---------------------------------------------------------------------------------------

interface SignedPdf {
  pdf: Buffer;
  /** Certificates from the signature-time-stamp token, for the DSS. */
  timeStampCertificates: Uint8Array[];
}

/**
 * Prepare, digest, sign, time-stamp and embed one CAdES signature. `capacity` is the
 * /Contents room in octets.
 */
async function addCadesSignature(
  revision: PdfRevision,
  params: SignPdfParams,
  profile: SignerProfile,
  appearance: AppearanceSource | null,
  fieldName: string,
  capacity: number,
): Promise<SignedPdf> {
  const placed = prepareSignatureField(revision, {
    kind: 'signature',
    contentsCapacity: capacity,
    signingTime: params.signingTime,
    name: params.name,
    reason: params.reason,
    location: params.location,
    contactInfo: params.contactInfo,
    ...(params.certify ? { reference: docMdpReference(params.certify.permissions) } : {}),
  }, fieldName, params.placement, appearance, params.certify !== undefined);

  // Digest the byte ranges, sign the attributes that carry the digest.
  const attributes = signedAttributes(profile, digestByteRanges(placed, NODE_DIGEST[profile.digest]));
  const signature = await signAttributes(params.signer, profile, attributes);
  // B-T: time-stamp the signature value.
  let token: Uint8Array | undefined;
  let timeStampCertificates: Uint8Array[] = [];
  if (params.level !== 'B-B') {
    const imprint = signatureTimeStampImprint(signature);
    token = await params.services!.timestamp(imprint);
    timeStampCertificates = checkTimeStampToken(token, imprint).certificates;
    rememberTokenLength(params.services!, token.length);
  }
  // Embed the CMS in the hole.
  const contentInfo = signedDataContentInfo({ profile, signedAttributes: attributes, signature, ...(token ? { signatureTimeStamp: token } : {}) });
  return { pdf: embedContents(placed, contentInfo), timeStampCertificates };
}

/**
 * B-LT: the DSS update with the certificates (signer chain, TSA and its chain from the
 * token) and the revocation data the services give for every certificate that is not a
 * self-issued root.
 */
async function addValidationData(pdf: Buffer, services: PadesServices, certificates: readonly Uint8Array[]): Promise<Buffer> {
  const all = unique(certificates);
  const revocation = await services.revocationData(all.filter((der) => !isSelfIssuedRoot(der)));
  return appendDss(await openPdf(pdf), { certificates: all, ...revocation });
}

/** B-LTA: a document time-stamp (ISO 32000-2 §12.8.5, ETSI EN 319 142-1 §5.4.3) over everything so far, in an invisible field. */
async function addDocumentTimestamp(pdf: Buffer, services: PadesServices): Promise<Buffer> {
  const revision = await openPdf(pdf);
  const fieldName = chooseFieldName(readFormFields(revision), undefined, 'DocTimeStamp');
  return withRoomForContents(expectedTokenLength(services), async (capacity, retry) => {
    const placed = prepareSignatureField(retry ? await openPdf(pdf) : revision, { kind: 'document-timestamp', contentsCapacity: capacity }, fieldName, undefined, null, false);
    const digest = digestByteRanges(placed, 'sha256');
    const token = await services.timestamp(digest);
    checkTimeStampToken(token, digest);
    rememberTokenLength(services, token.length);
    return embedContents(placed, token);
  });
}

/** Stage "prepare": the incremental update with the field, its appearance and the placeholder dictionary. */
function prepareSignatureField(
  revision: PdfRevision,
  dictionaryParams: SignatureDictionaryParams,
  fieldName: string,
  placement: SignaturePlacement | undefined,
  appearance: AppearanceSource | null,
  certify: boolean,
): PlacedSignature {
  const update = new IncrementalUpdate(revision);
  const signatureRef = update.reserve();
  const dictionary = signatureDictionary(dictionaryParams);
  update.setRaw(signatureRef, dictionary.body);

  const page = revision.document.getPage(placement ? placement.page - 1 : 0);
  const appearanceRef = placement ? addAppearance(update.context, appearance, placement.width, placement.height) : undefined;
  const rect = placement
    ? ([placement.x, placement.y, placement.x + placement.width, placement.y + placement.height] as const)
    : ([0, 0, 0, 0] as const);
  addSignatureField(update, revision, { fieldName, signatureRef, page, rect, ...(appearanceRef ? { appearanceRef } : {}) });
  if (certify) {
    setDocMdpSignature(revision.catalog, signatureRef);
    update.changed(revision.catalogRef);
  }
  return locatePlaceholder(update.write(), signatureRef.objectNumber, dictionary);
}

// ---------------------------------------------------------------------------------------
// Sizing /Contents
// ---------------------------------------------------------------------------------------

/** Largest token seen per services object; the first guess covers an RSA-4096 TSA with its chain. */
const tokenLengths = new WeakMap<PadesServices, number>();
const FIRST_TOKEN_GUESS = 8192;
const HEADROOM = 512;

function expectedTokenLength(services: PadesServices): number {
  return tokenLengths.get(services) ?? FIRST_TOKEN_GUESS;
}

function rememberTokenLength(services: PadesServices, length: number): void {
  tokenLengths.set(services, Math.max(length, tokenLengths.get(services) ?? 0));
}

/**
 * Runs a stage with a /Contents hole of `expectedLength` plus headroom, and once more with
 * the exact size when the DER turned out larger (the hole must exist before the digest, a
 * time-stamp token only comes after it). The retry gets `retry = true` and must reopen its
 * input, since the first attempt changed the parsed objects.
 */
async function withRoomForContents<T>(expectedLength: number, stage: (capacity: number, retry: boolean) => Promise<T>): Promise<T> {
  try {
    return await stage(expectedLength + HEADROOM, false);
  } catch (error) {
    if (!(error instanceof PlaceholderTooSmallError)) throw error;
    return stage(error.needed + HEADROOM, true);
  }
}

// ---------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------

function checkParams(params: SignPdfParams): void {
  if (!(params.pdf instanceof Uint8Array)) badParams('pdf must be a Uint8Array');
  if (!LEVELS.includes(params.level)) badParams(`level must be one of ${LEVELS.join(', ')}`);
  if (params.level !== 'B-B' && !params.services) badParams(`${params.level} needs services (a time-stamp authority and revocation data)`);
  if (!(params.signingTime instanceof Date) || Number.isNaN(params.signingTime.getTime())) badParams('signingTime must be a valid Date');
  if (params.certify && ![1, 2, 3].includes(params.certify.permissions)) badParams('certify.permissions must be 1, 2 or 3');
  if (params.appearance && !params.placement) badParams('an appearance needs a placement');
}

function badParams(message: string): never {
  throw new InvalidInputError('InvalidSignParams', message);
}

/** ISO 32000-2 §12.8.2.2: a certification signature comes first, and DocMDP P=1 allows no further signature. */
function checkSigningAllowed(revision: PdfRevision, form: FormFields, certify: SignPdfParams['certify']): void {
  if (certify && form.signatures.length > 0) {
    throw new InvalidInputError('CertificationNotFirst', 'a certification signature must be the document\'s first signature');
  }
  if (docMdpPermission(revision) === 1) {
    throw new InvalidInputError('DocMdpForbidsSigning', 'the document is certified with DocMDP P=1: no further signature is allowed');
  }
}

function checkPlacement(revision: PdfRevision, placement: SignaturePlacement | undefined): void {
  if (!placement) return;
  const pageCount = revision.document.getPageCount();
  if (!Number.isInteger(placement.page) || placement.page < 1 || placement.page > pageCount) {
    throw new InvalidInputError('PageOutOfRange', `page ${placement.page} does not exist; the document has ${pageCount}`, { details: { pageCount } });
  }
  const { x, y, width, height } = placement;
  const box = revision.document.getPage(placement.page - 1).getCropBox();
  const tolerance = 0.01;
  const inside =
    [x, y, width, height].every(Number.isFinite) &&
    width > 0 &&
    height > 0 &&
    x >= box.x - tolerance &&
    y >= box.y - tolerance &&
    x + width <= box.x + box.width + tolerance &&
    y + height <= box.y + box.height + tolerance;
  if (!inside) {
    throw new InvalidInputError('PlacementOutsidePage', `the rectangle [${x} ${y} ${width}×${height}] is not inside page ${placement.page} (${box.width}×${box.height})`);
  }
}

/** A fully qualified name no field has yet (ISO 32000-2 §12.7.4.2: a period separates name parts). */
function chooseFieldName(form: FormFields, requested: string | undefined, prefix: string): string {
  if (requested !== undefined) {
    if (!requested || requested.includes('.') || requested.length > 200) {
      throw new InvalidInputError('InvalidFieldName', 'a field name is 1 to 200 characters without a period');
    }
    if (form.names.has(requested)) throw new InvalidInputError('FieldNameTaken', `the document already has a field '${requested}'`);
    return requested;
  }
  for (let n = 1; ; n++) {
    if (!form.names.has(`${prefix}${n}`)) return `${prefix}${n}`;
  }
}

/** A certificate nobody publishes revocation data for; one that cannot be read is asked about anyway. */
function isSelfIssuedRoot(der: Uint8Array): boolean {
  try {
    return isSelfIssued(readCertificate(der));
  } catch {
    return false;
  }
}

function unique(items: readonly Uint8Array[]): Uint8Array[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = Buffer.from(item.buffer, item.byteOffset, item.byteLength).toString('base64');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
