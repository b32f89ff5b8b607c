import type { QrCheckReport } from '../../licences/licence-check.service.js';
import { chineseDate } from '../../licences/licence-pdf.js';
import { LICENCE_STATUS_NAMES, type LicenceStatus } from '../../licences/licence-status.js';
import { escapeHtml } from './html.js';

export type PageLanguage = 'zh' | 'en';

const STATUS_EN: Record<LicenceStatus, string> = {
  valid: 'Valid',
  suspended: 'Suspended',
  revoked: 'Revoked',
  cancelled: 'Cancelled',
  expired: 'Expired',
  superseded: 'Replaced by a newer version',
};

/** How a status reads after 但 ("genuine, but ..."). */
const STATUS_PHRASE_ZH: Record<LicenceStatus, string> = {
  valid: '有效',
  suspended: '已暂扣',
  revoked: '已被撤销',
  cancelled: '已注销',
  expired: '已失效',
  superseded: '已换发',
};

const TEXT = {
  zh: {
    title: '电子证照核验',
    valid: '真实有效',
    validNote: '本证照由发证机关签发，当前有效。',
    notValid: (s: LicenceStatus) => `证照真实，但${STATUS_PHRASE_ZH[s]}`,
    notValidNote: (s: LicenceStatus) =>
      s === 'superseded' ? '本证照已换发新版本，请以新版本为准。' : s === 'expired' ? '本证照已超过有效期。' : `本证照已被发证机关${LICENCE_STATUS_NAMES[s]}，不能作为有效证明。`,
    unavailable: '暂时无法核验',
    unavailableNote: '发证地区的证照库暂时没有应答，请稍后再试。',
    region: '发证地区',
    notGenuine: '无法确认为真实证照',
    notGenuineNote: '二维码不是本地区签发的电子证照，或内容已被改动。请向发证机关核实。',
    name: '证照名称',
    issuer: '发证机关',
    issueDate: '颁发日期',
    validity: '有效期',
    permanent: '长期',
    status: '当前状态',
    holder: '持证人',
    holderId: '证件号码',
    number: '证照编号',
    identifier: '电子证照标识',
    checkedAt: '核验时间',
    switchTo: 'English',
    footer: '核验结果来自发证地区电子证照库的实时状态。个人信息已部分隐藏。',
  },
  en: {
    title: 'E-licence check',
    valid: 'Genuine and valid',
    validNote: 'This licence was issued by the authority named below and is in force.',
    notValid: (s: LicenceStatus) => `Genuine, but ${STATUS_EN[s].toLowerCase()}`,
    notValidNote: (s: LicenceStatus) =>
      s === 'superseded' ? 'A newer version of this licence has been issued; only that one counts.' : s === 'expired' ? 'This licence is past its validity period.' : `The issuing authority has ${STATUS_EN[s].toLowerCase()} this licence; it is not proof of anything.`,
    unavailable: 'Cannot check right now',
    unavailableNote: 'The issuing region’s licence registry did not answer. Try again later.',
    region: 'Issuing region',
    notGenuine: 'Not a genuine licence',
    notGenuineNote: 'This code was not issued by this region, or its content was changed. Check with the issuing authority.',
    name: 'Licence',
    issuer: 'Issued by',
    issueDate: 'Issued on',
    validity: 'Valid',
    permanent: 'no end date',
    status: 'Status now',
    holder: 'Holder',
    holderId: 'ID number',
    number: 'Licence number',
    identifier: 'E-licence identifier',
    checkedAt: 'Checked at',
    switchTo: '中文',
    footer: 'The result is the live status in the issuing region’s licence registry. Personal data is partly hidden.',
  },
} as const;

const escape = escapeHtml;

