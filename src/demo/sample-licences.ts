import { creditCodeCheckCharacter } from '../pki/credit-code.js';
import { residentIdCheckCharacter } from '../pki/resident-id.js';
import type { LicenceDataParams } from '../licences/licence-data.js';

/** Fictitious people and companies of Taiyuan, with check characters computed, for the demo. */
const residentId = (body17: string) => body17 + residentIdCheckCharacter(body17);
const creditCode = (body17: string) => body17 + creditCodeCheckCharacter(body17);

export const SAMPLE_LICENCES: Record<string, LicenceDataParams & { paperNumber?: string }> = {
  'business-licence': {
    holders: [{ name: '太原晋华信息科技有限公司', id: creditCode('91140105MA0K2D8X1') }],
    fields: {
      entityType: '有限责任公司（自然人投资或控股）',
      legalRepresentative: '王建国',
      businessScope: '软件开发；信息系统集成服务；信息技术咨询服务；数据处理和存储支持服务。（依法须经批准的项目，经相关部门批准后方可开展经营活动）',
      registeredCapital: '500',
      establishedOn: '2019-03-18',
      domicile: '山西省太原市小店区长风街116号赛格国际大厦12层',
    },
    paperNumber: 'SX1401052026000123',
  },
  'marriage-certificate': {
    holders: [
      { name: '李明', id: residentId('14010519920315003') },
      { name: '张晓红', id: residentId('14010619940721004') },
    ],
    fields: { registrationDate: '2026-05-20', certificateNumber: 'J140105-2026-000520' },
  },
  'disability-certificate': {
    holders: [{ name: '赵志强', id: residentId('14010719800512001') }],
    fields: { sex: '男', disabilityCategory: '肢体', disabilityGrade: '三级', address: '山西省太原市杏花岭区府西街69号' },
  },
  'tax-payment-certificate': {
    holders: [{ name: '太原晋华信息科技有限公司', id: creditCode('91140105MA0K2D8X1') }],
    fields: {
      taxAuthority: '国家税务总局太原市小店区税务局',
      originalVoucherNumber: '314010526110000123456',
      taxCategory: '增值税',
      itemName: '软件服务',
      taxPeriod: '2026-10-01至2026-10-31',
      paymentDate: '2026-11-12',
      amount: '12860.35',
    },
  },
  'constructor-registration': {
    holders: [{ name: '孙丽华', id: residentId('14010819880909002') }],
    fields: {
      sex: '女',
      birthDate: '1988-09-09',
      employer: '山西建筑工程集团有限公司',
      specialty: '建筑工程',
      registrationNumber: '晋2142026000123',
    },
  },
};
