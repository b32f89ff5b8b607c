/**
 * Valid sample data for every shipped licence type, built from the catalogue (templates/)
 * rather than written out per type, so a new template is covered as soon as it ships. Check
 * characters are computed, never hard-coded; a pattern without a sample here fails loudly.
 */
import { fileURLToPath } from 'node:url';
import type { TestApp } from '../support/test-app.js';
import { testCreditCode } from '../support/credit-codes.js';
import { type LicenceFieldSpec, type LicenceType, LicenceTypeCatalogue } from '../../src/licences/licence-type.js';
import { residentIdCheckCharacter } from '../../src/pki/resident-id.js';

export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates', import.meta.url));

/** The shipped catalogue, read the way the app reads it. */
export const shippedCatalogue = LicenceTypeCatalogue.load(TEMPLATES_DIR);

/** A resident ID (GB 11643) from its first 17 digits, with its MOD 11-2 check character. */
export function residentId(first17: string): string {
  return first17 + residentIdCheckCharacter(first17);
}

/** The same id with a wrong check character. */
export function withWrongCheckCharacter(id: string, alphabet = '0123456789X'): string {
  const wrong = [...alphabet].find((c) => c !== id.at(-1))!;
  return id.slice(0, -1) + wrong;
}

export interface SampleLicence {
  typeCode: string;
  holders: { name: string; id: string }[];
  fields: Record<string, string>;
  validUntil?: string;
}

const PERSON_NAMES = ['张三', '李小红', '王建国', '赵丽华', '欧阳明月', '刘洋', '陈静', '杨帆'];
const ORGANISATION_NAMES = ['太原市晋阳科技有限公司', '大同市云冈文化传媒有限公司', '山西汾河建设工程有限公司', '晋中市平遥古城旅游发展有限公司'];

/** Samples for each `pattern` a shipped template uses; each is checked against its pattern. */
const PATTERN_SAMPLES: Record<string, string> = {
  '\\p{Script=Han}\\d{8,15}': '晋114202000123',
  'J\\d{6}-\\d{4}-\\d{6}': 'J140105-2026-000123',
  '\\d{10,30}': '314010520010001234',
  '\\d{4}-\\d{2}-\\d{2}至\\d{4}-\\d{2}-\\d{2}': '2026-10-01至2026-10-31',
};

/** Readable values for free-text fields by key; anything else gets its label and 示例. */
const TEXT_SAMPLES: Record<string, string> = {
  legalRepresentative: '王建国',
  businessScope: '软件开发；信息技术咨询服务；计算机系统服务。（依法须经批准的项目，经相关部门批准后方可开展经营活动）',
  domicile: '山西省太原市小店区长风街100号',
  employer: '山西汾河建设工程有限公司',
  address: '山西省太原市迎泽区迎泽大街1号',
  guardian: '张大山',
  taxAuthority: '国家税务总局太原市小店区税务局',
  itemName: '增值税',
  remarks: '无',
};

/** A resident ID for holder `role` of sample `n`: born 1990-01-01 in 110105 (北京市朝阳区). */
export function sampleResidentId(n: number, role = 0): string {
  return residentId(`11010519900101${String((n * 4 + role) % 1000).padStart(3, '0')}`);
}

export function sampleHolders(type: LicenceType, n: number): SampleLicence['holders'] {
  return type.holderRoles.map((_role, i) =>
    type.holderKind === 'person'
      ? { name: PERSON_NAMES[(n * 2 + i) % PERSON_NAMES.length]!, id: sampleResidentId(n, i) }
      : { name: ORGANISATION_NAMES[(n + i) % ORGANISATION_NAMES.length]!, id: testCreditCode(700 + n * 4 + i) },
  );
}

function sampleField(field: LicenceFieldSpec, n: number): string {
  switch (field.type) {
    case 'text':
    case 'multiline': {
      if (field.pattern !== undefined) {
        const sample = PATTERN_SAMPLES[field.pattern];
        if (sample === undefined) throw new Error(`licence-fixtures: add a sample for the pattern ${field.pattern} (field ${field.key})`);
        if (!new RegExp(`^(?:${field.pattern})$`, 'u').test(sample)) throw new Error(`licence-fixtures: ${sample} does not match ${field.pattern}`);
        return sample;
      }
      const text = TEXT_SAMPLES[field.key] ?? `${field.label}示例`;
      return [...text].slice(0, field.maxLength ?? text.length).join('');
    }
    case 'enum':
      return field.options![n % field.options!.length]!;
    case 'date':
      return '2020-05-01';
    case 'integer':
      return String(field.min ?? 1);
    case 'money':
      return field.max !== undefined && field.max < 1234.5 ? String(field.max) : '1234.50';
    case 'resident-id':
      return sampleResidentId(n, 3);
    case 'credit-code':
      return testCreditCode(900 + n);
  }
}

