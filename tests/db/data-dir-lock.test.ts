import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockDataDir } from '../../src/db/data-dir-lock.js';

describe('lockDataDir', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'elt-lock-'));
  const file = path.join(dir, 'pglite.lock');
  afterEach(() => rmSync(file, { force: true }));

  it('takes the lock, refuses it twice, and frees it', () => {
    const release = lockDataDir(file);
    expect(readFileSync(file, 'utf8')).toBe(String(process.pid));
    expect(() => lockDataDir(file)).toThrow(expect.objectContaining({ code: 'DatabaseLocked' }));
    release();
    expect(existsSync(file)).toBe(false);
    lockDataDir(file)();
  });

  it('takes over a lock left by a process that died', () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    writeFileSync(file, dead.stdout.toString());
    const release = lockDataDir(file);
    expect(readFileSync(file, 'utf8')).toBe(String(process.pid));
    release();
  });

  it('takes over a lock that carries our own pid but that we do not hold (restarted container)', () => {
    writeFileSync(file, String(process.pid));
    lockDataDir(file)();
  });

  it('refuses a lock held by another live process', () => {
    writeFileSync(file, String(process.ppid));
    expect(() => lockDataDir(file)).toThrow(/in use by another process/);
  });
});
