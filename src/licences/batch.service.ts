import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Actor, AuditService } from '../audit/audit.service.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/schema/database.js';
import type { BatchJobRow } from '../db/schema/licences.table.js';
import { AppError, ConflictError, NotFoundError, PermissionDeniedError } from '../errors.js';
import type { PadesLevel } from '../pades/sign-pdf.js';
import { type BatchFormat, type BatchRow, batchRows, checkBatchFile } from './batch-input.js';
import type { DigitiseLicenceParams, IssuerActor, LicenceService } from './licence.service.js';
import type { BuiltLicence } from './licence-producer.js';

export interface SubmitBatchParams {
  typeCode: string;
  format: BatchFormat;
  content: Uint8Array;
  level: PadesLevel;
  idempotencyKey?: string;
}

export interface BatchJob {
  id: string;
  departmentId: string;
  typeCode: string;
  format: BatchFormat;
  level: string;
  status: BatchJobRow['status'];
  totalRows: number | null;
  processedRows: number;
  succeededRows: number;
  failedRows: number;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface BatchProgress {
  processed: number;
  succeeded: number;
  failed: number;
  total: number | null;
}

/** How long a runner owns a job without renewing; another instance takes over after that. */
const LEASE_MS = 60_000;
const RENEW_EVERY_MS = 15_000;
/**
 * Rows stored per transaction. Each licence's rows take a fixed handful of statements per
 * group instead of some twenty round trips per licence; 32 licences are about 1 MB of PDFs.
 */
const GROUP_SIZE = 32;
/** A batch file is stored and read back in chunks of this size. */
const INPUT_CHUNK_BYTES = 1024 * 1024;

export interface BatchRunnerOptions {
  /** Rows per transaction (default 32). */
  groupSize?: number;
  /** Bytes per stored chunk of a batch file (default {@link INPUT_CHUNK_BYTES}). */
  inputChunkBytes?: number;
}

/** A row of a group after building: a licence ready to store, or why the row failed. */
type GroupOutcome = { row: BatchRow } & ({ built: BuiltLicence } | { error: { code: string; message: string; problems: unknown[] | null } });

/**
 * Batch digitisation of paper licences. A job is stored with its input in one transaction;
 * runners take a lease on it and work through the rows in groups: a group's licences are
 * rendered and sealed, then stored with the group's row results in one transaction (each
 * licence complete with its file, holders, history, seal use and audit entries; a row's
 * idempotency key is `batch:<job>:<row>`). While one group is being stored the next is
 * rendered. A runner that dies loses nothing: the next one resumes after the last committed
 * group. Bad rows are recorded, not fatal.
 */
export class LicenceBatchService {
  private readonly running = new Map<string, Promise<BatchJob>>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly groupSize: number;
  private readonly inputChunkBytes: number;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly licences: LicenceService,
    private readonly logger: Logger,
    options: BatchRunnerOptions = {},
  ) {
    this.groupSize = options.groupSize ?? GROUP_SIZE;
    this.inputChunkBytes = options.inputChunkBytes ?? INPUT_CHUNK_BYTES;
  }

