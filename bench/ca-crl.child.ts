import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config/config.js';
import { type AppContext, createContext } from '../src/context.js';
import type { NewCertificateRow } from '../src/db/schema/certificates.table.js';
import { toPem } from '../src/pki/pem.js';
import { ROOT } from './lib.js';

/**
 * The CRL part of ca.bench.ts, in a process of its own so that the parent can stop it at a
 * deadline (building a CRL is synchronous work that nothing in-process can interrupt).
 * Started with an IPC channel; receives one {@link CrlJob}, answers with {@link CrlMessage}s.
 * Calls the service in-process: createContext, then ctx.crls.publish directly.
 */

export interface CrlJob {
  dir: string;
  databaseUrl: string | null;
  keysPassphrase: string;
  entries: number;
  batch: number;
  runs: number;
  /** Stop repeating once another run would likely end after this many ms of publishing. */
  publishBudgetMs: number;
  /** Marks the fake rows, so a shared database can be cleaned afterwards. */
  fakeProfile: string;
}

export type CrlMessage =
  | { type: 'inserted'; seconds: number; expected: number }
  | { type: 'published'; ms: number; crlNumber: number; entries: number; bytes: number }
  | { type: 'done' }
  | { type: 'failed'; message: string };

const send = (message: CrlMessage) => new Promise<void>((resolve) => process.send!(message, () => resolve()));

process.once('message', (job: CrlJob) => {
  run(job)
    .catch((error: unknown) => send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }))
    .finally(() => process.disconnect());
});

async function run(job: CrlJob): Promise<void> {
  const { config, secrets } = loadConfig({
    DATA_DIR: path.join(job.dir, 'data'),
    KEYS_DIR: path.join(job.dir, 'keys'),
    KEYS_PASSPHRASE: job.keysPassphrase,
    CA_CONFIG: path.join(ROOT, 'ca-config', 'hierarchy.json'),
    PUBLIC_BASE_URL: 'http://127.0.0.1:8080',
    ...(job.databaseUrl ? { DATABASE_URL: job.databaseUrl } : {}),
  });
  const ctx = await createContext(config, secrets, pino({ level: 'silent' }));
  try {
    const chain = ['seal-ca', 'root'].map((id) => toPem(ctx.hierarchy.authorities.get(id)!.der, 'CERTIFICATE'));
    await writeFile(path.join(job.dir, 'chain.pem'), chain.join(''));

    const now = ctx.clock.now();
    const already = await countRevoked(ctx, now);
    const insertStarted = performance.now();
    await insertRevokedRows(ctx, job, now);
    const expected = already + job.entries;
    if ((await countRevoked(ctx, now)) !== expected) throw new Error('the fake revoked rows were not all inserted');
    await send({ type: 'inserted', seconds: (performance.now() - insertStarted) / 1000, expected });

    const publishStarted = performance.now();
    for (let i = 0; i < job.runs; i++) {
      const started = performance.now();
      const crl = await ctx.crls.publish('seal-ca');
      const ms = performance.now() - started;
      await writeFile(path.join(job.dir, 'seal-ca.crl'), crl.der);
      await send({ type: 'published', ms, crlNumber: crl.crlNumber, entries: crl.entries, bytes: crl.der.length });
      if (performance.now() - publishStarted + ms > job.publishBudgetMs) break;
    }
    if (job.databaseUrl) {
      // A shared PostgreSQL database keeps its rows: take the fake ones out, and publish a clean CRL.
      await ctx.db.deleteFrom('certificates').where('profile', '=', job.fakeProfile).execute();
      await ctx.crls.publish('seal-ca');
    }
    await send({ type: 'done' });
  } finally {
    await ctx.close();
  }
}

/** What the next CRL of seal-ca lists: revoked or held, not yet expired. */
async function countRevoked(ctx: AppContext, now: Date): Promise<number> {
  const row = await ctx.db
    .selectFrom('certificates')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('ca_id', '=', 'seal-ca')
    .where('status', '!=', 'valid')
    .where('not_after', '>', now)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Revoked rows for seal-ca, multi-row INSERTs in one transaction. Fake DER: a CRL needs
 * only serial, revocation time and reason. Serials are 16 random octets, positive without
 * a sign octet, as issued ones are; one in twenty is on hold.
 */
async function insertRevokedRows(ctx: AppContext, job: CrlJob, now: Date): Promise<void> {
  const reasons = ['keyCompromise', 'superseded', 'cessationOfOperation', 'affiliationChanged', 'unspecified', 'privilegeWithdrawn'];
  const day = 24 * 60 * 60 * 1000;
  const notBefore = new Date(now.getTime() - 400 * day);
  const notAfter = new Date(now.getTime() + 700 * day);
  const der = new Uint8Array([0x30, 0x00]);
  await ctx.db.transaction().execute(async (trx) => {
    for (let start = 0; start < job.entries; start += job.batch) {
      const rows: NewCertificateRow[] = [];
      for (let i = start; i < Math.min(start + job.batch, job.entries); i++) {
        const serial = randomBytes(16);
        serial[0] = (serial[0]! % 0x7f) + 1;
        const held = i % 20 === 0;
        const revokedAt = new Date(now.getTime() - ((i * 7919) % (365 * 24 * 3600)) * 1000);
        rows.push({
          serial_hex: serial.toString('hex'),
          ca_id: 'seal-ca',
          profile: job.fakeProfile,
          subject: `CN=bench ${i}`,
          not_before: notBefore,
          not_after: notAfter,
          status: held ? 'on-hold' : 'revoked',
          revoked_at: revokedAt,
          revocation_reason: held ? 'certificateHold' : reasons[i % reasons.length]!,
          status_changed_at: revokedAt,
          fingerprint_sha256: createHash('sha256').update(serial).digest('hex'),
          der,
          key_backend: null,
          key_alias: null,
          requested_by: null,
          created_at: notBefore,
        });
      }
      await trx.insertInto('certificates').values(rows).execute();
    }
  });
}
