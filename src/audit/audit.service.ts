import type { Transaction } from 'kysely';
import type { Clock } from '../clock.js';
import type { AuditLogRow, AuditOutcome } from '../db/schema/audit-log.table.js';
import type { Database, DatabaseSchema } from '../db/schema/database.js';
import { auditEntryHash, canonicalJson, GENESIS_HASH, type HashedAuditFields } from './audit-hash.js';
import * as repo from './audit.repository.js';

/** Who asked for a change: a department's key over HTTP, or the operator at the console. */
export interface Actor {
  readonly departmentId: string | null;
  readonly keyId: string | null;
  readonly requestId: string | null;
}

export const SYSTEM_ACTOR: Actor = { departmentId: null, keyId: null, requestId: null };

export interface AuditEntryParams {
  action: string;
  target?: { type: string; id: string };
  outcome?: AuditOutcome;
  details?: Record<string, unknown>;
}

export interface AuditEntry extends HashedAuditFields {
  outcome: AuditOutcome;
  hash: string;
}

export interface AuditChainReport {
  readonly intact: boolean;
  readonly entriesChecked: number;
  readonly headSeq: number | null;
  readonly headHash: string;
  readonly firstBroken: {
    readonly seq: number;
    readonly problem: 'content-altered' | 'link-broken';
    readonly message: string;
  } | null;
}

const VERIFY_BATCH = 1000;

export class AuditService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /**
   * Appends an entry inside the caller's transaction, so the entry exists exactly when
   * the change it describes does.
   */
  async append(trx: Transaction<DatabaseSchema>, actor: Actor, params: AuditEntryParams): Promise<AuditEntry> {
    const [entry] = await this.appendMany(trx, actor, [params]);
    return entry!;
  }

  /**
   * Appends several entries in order, chained one to the next, with one lock, one head read,
   * one sequence reservation and one insert: a batch writing many licences in a transaction
   * pays four round trips for its entries, not four per entry.
   */
  async appendMany(trx: Transaction<DatabaseSchema>, actor: Actor, list: readonly AuditEntryParams[]): Promise<AuditEntry[]> {
    if (list.length === 0) return [];
    await repo.lockChainHead(trx);
    const head = await repo.findHead(trx);
    const seqs = await repo.nextSeqs(trx, list.length);
    const recordedAt = this.clock.now();
    let prevHash = head?.hash ?? GENESIS_HASH;
    const entries = list.map((params, i): AuditEntry => {
      const entry: Omit<AuditEntry, 'hash'> = {
        seq: seqs[i]!,
        recordedAt,
        actorDepartmentId: actor.departmentId,
        actorKeyId: actor.keyId,
        action: params.action,
        targetType: params.target?.type ?? null,
        targetId: params.target?.id ?? null,
        requestId: actor.requestId,
        outcome: params.outcome ?? 'success',
        details: params.details ?? {},
        prevHash,
      };
      prevHash = auditEntryHash(entry);
      return { ...entry, hash: prevHash };
    });
    await repo.insertEntries(
      trx,
      entries.map((entry) => ({
        seq: entry.seq,
        recorded_at: entry.recordedAt,
        actor_department_id: entry.actorDepartmentId,
        actor_key_id: entry.actorKeyId,
        action: entry.action,
        target_type: entry.targetType,
        target_id: entry.targetId,
        request_id: entry.requestId,
        outcome: entry.outcome,
        details: canonicalJson(entry.details),
        prev_hash: entry.prevHash,
        hash: entry.hash,
      })),
    );
    return entries;
  }

  /** Records an entry on its own, for attempts that changed nothing (e.g. a refused request). */
  async record(actor: Actor, params: AuditEntryParams): Promise<AuditEntry> {
    return this.db.transaction().execute((trx) => this.append(trx, actor, params));
  }

  async list(query: repo.AuditPageQuery): Promise<AuditEntry[]> {
    const rows = await repo.listEntries(this.db, query);
    return rows.map(toEntry);
  }

  /** Recomputes every hash and link from the first entry; reports the first entry that does not hold. */
  async verifyChain(): Promise<AuditChainReport> {
    let prevHash = GENESIS_HASH;
    let afterSeq = 0;
    let checked = 0;
    let headSeq: number | null = null;
    for (;;) {
      const rows = await repo.listEntries(this.db, { afterSeq, limit: VERIFY_BATCH });
      for (const row of rows) {
        const entry = toEntry(row);
        checked++;
        if (entry.prevHash !== prevHash) {
          return broken(checked, headSeq, prevHash, entry.seq, 'link-broken',
            'prev_hash does not match the hash of the entry before it: an entry was removed, inserted or reordered');
        }
        const { hash, ...fields } = entry;
        if (auditEntryHash(fields) !== hash) {
          return broken(checked, headSeq, prevHash, entry.seq, 'content-altered',
            'the stored hash does not match the entry content: the entry was edited');
        }
        prevHash = hash;
        headSeq = entry.seq;
      }
      if (rows.length < VERIFY_BATCH) break;
      afterSeq = rows[rows.length - 1]!.seq;
    }
    return Object.freeze({ intact: true, entriesChecked: checked, headSeq, headHash: prevHash, firstBroken: null });
  }
}

function broken(
  checked: number,
  headSeq: number | null,
  headHash: string,
  seq: number,
  problem: 'content-altered' | 'link-broken',
  message: string,
): AuditChainReport {
  return Object.freeze({
    intact: false,
    entriesChecked: checked,
    headSeq,
    headHash,
    firstBroken: Object.freeze({ seq, problem, message }),
  });
}

function toEntry(row: AuditLogRow): AuditEntry {
  return {
    seq: Number(row.seq),
    recordedAt: row.recorded_at,
    actorDepartmentId: row.actor_department_id,
    actorKeyId: row.actor_key_id,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    requestId: row.request_id,
    outcome: row.outcome,
    details: row.details,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
