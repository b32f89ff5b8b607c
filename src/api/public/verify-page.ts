import { LICENCE_STATUS_NAMES, type LicenceStatus } from '../../licences/licence-status.js';
import type { ModificationKind, RevocationStatusSummary, SubIndication } from '../../validation/validation-report.js';
import type { PageLanguage } from './citizen-page.js';
import { escapeHtml } from './html.js';

/**
 * The verify page for accepting departments: a static shell (this module) and a small plain
 * script (VERIFY_PAGE_JS) that sends the dropped PDF to POST /api/v1/verify with the
 * department's API key and renders the answer for a person. The page holds no data of its
 * own, so it can be served to anyone; the API key never leaves the tab's sessionStorage
 * except as the Authorization header of that one request.
 */

const STATUS_EN: Record<LicenceStatus, string> = {
  valid: 'Valid',
  suspended: 'Suspended',
  revoked: 'Revoked',
  cancelled: 'Cancelled',
  expired: 'Expired',
  superseded: 'Replaced by a newer version',
};

/** ETSI EN 319 102-1 §5.1.3 sub-indications, said for a person. */
const SUB_INDICATIONS: Record<PageLanguage, Record<SubIndication, string>> = {
  zh: {
    FORMAT_FAILURE: '签名格式不正确，无法解析',
    HASH_FAILURE: '签名后文件内容被改动（摘要不符）',
    SIG_CRYPTO_FAILURE: '签名值验证失败',
    REVOKED: '签章证书已被吊销',
    EXPIRED: '签名时签章证书已过期',
    NOT_YET_VALID: '签名时签章证书尚未生效',
    SIG_CONSTRAINTS_FAILURE: '签名后文件有不允许的修改',
    CHAIN_CONSTRAINTS_FAILURE: '证书链不符合验证策略',
    CERTIFICATE_CHAIN_GENERAL_FAILURE: '证书链无法验证',
    CRYPTO_CONSTRAINTS_FAILURE: '所用密码算法不再被接受',
    TIMESTAMP_ORDER_FAILURE: '时间戳顺序不一致',
    NO_SIGNING_CERTIFICATE_FOUND: '找不到签章证书',
    NO_CERTIFICATE_CHAIN_FOUND: '签章证书不能追溯到受信任的根证书',
    REVOKED_NO_POE: '签章证书已被吊销，且无法证明签名早于吊销',
    REVOKED_CA_NO_POE: '上级证书已被吊销，且无法证明签名早于吊销',
    OUT_OF_BOUNDS_NO_POE: '签章证书已过有效期，且没有时间戳证明签名时证书有效',
    OUT_OF_BOUNDS_NOT_REVOKED: '签章证书已过有效期（未被吊销），且没有时间戳证明签名时间',
    REVOCATION_OUT_OF_BOUNDS_NO_POE: '证书状态信息不在有效期内',
    TRY_LATER: '暂时无法取得证书状态，请稍后再试',
    SIGNED_DATA_NOT_FOUND: '找不到签名所覆盖的数据',
  },
  en: {
    FORMAT_FAILURE: 'The signature is malformed and cannot be read',
    HASH_FAILURE: 'The document was changed after it was signed (digest mismatch)',
    SIG_CRYPTO_FAILURE: 'The signature value does not verify',
    REVOKED: 'The signing certificate has been revoked',
    EXPIRED: 'The signing certificate had expired when the document was signed',
    NOT_YET_VALID: 'The signing certificate was not yet valid when the document was signed',
    SIG_CONSTRAINTS_FAILURE: 'The document was changed after signing in a way no rule allows',
    CHAIN_CONSTRAINTS_FAILURE: 'The certificate chain does not meet the validation policy',
    CERTIFICATE_CHAIN_GENERAL_FAILURE: 'The certificate chain cannot be validated',
    CRYPTO_CONSTRAINTS_FAILURE: 'The algorithms used are no longer accepted',
    TIMESTAMP_ORDER_FAILURE: 'The time-stamps are in an inconsistent order',
    NO_SIGNING_CERTIFICATE_FOUND: 'The signing certificate cannot be found',
    NO_CERTIFICATE_CHAIN_FOUND: 'The signing certificate does not lead to a trusted root',
    REVOKED_NO_POE: 'The signing certificate is revoked and nothing proves the signature came earlier',
    REVOKED_CA_NO_POE: 'An issuing certificate is revoked and nothing proves the signature came earlier',
    OUT_OF_BOUNDS_NO_POE: 'The signing certificate has expired and no time-stamp proves it was valid at signing',
    OUT_OF_BOUNDS_NOT_REVOKED: 'The signing certificate has expired (not revoked) and no time-stamp proves the signing time',
    REVOCATION_OUT_OF_BOUNDS_NO_POE: 'The certificate status information is out of its validity period',
    TRY_LATER: 'The certificate status is not available right now; try again later',
    SIGNED_DATA_NOT_FOUND: 'The data the signature covers cannot be found',
  },
};

