import type { MiddlewareHandler } from 'hono';
import { UnsupportedMediaTypeError } from '../errors.js';
import type { AppEnv } from './app-env.js';

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * The validator would silently treat a non-JSON body as `{}`; say plainly what was wrong instead.
 */
export const requireJsonBody: MiddlewareHandler<AppEnv> = async function requireJsonBody(c, next) {
  const mediaType = (c.req.header('Content-Type') ?? '').split(';')[0]!.trim();
  if (!JSON_MEDIA_TYPE.test(mediaType)) {
    throw new UnsupportedMediaTypeError(
      'UnsupportedMediaType',
      `This endpoint takes application/json, not ${mediaType || 'a body without Content-Type'}`,
    );
  }
  await next();
};
