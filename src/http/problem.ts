import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError, type ErrorKind } from '../errors.js';

const STATUS_BY_KIND: Record<ErrorKind, ContentfulStatusCode> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'too-large': 413,
  'unsupported-media-type': 415,
  unavailable: 503,
};

const TITLE_BY_STATUS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'urn:e-licence:problem:DepartmentNotFound' }),
    title: z.string(),
    status: z.number().int(),
    code: z.string().openapi({ description: 'Stable machine-readable error code', example: 'DepartmentNotFound' }),
    detail: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z
      .array(z.object({ location: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: 'Each field that failed validation' }),
    details: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: 'Machine-readable facts about this error, e.g. `problems` (path, code, message) for licence data' }),
  })
  .openapi('Problem');

export type Problem = z.infer<typeof ProblemSchema>;

export interface ProblemParts {
  status: ContentfulStatusCode;
  code: string;
  detail: string;
  errors?: Problem['errors'];
  details?: Record<string, unknown>;
  /** True for failures we did not anticipate: the client gets an opaque message, the log gets the cause. */
  unexpected: boolean;
}

/** Turns anything thrown into the parts of an RFC 9457 problem, without leaking internals. */
export function problemFromError(error: unknown): ProblemParts {
  if (error instanceof AppError) {
    const { errors, ...details } = (error.details ?? {}) as { errors?: Problem['errors'] } & Record<string, unknown>;
    return {
      status: STATUS_BY_KIND[error.kind],
      code: error.code,
      detail: error.message,
      errors,
      ...(Object.keys(details).length > 0 ? { details } : {}),
      unexpected: false,
    };
  }
  if (error instanceof HTTPException) {
    if (error.status === 400 && /json/i.test(error.message)) {
      return { status: 400, code: 'MalformedJson', detail: 'The request body is not valid JSON', unexpected: false };
    }
    if (error.status === 413) {
      return { status: 413, code: 'PayloadTooLarge', detail: 'The request body is too large', unexpected: false };
    }
    if (error.status < 500) {
      return { status: error.status as ContentfulStatusCode, code: 'BadRequest', detail: error.message, unexpected: false };
    }
  }
  return {
    status: 500,
    code: 'InternalError',
    detail: 'The server failed to handle this request; quote the request id when reporting it',
    unexpected: true,
  };
}

export function problemResponse(c: Context, parts: Omit<ProblemParts, 'unexpected'>): Response {
  const body: Problem = {
    type: `urn:e-licence:problem:${parts.code}`,
    title: TITLE_BY_STATUS[parts.status] ?? 'Error',
    status: parts.status,
    code: parts.code,
    detail: parts.detail,
    instance: c.req.path,
    requestId: c.get('requestId') as string | undefined,
    ...(parts.errors ? { errors: parts.errors } : {}),
    ...(parts.details ? { details: parts.details } : {}),
  };
  const headers: Record<string, string> = { 'Content-Type': 'application/problem+json' };
  if (parts.status === 401) headers['WWW-Authenticate'] = 'Bearer realm="api"';
  return c.body(JSON.stringify(body), parts.status, headers);
}
