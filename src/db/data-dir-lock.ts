import fs from 'node:fs';
import path from 'node:path';
import { UnavailableError } from '../errors.js';

/** Lock files this process holds, so a stale file carrying our own pid (a restarted container) is told apart. */
const heldByThisProcess = new Set<string>();

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockIsStale(file: string): boolean {
  let pid: number;
  try {
    pid = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
  } catch {
    return false; // vanished or unreadable: let the next exclusive create decide
  }
  if (!Number.isInteger(pid) || pid <= 0) return true;
  if (pid === process.pid) return !heldByThisProcess.has(file);
  return !processIsAlive(pid);
}

/** The lock file of an embedded database folder. */
export function dataDirLockFile(dataDir: string): string {
  return path.join(dataDir, 'pglite.lock');
}

/** Whether another live process holds the embedded database in `dataDir`. */
export function isDataDirLocked(dataDir: string): boolean {
  const file = dataDirLockFile(dataDir);
  return fs.existsSync(file) && !lockIsStale(file);
}

/**
 * Takes an exclusive lock on an embedded database folder. PGlite itself does not stop a
 * second process from opening the same folder, and two writers silently lose data
 * (libraries.md §4), so we refuse the second opener.
 *
 * @returns a function that releases the lock.
 */
export function lockDataDir(file: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      heldByThisProcess.add(file);
      return () => {
        heldByThisProcess.delete(file);
        fs.rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (!lockIsStale(file)) break;
      fs.rmSync(file, { force: true });
    }
  }
  throw new UnavailableError(
    'DatabaseLocked',
    `The embedded database is in use by another process (lock file ${file}). ` +
      'Stop the other process, or set DATABASE_URL to use PostgreSQL, which allows several.',
  );
}