/** Kinds of change after signing ({@link ModificationKind}), said for a person. */
const CHANGE_KINDS: Record<PageLanguage, Record<ModificationKind, string>> = {
  zh: {
    signature: '后加的签章',
    'document-timestamp': '文档时间戳',
    dss: '验证数据（DSS）',
    'form-fill': '表单填写',
    annotation: '批注',
    metadata: '元数据',
    'unreferenced-object': '未被引用的对象',
    'page-content': '页面内容',
    page: '页面',
    catalog: '文档目录',
    resources: '页面资源',
    'deleted-object': '删除对象',
    'signature-removed': '签章被移除',
    structure: '文件结构',
  },
  en: {
    signature: 'a later signature',
    'document-timestamp': 'a document time-stamp',
    dss: 'validation data (DSS)',
    'form-fill': 'form filling',
    annotation: 'an annotation',
    metadata: 'metadata',
    'unreferenced-object': 'an unreferenced object',
    'page-content': 'page content',
    page: 'a page',
    catalog: 'the document catalog',
    resources: 'page resources',
    'deleted-object': 'a deleted object',
    'signature-removed': 'a signature removed',
    structure: 'the file structure',
  },
};

/** Where a certificate status came from ({@link RevocationStatusSummary.source}). */
const REVOCATION_SOURCES: Record<PageLanguage, Record<string, string>> = {
  zh: {
    service: '本地区证书状态服务',
    'dss-ocsp': '文件内嵌的 OCSP 应答（DSS）',
    'dss-crl': '文件内嵌的 CRL（DSS）',
    'cms-ocsp': '签名内嵌的 OCSP 应答',
    'cms-crl': '签名内嵌的 CRL',
  },
  en: {
    service: 'this region’s certificate status service',
    'dss-ocsp': 'OCSP response embedded in the document (DSS)',
    'dss-crl': 'CRL embedded in the document (DSS)',
    'cms-ocsp': 'OCSP response inside the signature',
    'cms-crl': 'CRL inside the signature',
  },
};

/** What the verify endpoint's refusals mean, by problem code; the server's own detail is shown under it. */
const ERROR_CODES: Record<PageLanguage, Record<string, string>> = {
  zh: {
    MissingCredentials: '没有提供 API 密钥。',
    MalformedCredentials: 'API 密钥格式不正确。',
    InvalidCredentials: 'API 密钥不正确。',
    CredentialExpired: 'API 密钥已过期。',
    CredentialRevoked: 'API 密钥已被停用。',
    DepartmentDisabled: '本部门已被停用。',
    RoleRequired: '本部门没有核验权限。',
    UnusablePdf: '文件不是可以读取的 PDF。',
    InvalidPdf: '文件不是可以读取的 PDF。',
    EncryptedPdf: 'PDF 文件已加密，无法核验。',
    PdfTooLarge: '文件过大，无法核验。',
    PayloadTooLarge: '文件过大，无法核验。',
    UnsupportedMediaType: '请上传 PDF 文件。',
  },
  en: {
    MissingCredentials: 'No API key was sent.',
    MalformedCredentials: 'The API key is not well formed.',
    InvalidCredentials: 'The API key is not right.',
    CredentialExpired: 'The API key has expired.',
    CredentialRevoked: 'The API key has been revoked.',
    DepartmentDisabled: 'Your department has been disabled.',
    RoleRequired: 'Your department may not verify documents.',
    UnusablePdf: 'The file is not a readable PDF.',
    InvalidPdf: 'The file is not a readable PDF.',
    EncryptedPdf: 'The PDF is encrypted and cannot be verified.',
    PdfTooLarge: 'The file is too large to verify.',
    PayloadTooLarge: 'The file is too large to verify.',
    UnsupportedMediaType: 'Upload a PDF file.',
  },
};

