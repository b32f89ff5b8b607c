import type { ColumnType, Insertable, Selectable } from 'kysely';

export interface CrlsTable {
  ca_id: string;
  crl_number: number;
  this_update: Date;
  next_update: Date;
  entries: number;
  der: ColumnType<Uint8Array, Uint8Array, never>;
}

export type CrlRow = Selectable<CrlsTable>;
export type NewCrlRow = Insertable<CrlsTable>;
