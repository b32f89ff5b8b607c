import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { pino } from 'pino';
import { createApp } from '../../src/app.js';
import { type Clock, systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/config.js';
import { type AppContext, createContext } from '../../src/context.js';
import type { DepartmentRole } from '../../src/db/schema/departments.table.js';
import { bootstrapOperator } from '../../src/departments/operator-bootstrap.js';
import type { AppEnv } from '../../src/http/app-env.js';
import { openTestDatabase, type TestDatabase } from './test-database.js';

export interface TestApp {
  app: OpenAPIHono<AppEnv>;
  ctx: AppContext;
  database: TestDatabase;
  adminToken: string;
  adminDepartmentId: string;
  /** Calls the app in-process; `token` becomes a bearer header. */
  request(path: string, init?: RequestInit & { token?: string; json?: unknown }): Promise<Response>;
  /** Registers a department with `roles` and returns a working token for it. */
  departmentWithKey(roles: DepartmentRole[], creditCode: string): Promise<{ departmentId: string; keyId: string; token: string }>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  clock?: Clock;
  env?: Record<string, string>;
  /** Where log lines go; silent by default. */
  logStream?: NodeJS.WritableStream;
}

/** The real app with a real database of its own, called in-process (no port opened). */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const keysDir = await mkdtemp(path.join(os.tmpdir(), 'elt-keys-'));
  const { config, secrets } = loadConfig({
    PORT: '0',
    REGION_ID: '140000',
    REGION_NAME: '山西省',
    KEYS_DIR: keysDir,
    KEYS_PASSPHRASE: 'test-passphrase-0123456789',
    ...options.env,
  });
  const logger = options.logStream ? pino({ level: 'info' }, options.logStream) : pino({ level: 'silent' });
  const database = await openTestDatabase();
  const ctx = await createContext(config, secrets, logger, { clock: options.clock ?? systemClock, database });
  const first = await bootstrapOperator(ctx.db, ctx.departments, ctx.apiKeys, {
    name: config.operatorName,
    creditCode: config.operatorCreditCode,
    regionId: config.regionId,
    presetToken: secrets.adminToken,
  });
  const app = createApp(ctx);

  const request: TestApp['request'] = (path, init = {}) => {
    const { token, json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (token) headers.set('Authorization', `Bearer ${token}`);
    if (json !== undefined) headers.set('Content-Type', 'application/json');
    return Promise.resolve(app.request(path, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body }));
  };

  return {
    app,
    ctx,
    database,
    adminToken: first!.token,
    adminDepartmentId: first!.department.id,
    request,
    async departmentWithKey(roles, creditCode) {
      const actor = { departmentId: null, keyId: null, requestId: 'test' };
      const department = await ctx.departments.create(actor, { name: `测试部门 ${creditCode}`, creditCode, roles });
      const issued = await ctx.apiKeys.issue(actor, department.id, { label: 'test' });
      return { departmentId: department.id, keyId: issued.key.id, token: issued.token };
    },
    close: async () => {
      await ctx.close();
      await rm(keysDir, { recursive: true, force: true });
    },
  };
}
