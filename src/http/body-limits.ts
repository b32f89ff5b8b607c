import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Config } from '../config/config.js';
import { PayloadTooLargeError } from '../errors.js';
import type { AppEnv } from './app-env.js';

const DOCUMENT_TYPES = /^(application\/pdf|multipart\/form-data|application\/octet-stream|text\/csv|application\/x-ndjson)\b/i;

/**
 * JSON requests are small; document uploads (PDFs to seal or verify, batch files) are not. The limit
 * follows the declared Content-Type and is enforced while reading, not after.
 */
export function requestBodyLimits(config: Pick<Config, 'maxJsonBodyBytes' | 'maxDocumentBytes'>): MiddlewareHandler<AppEnv> {
  const limit = (maxSize: number, what: string) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new PayloadTooLargeError('PayloadTooLarge', `The ${what} is larger than ${maxSize} bytes`);
      },
    });
  const forJson = limit(config.maxJsonBodyBytes, 'request body');
  const forDocuments = limit(config.maxDocumentBytes, 'uploaded document');
  return async function limitRequestBody(c, next) {
    const type = c.req.header('Content-Type') ?? '';
    return (DOCUMENT_TYPES.test(type) ? forDocuments : forJson)(c, next);
  };
}
