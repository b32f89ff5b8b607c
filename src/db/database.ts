import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, Migrator, PostgresDialect, type Dialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { dataDirLockFile, lockDataDir } from './data-dir-lock.js';
import { migrationProvider } from './migrations/index.js';
import type { Database, DatabaseSchema } from './schema/database.js';

export type DatabaseTarget =
  | { engine: 'postgres'; url: string; poolSize?: number }
  /** PGlite persisted in `dataDir`, guarded by a lock file. */
  | { engine: 'embedded'; dataDir: string }
  /** PGlite in memory, optionally started from a dump (tests). */
  | { engine: 'embedded-memory'; loadDataDir?: Blob | File };

export interface OpenDatabase {
  readonly db: Database;
  readonly engine: DatabaseTarget['engine'];
  close(): Promise<void>;
}

const INT8_OID = 20;

/**
 * pg returns int8 as a string while PGlite returns a number; our int8 columns (sequence
 * numbers, counts) stay far below 2^53, so both engines hand back numbers.
 */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** Opens the database the configuration names and brings its schema up to date. */
export async function openDatabase(
  target: DatabaseTarget,
  onConnectionError: (error: Error) => void = () => {},
): Promise<OpenDatabase> {
  let dialect: Dialect;
  let releaseLock = () => {};
  let pglite: PGlite | undefined;

  if (target.engine === 'postgres') {
    const pool = new pg.Pool({
      connectionString: target.url,
      max: target.poolSize ?? 10,
      types: pgTypes,
    });
    // An idle connection can be cut by a server restart or failover; pg then emits 'error'
    // on the pool, which would crash the process if nobody listened. The pool replaces it.
    pool.on('error', onConnectionError);
    dialect = new PostgresDialect({ pool });
  } else if (target.engine === 'embedded') {
    fs.mkdirSync(target.dataDir, { recursive: true });
    releaseLock = lockDataDir(dataDirLockFile(target.dataDir));
    try {
      pglite = new PGlite(path.join(target.dataDir, 'pglite'));
      await pglite.waitReady;
    } catch (error) {
      releaseLock();
      throw error;
    }
    dialect = new PGliteDialect(pglite);
  } else {
    pglite = new PGlite({ loadDataDir: target.loadDataDir });
    await pglite.waitReady;
    dialect = new PGliteDialect(pglite);
  }

  const db = new Kysely<DatabaseSchema>({ dialect });
  const close = async () => {
    await db.destroy();
    if (pglite && !pglite.closed) await pglite.close();
    releaseLock();
  };
  try {
    await migrateToLatest(db);
  } catch (error) {
    await close();
    throw error;
  }
  return { db, engine: target.engine, close };
}

export async function migrateToLatest(db: Database): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`Database migration ${failed?.migrationName ?? ''} failed`, { cause: error });
  }
}
