import type { Logger } from 'pino';
import type { Principal } from '../departments/principal.js';

/** Per-request values set by the global middleware. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    /** Set by `authenticate` on /api/v1 routes. */
    principal?: Principal;
  };
}
