import type { Logger } from 'pino';
import { AuditService } from './audit/audit.service.js';
import { type Clock, systemClock } from './clock.js';
import type { Config, Secrets } from './config/config.js';
import { type OpenDatabase, openDatabase } from './db/database.js';
import type { Database } from './db/schema/database.js';
import { ApiKeyService } from './departments/api-key.service.js';
import { DepartmentService } from './departments/department.service.js';

/** Everything a request handler or command needs, built once from config and passed down. */
export interface AppContext {
  readonly config: Config;
  readonly db: Database;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly audit: AuditService;
  readonly departments: DepartmentService;
  readonly apiKeys: ApiKeyService;
  /** Database engine actually in use, for readiness reporting. */
  readonly engine: OpenDatabase['engine'];
  close(): Promise<void>;
}

export interface ContextOptions {
  clock?: Clock;
  /** An already opened database (tests); otherwise the config decides. */
  database?: OpenDatabase;
}

export async function createContext(
  config: Config,
  secrets: Secrets,
  logger: Logger,
  options: ContextOptions = {},
): Promise<AppContext> {
  const clock = options.clock ?? systemClock;
  const database =
    options.database ??
    (await openDatabase(
      secrets.databaseUrl
        ? { engine: 'postgres', url: secrets.databaseUrl }
        : { engine: 'embedded', dataDir: config.dataDir },
      (error) => logger.warn({ err: error }, 'database connection lost; the pool will reconnect'),
    ));
  const { db } = database;
  const audit = new AuditService(db, clock);
  const departments = new DepartmentService(db, audit, clock, config.regionId);
  const apiKeys = new ApiKeyService(db, audit, clock);
  return {
    config,
    db,
    clock,
    logger,
    audit,
    departments,
    apiKeys,
    engine: database.engine,
    close: () => database.close(),
  };
}