/** Every word the page and its script show, in both languages; the script gets its half as JSON. */
const TEXT = {
  zh: {
    title: '签章文件核验',
    intro: '供受理部门核验电子证照和电子签章 PDF：文件只发送到本服务核验，不会保存。',
    keyLabel: '本部门 API 密钥',
    keyNote: '密钥只保存在本浏览器标签页中（sessionStorage），关闭标签页即清除。',
    forgetKey: '清除密钥',
    drop: '将 PDF 文件拖放到此处，或点击选择文件',
    submit: '核验',
    switchTo: 'English',
    footer: '核验依据本地区的受信任根证书和证照库实时状态，不依赖外部网络。',
    noScript: '本页面需要启用 JavaScript。',
    // Used by the script.
    needKey: '请先填写本部门的 API 密钥。',
    badKeyFormat: 'API 密钥格式不正确（只能包含可见的英文字符）。',
    chooseFile: '请选择或拖入一个 PDF 文件。',
    pending: '正在核验：',
    network: '无法连接核验服务，请检查网络后重试。',
    errorTitle: '无法核验',
    errorCode: '错误代码',
    httpStatus: 'HTTP 状态',
    hint401: '请检查 API 密钥是否正确、是否已被停用。',
    hint403: '本部门没有核验权限，请联系管理员。',
    unexpected: '服务返回了无法识别的答复。',
    file: '文件',
    verdict: { valid: '有效', 'not-valid': '无效', indeterminate: '无法确定' },
    validNote: '文件中的全部签章验证通过。',
    validLicenceNote: '全部签章验证通过，且是证照库中当前有效、由发证机关签发的文件。',
    notValidNote: '不能作为有效文件接受。原因：',
    indeterminateNote: '目前无法确认文件是否有效。原因：',
    noSignatures: '文件中没有签章。',
    signatureProblem: '签章 {n}：{what}',
    unknownLicence: '证照库中没有这个电子证照标识。',
    licenceStatus: '证照当前状态：{status}',
    fileDifferent: '不是发证机关签发的那个文件（签署内容不同）。',
    licenceHeading: '证照库信息',
    licenceName: '证照名称',
    identifier: '电子证照标识',
    issuer: '发证机关',
    status: '当前状态',
    issuedFile: '是否为签发文件',
    fileState: {
      identical: '是，与签发文件完全一致',
      extended: '是签发文件，但其后有追加内容（见各签章的“签名后修改”）',
      different: '否，不是签发的文件',
    },
    supersededBy: '已被新版本替代',
    unknown: '证照库中无此标识',
    statusNames: LICENCE_STATUS_NAMES,
    documentHeading: '文件信息',
    pages: '页数',
    revisions: '修订版本数',
    signatureCount: '签章数',
    sha256: 'SHA-256',
    validationTime: '核验时间',
    warnings: '提示',
    signature: '签章',
    documentTimestamp: '文档时间戳',
    kind: '类型',
    field: '签名域',
    signer: '签章人',
    organisation: '单位',
    sealCode: '印章编码',
    certificateSerial: '证书序列号',
    result: '结果',
    indication: { PASSED: '通过', FAILED: '未通过', INDETERMINATE: '无法确定' },
    timestamp: '时间戳时间',
    timestampInvalid: '（时间戳无效）',
    noTimestamp: '无',
    claimedTime: '签名者声称的签名时间',
    level: '签名级别',
    noLevel: '未达到基础级别',
    chain: '证书链',
    trustAnchor: '信任锚',
    noTrustAnchor: '未能追溯到受信任的根证书',
    revocationAtSigning: '签名时的证书状态',
    revocationNow: '当前证书状态',
    revocation: { good: '正常', revoked: '已吊销', unknown: '未知', unavailable: '无法获取', 'not-checked': '未检查' },
    notEmbedded: '文件中未嵌入（B-LT 及以上级别才嵌入签名时的状态信息）',
    serviceUnavailable: '暂时无法获取',
    serverSays: '服务说明：',
    revokedAt: '吊销时间',
    source: '来源',
    producedAt: '出具时间',
    coverage: '签名覆盖范围',
    coversWhole: '签署时的整个文件（第 {n} 个修订版本）',
    coversPart: '未覆盖签署时的整个文件',
    changesAfter: '签名后修改',
    noChanges: '无',
    allowed: '允许',
    notAllowed: '不允许',
    changesVerdict: { none: '无', allowed: '只有允许的修改', disallowed: '有不允许的修改' },
    revision: '修订版本',
    errors: '错误',
    technical: '技术原因',
    beijingTime: '北京时间',
  },
  en: {
    title: 'Verify a sealed PDF',
    intro: 'For accepting departments: check an e-licence or any sealed PDF. The file is sent only to this service for checking and is not kept.',
    keyLabel: 'Your department’s API key',
    keyNote: 'The key is kept only in this browser tab (sessionStorage) and is gone when the tab is closed.',
    forgetKey: 'Forget key',
    drop: 'Drop a PDF here, or click to choose a file',
    submit: 'Verify',
    switchTo: '中文',
    footer: 'Checked against this region’s trust anchors and the live licence registry; no outside network is needed.',
    noScript: 'This page needs JavaScript.',
    needKey: 'Enter your department’s API key first.',
    badKeyFormat: 'The API key is not well formed (visible ASCII characters only).',
    chooseFile: 'Choose or drop a PDF file.',
    pending: 'Verifying: ',
    network: 'The verification service cannot be reached; check the network and try again.',
    errorTitle: 'Cannot verify',
    errorCode: 'Error code',
    httpStatus: 'HTTP status',
    hint401: 'Check that the API key is right and has not been revoked.',
    hint403: 'Your department may not verify documents; ask an administrator.',
    unexpected: 'The service gave an answer this page does not understand.',
    file: 'File',
    verdict: { valid: 'Valid', 'not-valid': 'Not valid', indeterminate: 'Indeterminate' },
    validNote: 'Every signature in the document checks out.',
    validLicenceNote: 'Every signature checks out, and this is the file the authority issued, in force in the licence registry.',
    notValidNote: 'Do not accept this document. Why:',
    indeterminateNote: 'Whether this document is valid cannot be told now. Why:',
    noSignatures: 'The document carries no signature.',
    signatureProblem: 'Signature {n}: {what}',
    unknownLicence: 'The licence registry does not know this e-licence identifier.',
    licenceStatus: 'The licence is now: {status}',
    fileDifferent: 'This is not the file the authority issued (the signed content differs).',
    licenceHeading: 'Licence registry',
    licenceName: 'Licence',
    identifier: 'E-licence identifier',
    issuer: 'Issued by',
    status: 'Status now',
    issuedFile: 'The file issued?',
    fileState: {
      identical: 'Yes, byte for byte',
      extended: 'Yes, with later additions (see “Changes after signing” below)',
      different: 'No, not the file issued',
    },
    supersededBy: 'Replaced by',
    unknown: 'Not in the registry',
    statusNames: STATUS_EN,
    documentHeading: 'Document',
    pages: 'Pages',
    revisions: 'Revisions',
    signatureCount: 'Signatures',
    sha256: 'SHA-256',
    validationTime: 'Checked at',
    warnings: 'Notes',
    signature: 'Signature',
    documentTimestamp: 'Document time-stamp',
    kind: 'Kind',
    field: 'Signature field',
    signer: 'Signer',
    organisation: 'Organisation',
    sealCode: 'Seal code',
    certificateSerial: 'Certificate serial',
    result: 'Result',
    indication: { PASSED: 'Passed', FAILED: 'Failed', INDETERMINATE: 'Indeterminate' },
    timestamp: 'Time-stamp',
    timestampInvalid: ' (time-stamp not valid)',
    noTimestamp: 'none',
    claimedTime: 'Signing time claimed by the signer',
    level: 'Signature level',
    noLevel: 'no baseline level reached',
    chain: 'Certificate chain',
    trustAnchor: 'Trust anchor',
    noTrustAnchor: 'no trusted root reached',
    revocationAtSigning: 'Certificate status at signing',
    revocationNow: 'Certificate status now',
    revocation: { good: 'good', revoked: 'revoked', unknown: 'unknown', unavailable: 'not available', 'not-checked': 'not checked' },
    notEmbedded: 'not embedded in the document (levels B-LT and up embed it)',
    serviceUnavailable: 'not available right now',
    serverSays: 'The service says: ',
    revokedAt: 'revoked at',
    source: 'source',
    producedAt: 'issued at',
    coverage: 'What the signature covers',
    coversWhole: 'the whole document as signed (revision {n})',
    coversPart: 'not the whole document as signed',
    changesAfter: 'Changes after signing',
    noChanges: 'none',
    allowed: 'allowed',
    notAllowed: 'not allowed',
    changesVerdict: { none: 'none', allowed: 'only allowed changes', disallowed: 'changes that are not allowed' },
    revision: 'revision',
    errors: 'Errors',
    technical: 'Technical reasons',
    beijingTime: 'Beijing time',
  },
} as const;

