import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { inject } from 'vitest';
import { type OpenDatabase, openDatabase } from '../../src/db/database.js';

export interface TestDatabase extends OpenDatabase {
  /** Which engine this run tests: set TEST_DATABASE_URL to run the suite on PostgreSQL. */
  readonly kind: 'postgres' | 'pglite';
  /** The environment a child process needs to open this same database. */
  readonly childEnv: Record<string, string>;
}

export const testEngine: 'postgres' | 'pglite' = process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';

/**
 * A database of its own for one test file, migrated: a new database on the PostgreSQL
 * server, or an in-memory PGlite started from the template.
 */
export async function openTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const template = await readFile(inject('pgliteTemplate'));
    const opened = await openDatabase({ engine: 'embedded-memory', loadDataDir: new Blob([template]) });
    return { ...opened, kind: 'pglite', childEnv: {} };
  }
  const name = `elt_test_${randomBytes(6).toString('hex')}`;
  await withServer(serverUrl, (client) => client.query(`create database ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const opened = await openDatabase({ engine: 'postgres', url: url.toString(), poolSize: 4 });
  return {
    ...opened,
    kind: 'postgres',
    childEnv: { DATABASE_URL: url.toString() },
    close: async () => {
      await opened.close();
      await withServer(serverUrl, (client) => client.query(`drop database if exists ${name} with (force)`));
    },
  };
}

async function withServer<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