/**
 * Valid issuance data for `type`, sample `n`: every field filled (optional ones too, so the
 * face is full), holders by the type's holder kind, and an end date where the type takes one.
 */
export function sampleLicence(type: LicenceType, n = 0): SampleLicence {
  const fields: Record<string, string> = {};
  for (const field of type.fields) fields[field.key] = sampleField(field, n);
  return {
    typeCode: type.code,
    holders: sampleHolders(type, n),
    fields,
    ...(type.validity.kind === 'given' ? { validUntil: '2046-12-31' } : {}),
  };
}

/** The licence as the API returns it (the fields the tests read). */
export interface LicenceJson {
  identifier: string;
  typeCode: string;
  typeName: string;
  licenceNumber: string;
  version: number;
  status: string;
  statusReason: string | null;
  issuer: { departmentId: string; name: string; creditCode: string };
  holders: { role: string; name: string; idTypeCode: string; id: string }[];
  fields: Record<string, string>;
  issueDate: string;
  validFrom: string;
  validUntil: string | null;
  issuedAt: string;
  channel: 'electronic' | 'electronic-with-paper' | 'digitised';
  paperNumber: string | null;
  supersedes: string | null;
  supersededBy: string | null;
  fileSha256: string;
  sealLevel: string;
  masked: boolean;
  links: { file: string; verify: string | null };
}

export interface IssuingDepartment {
  departmentId: string;
  token: string;
  creditCode: string;
  /** Seal id by seal type. */
  seals: Record<string, string>;
}

/**
 * An issuer department with a credit code, a seal of every seal type the catalogue names and
 * the issue right to `types` (default: all of them).
 */
export async function issuingDepartment(t: TestApp, n: number, types: readonly LicenceType[] = shippedCatalogue.list()): Promise<IssuingDepartment> {
  const creditCode = testCreditCode(n);
  const { departmentId, token } = await t.departmentWithKey(['issuer'], creditCode);
  const seals: Record<string, string> = {};
  for (const sealType of new Set(shippedCatalogue.list().map((type) => type.sealType))) {
    const res = await t.request('/api/v1/seals', { method: 'POST', token: t.adminToken, json: { ownerDepartmentId: departmentId, type: sealType } });
    if (res.status !== 201) throw new Error(`creating a ${sealType} seal: ${res.status} ${await res.text()}`);
    seals[sealType] = ((await res.json()) as { id: string }).id;
  }
  for (const type of types) await grantLicenceRight(t, departmentId, type.code, 'issue');
  return { departmentId, token, creditCode, seals };
}

export async function grantLicenceRight(t: TestApp, departmentId: string, typeCode: string, right: 'issue' | 'read'): Promise<void> {
  const res = await t.request(`/api/v1/departments/${departmentId}/licence-types/${typeCode}/${right}`, { method: 'PUT', token: t.adminToken });
  if (res.status !== 204) throw new Error(`granting ${right} on ${typeCode}: ${res.status} ${await res.text()}`);
}

/**
 * ISO/IEC 7064 hybrid system MOD 37,36, written here from the standard's definition and not
 * shared with src/pki/licence-identifier.ts. A string with its check character appended is
 * valid when the last step leaves remainder 1; the check character is the one character of
 * 0-9A-Z that makes the string valid.
 */
const MOD37_36_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export function mod37_36IsValid(withCheck: string): boolean {
  const M = 36;
  let product = M;
  let remainder = 0;
  for (const ch of withCheck) {
    const value = MOD37_36_ALPHABET.indexOf(ch);
    if (value < 0) return false;
    remainder = (product + value) % M;
    product = ((remainder === 0 ? M : remainder) * 2) % (M + 1);
  }
  return remainder === 1;
}

export function mod37_36CheckCharacter(text: string): string {
  const found = [...MOD37_36_ALPHABET].filter((c) => mod37_36IsValid(text + c));
  if (found.length !== 1) throw new Error(`MOD 37,36: ${found.length} check characters for ${text}`);
  return found[0]!;
}

/** GB/T 36904: the check character covers segments 2-5 without the root and without dots. */
export function identifierCheck(identifier: string): { expected: string; written: string } {
  const segments = identifier.split('.');
  const root = segments.slice(0, 5).join('.');
  if (root !== '1.2.156.3005.2' || segments.length !== 10) throw new Error(`not a GB/T 36904 identifier: ${identifier}`);
  return { expected: mod37_36CheckCharacter(segments.slice(5, 9).join('')), written: segments[9]! };
}
