import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { AppEnv } from './app-env.js';

/**
 * Paths that carry a bearer-like value: a QR token names a licence, so it is logged as a
 * placeholder (who scanned which licence is not for the logs).
 */
function loggedPath(path: string): string {
  return path.startsWith('/v/') ? '/v/:token' : path;
}

/**
 * One structured line per request. Only the path is logged, never the query string,
 * headers or body: those may carry credentials or personal data.
 */
export function requestLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async function logRequest(c, next) {
    const started = performance.now();
    const log = logger.child({ requestId: c.get('requestId') });
    c.set('log', log);
    await next();
    const principal = c.get('principal');
    log.info(
      {
        method: c.req.method,
        path: loggedPath(c.req.path),
        status: c.res.status,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        department: principal?.departmentId,
      },
      'request',
    );
  };
}