const escape = escapeHtml;

/** The page shell; the script reads its language from `data-lang` on <html>. */
export function verifyPage(lang: PageLanguage): string {
  const t = TEXT[lang];
  const other = lang === 'zh' ? 'en' : 'zh';
  return `<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}" data-lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>${escape(t.title)}</title>
<link rel="stylesheet" href="/assets/check.css">
<link rel="stylesheet" href="/assets/verify.css">
<script src="/assets/verify.js" defer></script>
</head>
<body>
<main class="wide">
<header><h1>${escape(t.title)}</h1><a class="lang" href="/verify${other === 'en' ? '?lang=en' : ''}">${escape(t.switchTo)}</a></header>
<p class="intro">${escape(t.intro)}</p>
<noscript><p class="problem">${escape(t.noScript)}</p></noscript>
<form id="verify-form" class="panel" autocomplete="off">
<label for="api-key">${escape(t.keyLabel)}</label>
<div class="key-row"><input type="password" id="api-key" name="api-key" spellcheck="false" autocomplete="off"><button type="button" id="forget-key" class="secondary">${escape(t.forgetKey)}</button></div>
<p class="note">${escape(t.keyNote)}</p>
<label class="drop" id="drop" for="pdf-file"><span>${escape(t.drop)}</span><span id="file-name" class="file-name"></span></label>
<input type="file" id="pdf-file" name="file" accept="application/pdf,.pdf" class="visually-hidden">
<button type="submit" id="verify-button">${escape(t.submit)}</button>
</form>
<div id="result" aria-live="polite" data-state="idle"></div>
<footer>${escape(t.footer)}</footer>
</main>
</body>
</html>`;
}

