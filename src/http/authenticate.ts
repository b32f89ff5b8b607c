import type { TLSSocket } from 'node:tls';
import type { HttpBindings } from '@hono/node-server';
import type { MiddlewareHandler } from 'hono';
import type { DepartmentRole } from '../db/schema/departments.table.js';
import type { ApiKeyService } from '../departments/api-key.service.js';
import { AuthenticationError, PermissionDeniedError } from '../errors.js';
import type { AppEnv } from './app-env.js';

const BEARER = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i;

/**
 * The DER of a client certificate the TLS handshake verified against our services CA
 * (the server asks for one but does not insist, so API-key clients still connect).
 */
function verifiedClientCertificate(env: unknown): Uint8Array | null {
  const socket = (env as Partial<HttpBindings> | undefined)?.incoming?.socket as TLSSocket | undefined;
  if (!socket || !('encrypted' in socket) || !socket.authorized) return null;
  const peer = socket.getPeerCertificate();
  return peer?.raw ? new Uint8Array(peer.raw) : null;
}

/**
 * Every /api/v1 request must carry a department's API key, or come over mutual TLS with a
 * department client certificate. Unauthenticated access is
 * denied here, before any route runs, so a route that forgets to declare a role is
 * still closed to the public.
 */
export function authenticate(apiKeys: ApiKeyService): MiddlewareHandler<AppEnv> {
  return async function authenticateRequest(c, next) {
    const header = c.req.header('Authorization');
    const peerCertificate = header ? null : verifiedClientCertificate(c.env);
    if (peerCertificate) {
      c.set('principal', await apiKeys.authenticateClientCertificate(peerCertificate));
      return next();
    }
    if (!header) {
      throw new AuthenticationError(
        'MissingCredentials',
        'This endpoint needs an API key: send the header Authorization: Bearer <token>',
      );
    }
    const match = BEARER.exec(header);
    if (!match) {
      throw new AuthenticationError('MalformedCredentials', 'The Authorization header must read Bearer <token>');
    }
    c.set('principal', await apiKeys.authenticate(match[1]!));
    await next();
  };
}

/** Lets the request through when the caller's department holds at least one of `roles`. */
export function requireRole(roles: readonly DepartmentRole[]): MiddlewareHandler<AppEnv> {
  return async function requireDepartmentRole(c, next) {
    const principal = c.get('principal');
    if (!principal) {
      throw new AuthenticationError('MissingCredentials', 'This endpoint needs an API key');
    }
    if (!roles.some((role) => principal.roles.includes(role))) {
      throw new PermissionDeniedError(
        'RoleRequired',
        `This operation needs a department with the ${roles.join(' or ')} role`,
      );
    }
    await next();
  };
}
