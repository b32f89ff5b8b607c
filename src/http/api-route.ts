import { createRoute, type Hook, OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import type { DepartmentRole } from '../db/schema/departments.table.js';
import { InvalidInputError } from '../errors.js';
import type { AppEnv } from './app-env.js';
import { requireRole } from './authenticate.js';
import { requireJsonBody } from './json-body.js';
import { ProblemSchema } from './problem.js';

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

/** Turns a failed schema check into one 400 that lists every offending field. */
const validationHook: Hook<unknown, AppEnv, string, undefined> = (result) => {
  if (result.success) return;
  const errors = result.error.issues.map((issue) => ({
    location: [result.target === 'json' ? 'body' : result.target, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  throw new InvalidInputError(
    'InvalidRequest',
    `The request is invalid: ${errors.map((e) => `${e.location}: ${e.message}`).join('; ')}`,
    { details: { errors } },
  );
};

/** A router for one API area; its routes are validated and documented from the same zod schemas. */
export function createApiRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

/**
 * Declares an authenticated API route. The roles are not optional: the route's middleware
 * enforces them and the OpenAPI document states them (`x-required-roles`).
 */
export function protectedRoute<const R extends Omit<RouteConfig, 'middleware' | 'security'>>(
  roles: readonly DepartmentRole[],
  route: R,
) {
  const bodyTypes = Object.keys(route.request?.body?.content ?? {});
  const takesJson = bodyTypes.includes('application/json');
  return createRoute({
    ...route,
    security: [{ bearerAuth: [] }],
    'x-required-roles': roles,
    middleware: takesJson ? [requireRole(roles), requireJsonBody] : [requireRole(roles)],
    responses: {
      ...route.responses,
      400: problem('The request is malformed or fails validation'),
      401: problem('No valid API key was sent'),
      403: problem(`The caller's department lacks the ${roles.join(' or ')} role`),
      ...(bodyTypes.length > 0
        ? { 413: problem('The body is larger than allowed'), 415: problem(`The body is not ${bodyTypes.join(' or ')}`) }
        : {}),
    },
  });
}

export { problem as problemResponseDoc };

/** An OpenAPI response with a JSON body described by `schema`. */
export function jsonResponse<T>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}
