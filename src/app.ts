import { OpenAPIHono } from '@hono/zod-openapi';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { auditRoutes } from './api/audit/audit.routes.js';
import { caRoutes } from './api/ca/ca.routes.js';
import { protocolRoutes } from './api/pki/protocol.routes.js';
import { publicationRoutes } from './api/pki/publication.routes.js';
import { batchRoutes } from './api/licences/batches.routes.js';
import { licenceRoutes } from './api/licences/licences.routes.js';
import { peerRoutes } from './api/federation/peers.routes.js';
import { sharingApiRoutes, sharingPeerRoutes } from './api/federation/sharing.routes.js';
import { trustListRoutes } from './api/federation/trust-list.routes.js';
import { checkRoutes } from './api/public/check.routes.js';
import { verifyPageRoutes } from './api/public/verify-page.routes.js';
import { verifyRoutes } from './api/verify/verify.routes.js';
import { sealingRoutes } from './api/seals/sealing.routes.js';
import { sealRoutes } from './api/seals/seals.routes.js';
import { departmentRoutes } from './api/departments/departments.routes.js';
import { docsRoutes } from './api/docs/docs.routes.js';
import { systemRoutes } from './api/system/system.routes.js';
import type { AppContext } from './context.js';
import type { AppEnv } from './http/app-env.js';
import { authenticate } from './http/authenticate.js';
import { requestBodyLimits } from './http/body-limits.js';
import { problemFromError, problemResponse } from './http/problem.js';
import { requestLog } from './http/request-log.js';

const API_BASE = '/api/v1';
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The root app: global middleware, every area mounted, one error mapping. */
export function createApp(ctx: AppContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  app.use(requestId());
  app.use(requestLog(ctx.logger));
  app.use(
    secureHeaders({
      contentSecurityPolicy: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:'], objectSrc: ["'none'"] },
    }),
  );

  app.route('/', systemRoutes(ctx));
  app.route('/', docsRoutes());
  app.route('/', publicationRoutes(ctx));
  app.route('/', protocolRoutes(ctx));
  app.route('/', checkRoutes(ctx));
  app.route('/', verifyPageRoutes(ctx));
  app.route('/', trustListRoutes(ctx));
  app.route('/', sharingPeerRoutes(ctx));

  app.use(`${API_BASE}/*`, requestBodyLimits(ctx.config));
  app.use(`${API_BASE}/*`, authenticate(ctx.apiKeys));
  app.route(API_BASE, departmentRoutes(ctx));
  app.route(API_BASE, auditRoutes(ctx));
  app.route(API_BASE, caRoutes(ctx));
  app.route(API_BASE, sealRoutes(ctx));
  app.route(API_BASE, sealingRoutes(ctx));
  app.route(API_BASE, licenceRoutes(ctx));
  app.route(API_BASE, batchRoutes(ctx));
  app.route(API_BASE, verifyRoutes(ctx));
  app.route(API_BASE, peerRoutes(ctx));
  app.route(API_BASE, sharingApiRoutes(ctx));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: "A department's API key (elt_...), issued by an administrator",
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'E-licence and e-seal trust service',
      version: '1',
      description: `Region ${ctx.config.regionId} ${ctx.config.regionName}. Errors are application/problem+json with a stable \`code\`.`,
    },
    servers: [{ url: ctx.config.publicBaseUrl }],
  });

  app.notFound((c) =>
    problemResponse(c, { status: 404, code: 'RouteNotFound', detail: `No route for ${c.req.method} ${c.req.path}` }),
  );

  app.onError(async (error, c) => {
    const parts = problemFromError(error);
    const log = c.get('log') ?? ctx.logger;
    if (parts.unexpected) {
      log.error({ err: error, method: c.req.method, path: c.req.path }, 'unhandled error');
    }
    // A bug or a database failure is logged, not audited: the audit log may be what failed.
    if (!parts.unexpected) await auditRefusal(ctx, c, parts.code);
    return problemResponse(c, parts);
  });

  return app;
}

/**
 * An authenticated department's failed attempt to change something is itself worth
 * recording (who tried what, and why it was refused or could not be done, e.g. a peer
 * region that did not answer). Reads are not audited.
 */
async function auditRefusal(ctx: AppContext, c: Parameters<Parameters<OpenAPIHono<AppEnv>['onError']>[0]>[1], code: string): Promise<void> {
  const principal = c.get('principal');
  if (!principal || READ_METHODS.has(c.req.method)) return;
  try {
    await ctx.audit.record(
      { departmentId: principal.departmentId, keyId: principal.keyId, requestId: c.get('requestId') },
      { action: `request.${c.req.method.toLowerCase()}`, outcome: 'rejected', details: { path: c.req.path, code } },
    );
  } catch (error) {
    (c.get('log') ?? ctx.logger).error({ err: error }, 'could not audit a refused request');
  }
}