/** What the page adds to /assets/check.css. */
export const VERIFY_PAGE_CSS = `main.wide{max-width:48rem}
.intro{color:#3c4047;margin:.3rem 0 .8rem}
.panel{background:#fff;border-radius:.8rem;padding:1rem;margin:.8rem 0;display:flex;flex-direction:column;gap:.5rem}
.panel label{font-weight:600}
.key-row{display:flex;gap:.5rem}.key-row input{flex:1}
.note{font-size:.8rem;color:#5b6068;margin:0}
.drop{margin:.3rem 0}.file-name{display:block;margin-top:.4rem;font-weight:600;word-break:break-all}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
button{font:inherit;padding:.5rem 1.2rem;border-radius:.5rem;border:0;background:#2457c5;color:#fff;cursor:pointer;align-self:flex-start}
button.secondary{background:#e4e7ec;color:#1d1f23}
.pending{background:#fff;border-radius:.8rem;padding:1rem}
.problem{background:#fdecea;border:1px solid #b3261e;color:#7a1a14;border-radius:.8rem;padding:1rem}
.problem h2{margin:0 0 .4rem;font-size:1.2rem}.problem p{margin:.2rem 0}
.verdict ul{margin:.4rem 0 0;padding-left:1.2rem}
.verdict .file{font-size:.85rem;opacity:.9;word-break:break-all}
section.facts{background:#fff;border-radius:.8rem;padding:.6rem 1rem;margin:.8rem 0}
section.facts h3{margin:.2rem 0;font-size:1rem}section.facts dl{padding:0;margin:0}
details dl{padding:0;margin:.4rem 0}
summary .chip{margin-left:.5rem}
.chip{display:inline-block;border-radius:1rem;padding:0 .6rem;font-size:.85rem;color:#fff;font-weight:600}
.chip.ok{background:#137a3a}.chip.warn{background:#b86b00}.chip.bad{background:#b3261e}
dd ul{margin:0;padding-left:1.1rem}dd li{margin:.1rem 0}
.code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85em}
.change-bad{color:#b3261e}
.wide dd{word-break:normal;overflow-wrap:anywhere}
.problem .detail{font-size:.85rem;opacity:.85}
`;

/**
 * The page's script. Plain ES2020 in a string, not compiled TypeScript: the service runs
 * under tsx, whose keep-names transform would put helper calls into a serialised function.
 * Every piece of data reaches the DOM through textContent.
 */
