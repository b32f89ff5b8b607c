import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AuditService, SYSTEM_ACTOR } from '../src/audit/audit.service.js';
import { systemClock } from '../src/clock.js';
import { openDatabase } from '../src/db/database.js';
import { type Figure, median } from './lib.js';

const ENTRIES = 1000;

/**
 * Audit entries appended per second, each in a transaction of its own (the way a state
 * change records it): chain lock, head read, sequence, hash, insert, commit.
 */
export async function benchAuditAppend(): Promise<Figure[]> {
  const url = process.env.BENCH_DATABASE_URL;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'elt-bench-audit-'));
  const opened = await openDatabase(url ? { engine: 'postgres', url } : { engine: 'embedded', dataDir });
  try {
    const audit = new AuditService(opened.db, systemClock);
    const rates: number[] = [];
    for (let run = 0; run < 3; run++) {
      const started = performance.now();
      for (let i = 0; i < ENTRIES; i++) {
        await audit.record(SYSTEM_ACTOR, {
          action: 'bench.append',
          target: { type: 'department', id: String(i) },
          details: { run, i },
        });
      }
      rates.push(ENTRIES / ((performance.now() - started) / 1000));
    }
    const verifyStarted = performance.now();
    const report = await audit.verifyChain();
    const verifyRate = report.entriesChecked / ((performance.now() - verifyStarted) / 1000);
    if (!report.intact) throw new Error('the audit chain broke during the benchmark');
    return [
      {
        name: 'audit_appends',
        value: median(rates),
        unit: 'entries/s',
        note: `one transaction each, sequential, ${url ? 'postgres' : 'embedded'}, median of 3 x ${ENTRIES}`,
      },
      { name: 'audit_chain_verify', value: verifyRate, unit: 'entries/s', note: `${report.entriesChecked} entries` },
    ];
  } finally {
    await opened.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
