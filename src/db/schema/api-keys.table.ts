import type { ColumnType, Insertable, Selectable } from 'kysely';

export interface ApiKeysTable {
  id: string;
  department_id: string;
  label: string;
  /** The first characters of the token, shown in listings so a holder can tell keys apart. */
  token_prefix: string;
  /** SHA-256 of the whole token, hex. The token itself is never stored. */
  token_hash: string;
  created_at: ColumnType<Date, Date, never>;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

export type ApiKeyRow = Selectable<ApiKeysTable>;
export type NewApiKeyRow = Insertable<ApiKeysTable>;
