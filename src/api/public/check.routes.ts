import { Hono } from 'hono';
import type { AppContext } from '../../context.js';
import type { AppEnv } from '../../http/app-env.js';
import { CHECK_PAGE_CSS, citizenPage, type PageLanguage } from './citizen-page.js';

/**
 * Public pages and keys for checking licences without an account: the page a QR code opens,
 * its JSON twin for apps, and the JWK set that verifies QR tokens offline.
 */
export function checkRoutes(ctx: AppContext) {
  const app = new Hono<AppEnv>();
  app.get('/v/:token', async (c) => {
    const token = c.req.param('token');
    const report = await ctx.licenceChecks.checkToken(token);
    const headers = { 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' };
    if ((c.req.header('Accept') ?? '').includes('application/json')) {
      return c.json(
        {
          verdict: report.verdict,
          reason: report.reason,
          checkedAt: report.checkedAt.toISOString(),
          issuedAt: report.issuedAt?.toISOString() ?? null,
          ...(report.region ? { region: report.region } : {}),
          ...(report.remote ? { remote: report.remote } : {}),
          licence: report.licence
            ? {
                identifier: report.licence.identifier,
                typeCode: report.licence.typeCode,
                typeName: report.licence.typeName,
                licenceNumber: report.licence.licenceNumber,
                status: report.licence.status,
                issuer: { name: report.licence.issuer.name, creditCode: report.licence.issuer.creditCode },
                issueDate: report.licence.issueDate,
                validFrom: report.licence.validFrom,
                validUntil: report.licence.validUntil,
                holders: report.licence.holders.map((h) => ({ name: h.name, id: h.id })),
                supersededBy: report.licence.supersededBy,
              }
            : null,
        },
        200,
        headers,
      );
    }
    const lang: PageLanguage = c.req.query('lang') === 'en' ? 'en' : 'zh';
    return c.html(citizenPage(report, lang, `/v/${token}`), 200, headers);
  });
  app.get('/assets/check.css', (c) => c.body(CHECK_PAGE_CSS, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'public, max-age=86400' }));
  app.get('/.well-known/licence-token-keys.json', async (c) => {
    const keys = await ctx.licenceTokens.published();
    return c.json({ region: ctx.config.regionId, keys }, 200, { 'Cache-Control': 'public, max-age=300' });
  });
  return app;
}