export const VERIFY_PAGE_JS = `'use strict';
(() => {
  const TEXT = ${JSON.stringify(Object.fromEntries((['zh', 'en'] as const).map((l) => [l, { ...TEXT[l], sub: SUB_INDICATIONS[l], changeKinds: CHANGE_KINDS[l], sources: REVOCATION_SOURCES[l], codes: ERROR_CODES[l] }])))};
  const lang = document.documentElement.dataset.lang === 'en' ? 'en' : 'zh';
  const t = TEXT[lang];
  const KEY_STORE = 'elt.verify.apiKey';
  const TOKEN = /^[\\x21-\\x7e]+$/;

  const $ = (id) => document.getElementById(id);
  const form = $('verify-form');
  const keyInput = $('api-key');
  const fileInput = $('pdf-file');
  const drop = $('drop');
  const fileName = $('file-name');
  const result = $('result');
  let chosen = null;
  let running = null;

  const store = {
    get() { try { return sessionStorage.getItem(KEY_STORE) || ''; } catch { return ''; } },
    set(value) { try { if (value) sessionStorage.setItem(KEY_STORE, value); else sessionStorage.removeItem(KEY_STORE); } catch { /* storage off: the field still works */ } },
  };

  const fill = (template, values) => template.replace(/\\{(\\w+)\\}/g, (_, name) => String(values[name]));

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /** A <dl> of label/value rows; values are text or nodes, empty ones are left out. */
  function rows(pairs) {
    const dl = el('dl');
    for (const [label, value] of pairs) {
      if (value === undefined || value === null || value === '') continue;
      const row = el('div');
      row.append(el('dt', null, label));
      const dd = el('dd');
      if (value instanceof Node) dd.append(value); else dd.textContent = String(value);
      row.append(dd);
      dl.append(row);
    }
    return dl;
  }

  function list(items, className) {
    const ul = el('ul', className);
    for (const item of items) {
      if (item instanceof Node) { const li = el('li'); li.append(item); ul.append(li); } else ul.append(el('li', null, item));
    }
    return ul;
  }

  /** ISO 8601 instant as Beijing time (UTC+8, no daylight saving), the same for every reader. */
  function when(iso) {
    if (!iso) return null;
    const time = Date.parse(iso);
    if (Number.isNaN(time)) return String(iso);
    return new Date(time + 8 * 3600 * 1000).toISOString().slice(0, 19).replace('T', ' ') + ' (' + t.beijingTime + ')';
  }

  const toneOfVerdict = (verdict) => (verdict === 'valid' ? 'ok' : verdict === 'not-valid' ? 'bad' : 'warn');
  const toneOfIndication = (indication) => (indication === 'PASSED' ? 'ok' : indication === 'FAILED' ? 'bad' : 'warn');

  function indicationWords(indication, subIndication) {
    const main = t.indication[indication] || indication;
    if (!subIndication) return main;
    return main + ' – ' + (t.sub[subIndication] || subIndication) + ' (' + subIndication + ')';
  }

  function reasonsInWords(body) {
    const out = [];
    const report = body.report;
    const licence = body.licence;
    const signatures = Array.isArray(report.signatures) ? report.signatures : [];
    if (signatures.length === 0) out.push(t.noSignatures);
    for (const signature of signatures) {
      if (signature.indication === 'PASSED') continue;
      const what = (signature.subIndication && t.sub[signature.subIndication]) || t.indication[signature.indication] || signature.indication;
      out.push(fill(t.signatureProblem, { n: signature.index + 1, what }));
    }
    if (licence) {
      if (!licence.known) out.push(t.unknownLicence);
      else if (licence.status && licence.status !== 'valid') out.push(fill(t.licenceStatus, { status: t.statusNames[licence.status] || licence.status }));
      if (licence.file === 'different') out.push(t.fileDifferent);
    }
    if (out.length === 0 && Array.isArray(body.reasons)) out.push(...body.reasons);
    return out;
  }

  function verdictSection(body, name) {
    const tone = toneOfVerdict(body.verdict);
    const section = el('section', 'verdict ' + tone);
    section.setAttribute('role', 'status');
    section.dataset.verdict = body.verdict;
    const mark = el('p', 'mark', tone === 'ok' ? '✓' : tone === 'bad' ? '✕' : '?');
    mark.setAttribute('aria-hidden', 'true');
    section.append(mark, el('h2', null, t.verdict[body.verdict] || body.verdict));
    if (body.verdict === 'valid') {
      section.append(el('p', null, body.licence ? t.validLicenceNote : t.validNote));
    } else {
      section.append(el('p', null, body.verdict === 'not-valid' ? t.notValidNote : t.indeterminateNote));
      section.append(list(reasonsInWords(body), 'reasons'));
    }
    section.append(el('p', 'file', t.file + ': ' + name));
    return section;
  }

  function licenceSection(licence) {
    const section = el('section', 'facts licence');
    section.append(el('h3', null, t.licenceHeading));
    if (!licence.known) {
      section.append(rows([[t.identifier, licence.identifier], [t.status, t.unknown]]));
      return section;
    }
    section.append(rows([
      [t.licenceName, licence.typeName],
      [t.identifier, licence.identifier],
      [t.issuer, licence.issuer],
      [t.status, licence.status ? t.statusNames[licence.status] || licence.status : null],
      [t.issuedFile, licence.file ? t.fileState[licence.file] || licence.file : null],
      [t.supersededBy, licence.supersededBy],
    ]));
    return section;
  }

  function revocationText(summary) {
    if (!summary) return null;
    if (summary.status === 'unavailable') return summary.source ? t.serviceUnavailable : t.notEmbedded;
    let text = t.revocation[summary.status] || summary.status;
    const extra = [];
    if (summary.revokedAt) extra.push(t.revokedAt + ' ' + when(summary.revokedAt));
    if (summary.reason) extra.push(summary.reason);
    if (summary.source) extra.push(t.source + ': ' + (t.sources[summary.source] || summary.source));
    if (summary.producedAt) extra.push(t.producedAt + ' ' + when(summary.producedAt));
    if (extra.length) text += ' (' + extra.join('; ') + ')';
    return text;
  }

  function changesNode(modifications) {
    if (!modifications || !Array.isArray(modifications.changes) || modifications.changes.length === 0) return t.noChanges;
    const wrap = el('div');
    wrap.append(el('p', modifications.classification === 'disallowed' ? 'change-bad' : null, t.changesVerdict[modifications.classification] || modifications.classification));
    wrap.append(list(modifications.changes.map((change) => {
      const item = el('span', change.allowed ? null : 'change-bad');
      item.textContent = '[' + (change.allowed ? t.allowed : t.notAllowed) + '] ' + (t.changeKinds[change.kind] || change.kind) + ' – ' + change.description + ' (' + t.revision + ' ' + change.revision + ')';
      return item;
    })));
    return wrap;
  }

  function signatureDetails(signature) {
    const details = el('details', 'signature');
    details.dataset.indication = signature.indication;
    const summary = el('summary');
    const who = signature.signer ? signature.signer.commonName || signature.signer.subject : '—';
    summary.append(document.createTextNode((signature.kind === 'document-timestamp' ? t.documentTimestamp : t.signature) + ' ' + (signature.index + 1) + ': ' + who));
    summary.append(el('span', 'chip ' + toneOfIndication(signature.indication), t.indication[signature.indication] || signature.indication));
    details.append(summary);
    const signer = signature.signer || {};
    const chain = signature.chain || { certificates: [], trustAnchor: null };
    const anchor = chain.trustAnchor;
    const timestamp = signature.timestamp
      ? when(signature.timestamp.time) + ' – ' + signature.timestamp.tsa + (signature.timestamp.valid ? '' : t.timestampInvalid)
      : t.noTimestamp;
    const coverage = signature.coverage
      ? signature.coverage.coversWholeRevision ? fill(t.coversWhole, { n: signature.coverage.revision + 1 }) : t.coversPart
      : null;
    details.append(rows([
      [t.kind, signature.kind === 'document-timestamp' ? t.documentTimestamp : t.signature],
      [t.field, signature.fieldName],
      [t.signer, signer.commonName],
      [t.organisation, signer.organisation],
      [t.sealCode, signer.sealCode],
      [t.certificateSerial, signer.serialNumber],
      [t.result, indicationWords(signature.indication, signature.subIndication)],
      [t.timestamp, timestamp],
      [t.claimedTime, when(signature.claimedSigningTime)],
      [t.level, signature.kind === 'document-timestamp' ? null : signature.level ? 'PAdES ' + signature.level : t.noLevel],
      [t.trustAnchor, anchor ? (anchor.name ? anchor.name + ' – ' : '') + anchor.subject : t.noTrustAnchor],
      [t.chain, Array.isArray(chain.certificates) && chain.certificates.length ? list(chain.certificates.map((c) => c.subject)) : null],
      [t.revocationAtSigning, signature.revocation ? revocationText(signature.revocation.atSigning) : null],
      [t.revocationNow, signature.revocation ? revocationText(signature.revocation.now) : null],
      [t.coverage, coverage],
      [t.changesAfter, changesNode(signature.modificationsAfter)],
      [t.errors, Array.isArray(signature.errors) && signature.errors.length ? list(signature.errors) : null],
      [t.warnings, Array.isArray(signature.warnings) && signature.warnings.length ? list(signature.warnings) : null],
    ]));
    return details;
  }

  function documentDetails(body) {
    const report = body.report;
    const doc = report.document || {};
    const details = el('details', 'document');
    details.append(el('summary', null, t.documentHeading));
    details.append(rows([
      [t.pages, doc.pages],
      [t.revisions, doc.revisions],
      [t.signatureCount, doc.signatures],
      [t.sha256, doc.sha256 ? el('span', 'code', doc.sha256) : null],
      [t.validationTime, when(report.validationTime)],
      [t.result, indicationWords(report.indication, report.subIndication)],
      [t.technical, Array.isArray(body.reasons) && body.reasons.length ? list(body.reasons) : null],
      [t.warnings, Array.isArray(report.warnings) && report.warnings.length ? list(report.warnings) : null],
    ]));
    return details;
  }

  function render(body, name) {
    const parts = [verdictSection(body, name)];
    if (body.licence) parts.push(licenceSection(body.licence));
    for (const signature of body.report.signatures || []) parts.push(signatureDetails(signature));
    parts.push(documentDetails(body));
    result.replaceChildren(...parts);
    result.dataset.verdict = body.verdict;
    result.dataset.state = 'done';
  }

  function showProblem(message, status, problem) {
    const box = el('section', 'problem');
    box.setAttribute('role', 'alert');
    box.append(el('h2', null, t.errorTitle));
    box.append(el('p', null, message));
    const hint = status ? t['hint' + status] : null;
    if (hint && hint !== message) box.append(el('p', null, hint));
    if (problem && problem.detail && problem.detail !== message) box.append(el('p', 'detail', t.serverSays + problem.detail));
    const facts = [];
    if (problem && problem.code) facts.push([t.errorCode, el('span', 'code', problem.code)]);
    if (status) facts.push([t.httpStatus, status]);
    if (facts.length) box.append(rows(facts));
    if (problem && problem.code) box.dataset.code = problem.code;
    result.replaceChildren(box);
    delete result.dataset.verdict;
    result.dataset.state = 'error';
  }

  async function verify(file) {
    const key = keyInput.value.trim();
    if (!key) { showProblem(t.needKey, null, null); keyInput.focus(); return; }
    if (!TOKEN.test(key)) { showProblem(t.badKeyFormat, null, null); keyInput.focus(); return; }
    if (running) running.abort();
    const controller = new AbortController();
    running = controller;
    const pending = el('p', 'pending', t.pending + file.name);
    result.replaceChildren(pending);
    delete result.dataset.verdict;
    result.dataset.state = 'pending';
    result.setAttribute('aria-busy', 'true');
    try {
      let response;
      try {
        response = await fetch('/api/v1/verify', {
          method: 'POST',
          headers: { 'Content-Type': 'application/pdf', Accept: 'application/json', Authorization: 'Bearer ' + key },
          body: file,
          signal: controller.signal,
          credentials: 'omit',
          cache: 'no-store',
        });
      } catch (error) {
        if (controller.signal.aborted) return;
        showProblem(t.network, null, null);
        return;
      }
      let body = null;
      try { body = await response.json(); } catch { body = null; }
      if (running !== controller) return;
      if (response.ok && body && body.report && body.verdict) render(body, file.name);
      else if (body && typeof body.code === 'string') showProblem(t.codes[body.code] || body.detail || body.title || t.unexpected, response.status, body);
      else showProblem(t.unexpected, response.status, null);
    } finally {
      if (running === controller) { running = null; result.removeAttribute('aria-busy'); }
    }
  }

  function choose(file) {
    if (!file) return;
    chosen = file;
    fileName.textContent = file.name;
    void verify(file);
  }

  keyInput.value = store.get();
  keyInput.addEventListener('input', () => store.set(keyInput.value.trim()));
  $('forget-key').addEventListener('click', () => { keyInput.value = ''; store.set(''); keyInput.focus(); });
  fileInput.addEventListener('change', () => { if (fileInput.files && fileInput.files[0]) choose(fileInput.files[0]); });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (chosen) void verify(chosen); else showProblem(t.chooseFile, null, null);
  });
  for (const type of ['dragenter', 'dragover']) {
    drop.addEventListener(type, (event) => { event.preventDefault(); drop.classList.add('over'); });
  }
  for (const type of ['dragleave', 'dragend']) drop.addEventListener(type, () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    const files = event.dataTransfer && event.dataTransfer.files;
    if (files && files[0]) choose(files[0]);
  });
  // A file dropped next to the zone should not make the browser navigate away to it.
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => event.preventDefault());
  document.documentElement.dataset.ready = 'true';
})();
`;
