import type { ColumnType, Insertable, Selectable } from 'kysely';

export type AuditOutcome = 'success' | 'rejected';

export interface AuditLogTable {
  /** Position in the chain; assigned before insert because it is part of the hashed content. */
  seq: number;
  recorded_at: ColumnType<Date, Date, never>;
  actor_department_id: string | null;
  actor_key_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  outcome: AuditOutcome;
  details: ColumnType<Record<string, unknown>, string, never>;
  prev_hash: string;
  hash: string;
}

export type AuditLogRow = Selectable<AuditLogTable>;
export type NewAuditLogRow = Insertable<AuditLogTable>;
