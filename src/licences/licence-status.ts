import type { StoredLicenceStatus } from '../db/schema/licences.table.js';

/**
 * What a licence is now: the stored status, except that a re-issued licence is 'superseded'
 * and a valid or suspended one past its end date is 'expired' (失效). Revoked (撤销) and
 * cancelled (注销) stay so whatever the date.
 */
export type LicenceStatus = StoredLicenceStatus | 'expired' | 'superseded';

export const LICENCE_STATUS_NAMES: Record<LicenceStatus, string> = {
  valid: '有效',
  suspended: '暂扣',
  revoked: '撤销',
  cancelled: '注销',
  expired: '失效',
  superseded: '已换发',
};

export function effectiveLicenceStatus(
  row: { status: StoredLicenceStatus; valid_until: string | null; superseded_by: string | null },
  today: string,
): LicenceStatus {
  if (row.superseded_by) return 'superseded';
  if (row.status === 'revoked' || row.status === 'cancelled') return row.status;
  if (row.valid_until !== null && row.valid_until < today) return 'expired';
  return row.status;
}

export const LICENCE_ACTIONS = ['suspend', 'resume', 'revoke', 'cancel'] as const;
export type LicenceAction = (typeof LICENCE_ACTIONS)[number];

/**
 * Allowed transitions, from the effective status: suspend (暂扣) and resume only a current
 * licence; revoke (撤销) and cancel (注销) anything not already ended that way or superseded.
 */
const TRANSITIONS: Record<LicenceAction, { from: readonly LicenceStatus[]; to: StoredLicenceStatus }> = {
  suspend: { from: ['valid'], to: 'suspended' },
  resume: { from: ['suspended'], to: 'valid' },
  revoke: { from: ['valid', 'suspended', 'expired'], to: 'revoked' },
  cancel: { from: ['valid', 'suspended', 'expired'], to: 'cancelled' },
};

/** The stored status after `action`, or null when the action is not allowed from `current`. */
export function transitionTarget(current: LicenceStatus, action: LicenceAction): StoredLicenceStatus | null {
  const rule = TRANSITIONS[action];
  return rule.from.includes(current) ? rule.to : null;
}

/** Re-issue (换发) replaces a licence that is still in force or merely expired or suspended. */
export function canReissue(current: LicenceStatus): boolean {
  return current === 'valid' || current === 'suspended' || current === 'expired';
}