/** The public result page for a scanned QR code: verdict first, in colour and words. */
export function citizenPage(report: QrCheckReport, lang: PageLanguage, selfPath: string): string {
  const t = TEXT[lang];
  const { licence } = report;
  const [cls, heading, note] =
    report.reason === 'region-unavailable'
      ? ['warn', t.unavailable, t.unavailableNote]
      : report.verdict === 'valid'
      ? ['ok', t.valid, t.validNote]
      : report.verdict === 'not-valid'
        ? [report.reason === 'revoked' || report.reason === 'cancelled' ? 'bad' : 'warn', t.notValid(report.reason as LicenceStatus), t.notValidNote(report.reason as LicenceStatus)]
        : ['bad', t.notGenuine, t.notGenuineNote];
  const date = (d: string) => (lang === 'zh' ? chineseDate(d) : d);
  const rows: [string, string][] = licence
    ? [
        [t.name, licence.typeName],
        [t.issuer, licence.issuer.name],
        [t.issueDate, date(licence.issueDate)],
        [t.validity, licence.validUntil ? `${date(licence.validFrom)} – ${date(licence.validUntil)}` : `${date(licence.validFrom)} – ${t.permanent}`],
        [t.status, lang === 'zh' ? LICENCE_STATUS_NAMES[licence.status] : STATUS_EN[licence.status]],
        ...licence.holders.flatMap((h): [string, string][] => [
          [t.holder, h.name],
          [t.holderId, h.id],
        ]),
        [t.number, licence.licenceNumber],
        [t.identifier, licence.identifier],
      ]
    : report.remote
      ? ([
          [t.region, `${report.region?.name ?? ''} (${report.region?.id ?? ''})`],
          ...(report.remote.typeName ? [[t.name, report.remote.typeName]] : []),
          ...(report.remote.issuer ? [[t.issuer, report.remote.issuer]] : []),
          ...(report.remote.status ? [[t.status, lang === 'zh' ? (LICENCE_STATUS_NAMES[report.remote.status as LicenceStatus] ?? report.remote.status) : (STATUS_EN[report.remote.status as LicenceStatus] ?? report.remote.status)]] : []),
          [t.identifier, report.remote.identifier],
        ] as [string, string][])
      : [];
  // Beijing time, like the dates on the licence.
  const checkedAt = `${new Date(report.checkedAt.getTime() + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19)} ${lang === 'zh' ? '北京时间' : 'China Standard Time'}`;
  const other = lang === 'zh' ? 'en' : 'zh';
  return `<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>${escape(t.title)}</title>
<link rel="stylesheet" href="/assets/check.css">
</head>
<body>
<main>
<header><h1>${escape(t.title)}</h1><a class="lang" href="${escape(selfPath)}?lang=${other}">${escape(t.switchTo)}</a></header>
<section class="verdict ${cls}" role="status" data-verdict="${report.verdict}" data-reason="${escape(report.reason)}">
<p class="mark" aria-hidden="true">${cls === 'ok' ? '✓' : cls === 'warn' ? '!' : '✕'}</p>
<h2>${escape(heading)}</h2>
<p>${escape(note)}</p>
</section>
${rows.length ? `<dl>${rows.map(([k, v]) => `<div><dt>${escape(k)}</dt><dd>${escape(v)}</dd></div>`).join('')}</dl>` : ''}
<p class="meta">${escape(t.checkedAt)}: ${checkedAt}</p>
<footer>${escape(t.footer)}</footer>
</main>
</body>
</html>`;
}

/** One small stylesheet for the public pages (served from /assets so the CSP can stay 'self'). */
export const CHECK_PAGE_CSS = `*{box-sizing:border-box}body{margin:0;font-family:system-ui,-apple-system,"PingFang SC","Noto Sans SC","Microsoft YaHei",sans-serif;background:#f4f5f7;color:#1d1f23}
main{max-width:34rem;margin:0 auto;padding:1rem}
header{display:flex;justify-content:space-between;align-items:center}h1{font-size:1.15rem;margin:.5rem 0}
.lang{font-size:.9rem;color:#2457c5}
.verdict{border-radius:.8rem;padding:1rem 1.2rem;color:#fff;margin:.8rem 0}
.verdict h2{margin:.2rem 0 .4rem;font-size:1.5rem}.verdict p{margin:.2rem 0}.mark{font-size:2.2rem;font-weight:700;line-height:1}
.ok{background:#137a3a}.warn{background:#b86b00}.bad{background:#b3261e}
dl{background:#fff;border-radius:.8rem;padding:.4rem 1rem;margin:.8rem 0}
dl div{display:flex;gap:.8rem;padding:.55rem 0;border-bottom:1px solid #eceef1}dl div:last-child{border-bottom:0}
dt{flex:0 0 6.5rem;color:#5b6068}dd{margin:0;word-break:break-all}
.meta,footer{font-size:.8rem;color:#5b6068}
.drop{display:block;border:2px dashed #9aa3ad;border-radius:.8rem;padding:2rem 1rem;text-align:center;background:#fff;cursor:pointer}
.drop.over{border-color:#2457c5;background:#eef3ff}
details{background:#fff;border-radius:.8rem;padding:.6rem 1rem;margin:.6rem 0}summary{cursor:pointer;font-weight:600}
input[type=password]{width:100%;padding:.5rem;font:inherit}
`;
