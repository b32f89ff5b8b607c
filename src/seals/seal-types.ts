import type { SealType } from '../db/schema/seals.table.js';

/** The label drawn under the star and appended to the organisation name in the seal's name. */
export const SEAL_TYPE_LABELS: Record<SealType, string> = {
  'legal-name': '',
  licence: '证照专用章',
  business: '业务专用章',
  finance: '财务专用章',
  contract: '合同专用章',
  personal: '',
};

export const SEAL_TYPE_NAMES: Record<SealType, string> = {
  'legal-name': '法定名称章',
  licence: '证照专用章',
  business: '业务专用章',
  finance: '财务专用章',
  contract: '合同专用章',
  personal: '个人名章',
};