  async submit(actor: IssuerActor, params: SubmitBatchParams): Promise<{ job: BatchJob; replayed: boolean }> {
    const type = this.licences.catalogue.require(params.typeCode);
    const inputSha256 = createHash('sha256').update(params.content).digest('hex');
    if (params.idempotencyKey) {
      const earlier = await this.db
        .selectFrom('licence_batch_jobs')
        .selectAll()
        .where('department_id', '=', actor.departmentId)
        .where('idempotency_key', '=', params.idempotencyKey)
        .executeTakeFirst();
      if (earlier) {
        if (earlier.input_sha256 !== inputSha256 || earlier.type_code !== type.code) {
          throw new ConflictError('IdempotencyKeyReused', 'This Idempotency-Key was already used for a different batch');
        }
        return { job: jobOf(earlier), replayed: true };
      }
    }
    await this.licences.assertMayIssue(actor, type.code);
    await checkBatchFile(params.content, params.format, type);
    const now = this.clock.now();
    const id = randomUUID();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('licence_batch_jobs')
        .values({
          id,
          department_id: actor.departmentId,
          type_code: type.code,
          format: params.format,
          level: params.level,
          status: 'pending',
          input_sha256: inputSha256,
          total_rows: null,
          error: null,
          idempotency_key: params.idempotencyKey ?? null,
          lease_until: null,
          created_at: now,
          started_at: null,
          finished_at: null,
          updated_at: now,
        })
        .execute();
      // One statement per chunk: a single 20 MB value would travel as 40 MB of hex text.
      const size = this.inputChunkBytes;
      for (let seq = 0; seq * size < params.content.byteLength; seq++) {
        const content = params.content.subarray(seq * size, (seq + 1) * size);
        await trx.insertInto('licence_batch_inputs').values({ job_id: id, seq, content }).execute();
      }
      await this.audit.append(trx, actor, {
        action: 'licence-batch.submitted',
        target: { type: 'licence-batch', id },
        details: { typeCode: type.code, format: params.format, level: params.level, inputSha256, bytes: params.content.byteLength },
      });
    });
    return { job: await this.job(id), replayed: false };
  }

  async get(actor: Actor, id: string, isAdmin: boolean): Promise<BatchJob> {
    const job = await this.job(id);
    if (!isAdmin && job.departmentId !== actor.departmentId) throw new PermissionDeniedError('BatchNotYours', 'Only the submitting department reads a batch');
    return job;
  }

  async rows(actor: Actor, id: string, isAdmin: boolean, q: { status?: 'issued' | 'failed'; afterRow: number; limit: number }) {
    await this.get(actor, id, isAdmin);
    let query = this.db
      .selectFrom('licence_batch_rows')
      .leftJoin('licences', 'licences.id', 'licence_batch_rows.licence_id')
      .select(['licence_batch_rows.row_number', 'licence_batch_rows.status', 'licences.identifier', 'licence_batch_rows.error_code', 'licence_batch_rows.error_message', 'licence_batch_rows.problems'])
      .where('licence_batch_rows.job_id', '=', id)
      .where('licence_batch_rows.row_number', '>', q.afterRow);
    if (q.status) query = query.where('licence_batch_rows.status', '=', q.status);
    const rows = await query.orderBy('licence_batch_rows.row_number').limit(q.limit).execute();
    return rows.map((r) => ({
      row: r.row_number,
      status: r.status,
      identifier: r.identifier ?? null,
      errorCode: r.error_code,
      message: r.error_message,
      problems: r.problems ?? null,
    }));
  }

  /** Looks for pending or abandoned jobs now and then; `kick()` after a submit runs one at once. */
  start(intervalMs = 5_000): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      void this.runAvailable().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, intervalMs);
      });
    };
    this.timer = setTimeout(tick, 0);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled(this.running.values());
  }

  kick(jobId: string): void {
    if (this.stopped || this.running.has(jobId)) return;
    void this.run(jobId).catch((error) => this.logger.error({ err: error, jobId }, 'licence batch run failed'));
  }

  /** Runs every job that is pending or whose runner's lease lapsed. */
  async runAvailable(): Promise<void> {
    const now = this.clock.now();
    const jobs = await this.db
      .selectFrom('licence_batch_jobs')
      .select('id')
      .where('status', 'in', ['pending', 'running'])
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .orderBy('created_at')
      .limit(10)
      .execute();
    for (const { id } of jobs) {
      if (this.stopped) return;
      try {
        await this.run(id);
      } catch (error) {
        this.logger.error({ err: error, jobId: id }, 'licence batch run failed');
      }
    }
  }

  /**
   * Processes a job to the end (or until stopped), resuming after rows already recorded.
   * Returns the job as it stands; null progress callbacks are fine.
   */
  run(jobId: string, onProgress?: (progress: BatchProgress) => void): Promise<BatchJob> {
    let running = this.running.get(jobId);
    if (!running) {
      running = this.process(jobId, onProgress).finally(() => this.running.delete(jobId));
      this.running.set(jobId, running);
    }
    return running;
  }

  private async process(jobId: string, onProgress?: (progress: BatchProgress) => void): Promise<BatchJob> {
    if (!(await this.claim(jobId))) return this.job(jobId);
    const job = (await this.db.selectFrom('licence_batch_jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow());
    const type = this.licences.catalogue.require(job.type_code);
    const done = new Set(
      (await this.db.selectFrom('licence_batch_rows').select('row_number').where('job_id', '=', jobId).execute()).map((r) => r.row_number),
    );
    const actor: IssuerActor = { departmentId: job.department_id, keyId: null, requestId: `batch:${jobId}` };
    const progress: BatchProgress = { processed: job.processed_rows, succeeded: job.succeeded_rows, failed: job.failed_rows, total: job.total_rows };
    let lastRenewal = Date.now();
    let rowCount = 0;
    // The group being stored while the next one is built; its failure surfaces at the next await.
    let storing: Promise<void> = Promise.resolve();
    const flush = async (group: BatchRow[]) => {
      const outcomes = await this.buildGroup(actor, job, group);
      await storing;
      if (this.stopped) return; // built but not stored: a later run redoes these rows (their numbers stay unused)
      storing = this.storeGroup(actor, job, outcomes, progress, onProgress);
      storing.catch(() => undefined); // awaited later; this only keeps it from counting as unhandled meanwhile
    };
    let group: BatchRow[] = [];
    for await (const row of batchRows(this.inputChunks(jobId), job.format, type)) {
      rowCount = row.rowNumber;
      if (this.stopped) break;
      if (done.has(row.rowNumber)) continue;
      if (Date.now() - lastRenewal > RENEW_EVERY_MS) {
        if (!(await this.renew(jobId))) {
          await storing.catch(() => undefined);
          return this.job(jobId); // another runner took over
        }
        lastRenewal = Date.now();
      }
      group.push(row);
      if (group.length >= this.groupSize) {
        await flush(group);
        group = [];
      }
    }
    if (!this.stopped && group.length > 0) await flush(group);
    await storing; // infrastructure trouble throws here: the lease lapses and a later run resumes
    if (this.stopped) return this.release(jobId);
    const finishedAt = this.clock.now();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('licence_batch_jobs')
        .set({ status: 'completed', total_rows: rowCount, finished_at: finishedAt, lease_until: null, updated_at: finishedAt })
        .where('id', '=', jobId)
        .execute();
      const counts = await trx.selectFrom('licence_batch_jobs').select(['succeeded_rows', 'failed_rows']).where('id', '=', jobId).executeTakeFirstOrThrow();
      await this.audit.append(trx, actor, {
        action: 'licence-batch.completed',
        target: { type: 'licence-batch', id: jobId },
        details: { rows: rowCount, succeeded: counts.succeeded_rows, failed: counts.failed_rows },
      });
    });
    progress.total = rowCount;
    onProgress?.(progress);
    return this.job(jobId);
  }

  /** The job's file, a chunk at a time, so a runner never holds more of it than one chunk. */
  private async *inputChunks(jobId: string): AsyncGenerator<Uint8Array> {
    for (let seq = 0; ; seq++) {
      const chunk = await this.db.selectFrom('licence_batch_inputs').select('content').where('job_id', '=', jobId).where('seq', '=', seq).executeTakeFirst();
      if (!chunk) return;
      yield chunk.content;
    }
  }

  /** Renders and seals a group's good rows; bad rows come back with their error. */
  private async buildGroup(actor: IssuerActor, job: BatchJobRow, rows: readonly BatchRow[]): Promise<GroupOutcome[]> {
    const good = rows.filter((row): row is Extract<BatchRow, { record: unknown }> => !('error' in row));
    const built = await this.licences.buildDigitisedGroup(actor, job.id, good.map((row) => this.paramsOf(job, row)));
    const byRow = new Map(good.map((row, i) => [row.rowNumber, built[i]!]));
    return rows.map((row): GroupOutcome => {
      if ('error' in row) return { row, error: { ...row.error, problems: null } };
      const result = byRow.get(row.rowNumber)!;
      return result instanceof AppError ? { row, error: errorOf(result) } : { row, built: result };
    });
  }

  /**
   * Stores a group's licences and every row result in one transaction. Should a licence number
   * or idempotency key turn out to be taken (a number digitised twice, a runner that outlived
   * its lease), nothing was stored and the rows go one by one, each in its own transaction.
   */
  private async storeGroup(actor: IssuerActor, job: BatchJobRow, outcomes: readonly GroupOutcome[], progress: BatchProgress, onProgress?: (progress: BatchProgress) => void): Promise<void> {
    const built = outcomes.flatMap((o) => ('built' in o ? [o.built] : []));
    const stored = await this.licences.storeGroup(actor, built, async (trx) => {
      await trx
        .insertInto('licence_batch_rows')
        .values(
          outcomes.map((o) =>
            'built' in o
              ? { job_id: job.id, row_number: o.row.rowNumber, status: 'issued' as const, licence_id: o.built.row.id, error_code: null, error_message: null, problems: null }
              : { job_id: job.id, row_number: o.row.rowNumber, status: 'failed' as const, licence_id: null, error_code: o.error.code, error_message: o.error.message, problems: o.error.problems ? JSON.stringify(o.error.problems) : null },
          ),
        )
        .execute();
      await trx
        .updateTable('licence_batch_jobs')
        .set((eb) => ({
          processed_rows: eb('processed_rows', '+', outcomes.length),
          succeeded_rows: eb('succeeded_rows', '+', built.length),
          failed_rows: eb('failed_rows', '+', outcomes.length - built.length),
          updated_at: this.clock.now(),
        }))
        .where('id', '=', job.id)
        .execute();
    });
    for (const outcome of outcomes) {
      let ok = 'built' in outcome;
      if (stored === 'conflict') ok = await this.processRow(actor, job, outcome.row);
      progress.processed++;
      if (ok) progress.succeeded++;
      else progress.failed++;
      onProgress?.(progress);
    }
  }

  private paramsOf(job: BatchJobRow, row: Extract<BatchRow, { record: unknown }>): DigitiseLicenceParams {
    return { typeCode: job.type_code, ...row.record, level: job.level as PadesLevel, idempotencyKey: `batch:${job.id}:${row.rowNumber}` };
  }

  /** One row on its own: a licence plus its row result in one transaction, or a failed-row record. */
  private async processRow(actor: IssuerActor, job: BatchJobRow, row: BatchRow): Promise<boolean> {
    if ('error' in row) {
      await this.recordFailure(job.id, row.rowNumber, row.error.code, row.error.message, null);
      return false;
    }
    try {
      await this.licences.digitise(actor, this.paramsOf(job, row), {
        batchJobId: job.id,
        inTransaction: async (trx, licence) => {
          await trx.insertInto('licence_batch_rows').values({ job_id: job.id, row_number: row.rowNumber, status: 'issued', licence_id: licence.id, error_code: null, error_message: null, problems: null }).execute();
          await trx
            .updateTable('licence_batch_jobs')
            .set((eb) => ({ processed_rows: eb('processed_rows', '+', 1), succeeded_rows: eb('succeeded_rows', '+', 1), updated_at: this.clock.now() }))
            .where('id', '=', job.id)
            .execute();
        },
      });
      return true;
    } catch (error) {
      if (!(error instanceof AppError)) throw error; // infrastructure trouble: stop, a later run resumes here
      const { code, message, problems } = errorOf(error);
      await this.recordFailure(job.id, row.rowNumber, code, message, problems);
      return false;
    }
  }

  private async recordFailure(jobId: string, rowNumber: number, code: string, message: string, problems: unknown[] | null): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('licence_batch_rows')
        .values({ job_id: jobId, row_number: rowNumber, status: 'failed', licence_id: null, error_code: code, error_message: message, problems: problems ? JSON.stringify(problems) : null })
        .execute();
      await trx
        .updateTable('licence_batch_jobs')
        .set((eb) => ({ processed_rows: eb('processed_rows', '+', 1), failed_rows: eb('failed_rows', '+', 1), updated_at: this.clock.now() }))
        .where('id', '=', jobId)
        .execute();
    });
  }

  /** Gives the job up so that the next runner need not wait for the lease to lapse. */
  private async release(jobId: string): Promise<BatchJob> {
    await this.db.updateTable('licence_batch_jobs').set({ lease_until: null, updated_at: this.clock.now() }).where('id', '=', jobId).where('status', '=', 'running').execute();
    return this.job(jobId);
  }

  private async claim(jobId: string): Promise<boolean> {
    const now = this.clock.now();
    const claimed = await this.db
      .updateTable('licence_batch_jobs')
      .set({ status: 'running', lease_until: new Date(now.getTime() + LEASE_MS), started_at: now, updated_at: now })
      .where('id', '=', jobId)
      .where('status', 'in', ['pending', 'running'])
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .returning('id')
      .executeTakeFirst();
    return claimed !== undefined;
  }

  private async renew(jobId: string): Promise<boolean> {
    const now = this.clock.now();
    const renewed = await this.db
      .updateTable('licence_batch_jobs')
      .set({ lease_until: new Date(now.getTime() + LEASE_MS), updated_at: now })
      .where('id', '=', jobId)
      .where('status', '=', 'running')
      .returning('id')
      .executeTakeFirst();
    return renewed !== undefined;
  }

  private async job(id: string): Promise<BatchJob> {
    const row = await this.db.selectFrom('licence_batch_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('BatchNotFound', `No licence batch ${id}`);
    return jobOf(row);
  }
}

function errorOf(error: AppError): { code: string; message: string; problems: unknown[] | null } {
  return { code: error.code, message: error.message, problems: (error.details?.problems as unknown[] | undefined) ?? null };
}

function jobOf(row: BatchJobRow): BatchJob {
  return {
    id: row.id,
    departmentId: row.department_id,
    typeCode: row.type_code,
    format: row.format,
    level: row.level,
    status: row.status,
    totalRows: row.total_rows,
    processedRows: row.processed_rows,
    succeededRows: row.succeeded_rows,
    failedRows: row.failed_rows,
    error: row.error,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
