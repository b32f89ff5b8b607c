import { Hono } from 'hono';
import { sql } from 'kysely';
import type { AppContext } from '../../context.js';
import { UnavailableError } from '../../errors.js';
import type { AppEnv } from '../../http/app-env.js';

/** Public liveness and readiness probes for load balancers and orchestrators. */
export function systemRoutes(ctx: AppContext): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      await sql`select 1`.execute(ctx.db);
    } catch (error) {
      throw new UnavailableError('DatabaseUnavailable', 'The database is not reachable', { cause: error });
    }
    return c.json({ status: 'ready', database: ctx.engine, region: ctx.config.regionId });
  });
  return app;
}
