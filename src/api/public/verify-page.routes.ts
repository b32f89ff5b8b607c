import { Hono } from 'hono';
import type { AppContext } from '../../context.js';
import type { AppEnv } from '../../http/app-env.js';
import type { PageLanguage } from './citizen-page.js';
import { VERIFY_PAGE_CSS, VERIFY_PAGE_JS, verifyPage } from './verify-page.js';

/**
 * The verify page for accepting departments: a static page and its script, open to anyone.
 * It holds no data; the script calls POST /api/v1/verify with the department's own API key.
 */
export function verifyPageRoutes(_ctx: AppContext) {
  const app = new Hono<AppEnv>();
  const pages: Record<PageLanguage, string> = { zh: verifyPage('zh'), en: verifyPage('en') };
  app.get('/verify', (c) => {
    const lang: PageLanguage = c.req.query('lang') === 'en' ? 'en' : 'zh';
    return c.html(pages[lang], 200, { 'Cache-Control': 'no-cache', 'Referrer-Policy': 'no-referrer' });
  });
  const asset = (type: string) => ({ 'Content-Type': type, 'Cache-Control': 'public, max-age=3600' });
  app.get('/assets/verify.js', (c) => c.body(VERIFY_PAGE_JS, 200, asset('text/javascript; charset=utf-8')));
  app.get('/assets/verify.css', (c) => c.body(VERIFY_PAGE_CSS, 200, asset('text/css; charset=utf-8')));
  return app;
}
