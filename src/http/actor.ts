import type { Context } from 'hono';
import type { Actor } from '../audit/audit.service.js';
import type { Principal } from '../departments/principal.js';
import type { AppEnv } from './app-env.js';

/** The audit actor for this request; only valid behind `authenticate`. */
export function actorOf(c: Context<AppEnv>): Actor {
  const principal = principalOf(c);
  return { departmentId: principal.departmentId, keyId: principal.keyId, requestId: c.get('requestId') };
}

export function principalOf(c: Context<AppEnv>): Principal {
  const principal = c.get('principal');
  if (!principal) throw new Error('principalOf() called on a route without authentication');
  return principal;
}
