import type { Actor } from '../audit/audit.service.js';
import { loadConfig } from '../config/config.js';
import { type AppContext, createContext } from '../context.js';
import { createLogger } from '../logger.js';

/** Console commands act as the operator at the machine; the audit log records them as such. */
export const CONSOLE_ACTOR: Actor = { departmentId: null, keyId: null, requestId: 'console' };

/** Builds the same context as the service, from the same environment, with quiet logs. */
export async function openCliContext(env: Record<string, string | undefined>): Promise<AppContext> {
  const { config, secrets } = loadConfig(env);
  return createContext(config, secrets, createLogger('error'));
}
