import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { chinaDate } from '../../src/licences/licence-data.js';
import type { LicenceType } from '../../src/licences/licence-type.js';
import { testCreditCode } from '../support/credit-codes.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import {
  grantLicenceRight,
  identifierCheck,
  type IssuingDepartment,
  issuingDepartment,
  type LicenceJson,
  residentId,
  sampleLicence,
  shippedCatalogue,
  withWrongCheckCharacter,
} from './licence-fixtures.js';

const DAY = 24 * 60 * 60 * 1000;
const LEVEL = 'B-B'; // no time-stamp round trip: these tests are about behaviour, not seals

function typeBySlug(slug: string): LicenceType {
  const type = shippedCatalogue.list().find((t) => t.slug === slug);
  if (!type) throw new Error(`no shipped licence type ${slug}`);
  return type;
}

const business = typeBySlug('business-licence'); // organisation, validity given
const marriage = typeBySlug('marriage-certificate'); // two persons, permanent
const disability = typeBySlug('disability-certificate'); // person, fixed term
const registration = typeBySlug('constructor-registration'); // person, fixed term
const tax = typeBySlug('tax-payment-certificate'); // organisation, permanent

type Body = Record<string, unknown>;

/**
 * Issuance, lifecycle, re-issue, queries, rights and statistics of licences through the HTTP
 * API, in process, on the test database engine (PGlite or PostgreSQL). The clock is manual so
 * that expiry can be reached by moving it.
 */
describe('licences over the API', () => {
  const clock = new ManualClock(new Date());
  const logLines: string[] = [];
  let t: TestApp;
  let issuer: IssuingDepartment;
  let otherIssuer: IssuingDepartment;
  let unauthorised: IssuingDepartment;
  let acceptor: { departmentId: string; token: string };
  /** Every licence this file issued (201), for the statistics. */
  const ledger: { identifier: string; typeCode: string; channel: string }[] = [];
  /** Every holder id this file sent, valid or not: none may reach the audit log or the logs. */
  const holderIdsSent = new Set<string>();
  let sampleNumber = 0;

  beforeAll(async () => {
    const logStream = new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    t = await createTestApp({ clock, logStream });
    issuer = await issuingDepartment(t, 60);
    otherIssuer = await issuingDepartment(t, 61);
    unauthorised = await issuingDepartment(t, 63, []);
    acceptor = await t.departmentWithKey(['acceptor'], testCreditCode(62));
  });

  afterAll(async () => {
    await t?.close();
  });

  const today = () => chinaDate(clock.now());

  function post(path: string, token: string, json: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return t.request(path, { method: 'POST', token, json, headers });
  }

  function send(json: Body, token = issuer.token, idempotencyKey?: string): Promise<Response> {
    for (const holder of (json.holders as { id: string }[] | undefined) ?? []) holderIdsSent.add(holder.id);
    return post('/api/v1/licences', token, json, idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {});
  }

  /** Valid data for `type` (a new sample each time) with `overrides`. */
  function data(type: LicenceType, overrides: Body = {}): Body {
    return { ...sampleLicence(type, sampleNumber++), level: LEVEL, ...overrides };
  }

  async function issued(res: Response, status = 201): Promise<LicenceJson> {
    expect(res.status, await res.clone().text()).toBe(status);
    const licence = (await res.json()) as LicenceJson;
    if (status === 201) ledger.push({ identifier: licence.identifier, typeCode: licence.typeCode, channel: licence.channel });
    return licence;
  }

  async function issue(type: LicenceType, overrides: Body = {}, token = issuer.token): Promise<LicenceJson> {
    return issued(await send(data(type, overrides), token));
  }

  async function get(identifier: string, token = issuer.token): Promise<LicenceJson> {
    const res = await t.request(`/api/v1/licences/${encodeURIComponent(identifier)}`, { token });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as LicenceJson;
  }

  const STATUS_PATHS = { suspend: 'suspension', resume: 'resumption', revoke: 'revocation', cancel: 'cancellation' } as const;
  type Action = keyof typeof STATUS_PATHS;

  /** `reason` null: a body without one. */
  function change(identifier: string, action: Action, reason: string | null = `理由：${action}`, token = issuer.token): Promise<Response> {
    return post(`/api/v1/licences/${encodeURIComponent(identifier)}/${STATUS_PATHS[action]}`, token, reason === null ? {} : { reason });
  }

  async function expectProblem(res: Response, status: number, code: string): Promise<Record<string, unknown>> {
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status, JSON.stringify(body)).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(body.code).toBe(code);
    return body;
  }

  const count = async (table: 'licences' | 'licence_files' | 'licence_holders' | 'licence_events' | 'seal_uses') =>
    (await t.ctx.db.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()).n;
  const storedCounts = async () => ({
    licences: Number(await count('licences')),
    files: Number(await count('licence_files')),
    holders: Number(await count('licence_holders')),
    events: Number(await count('licence_events')),
    sealUses: Number(await count('seal_uses')),
  });

  type AuditEntry = { seq: number; action: string; targetId: string | null; outcome: string; details: Record<string, unknown> };
  async function auditLog(): Promise<AuditEntry[]> {
    const all: AuditEntry[] = [];
    for (;;) {
      const res = await t.request(`/api/v1/audit-log?limit=1000&afterSeq=${all.at(-1)?.seq ?? 0}`, { token: t.adminToken });
      expect(res.status).toBe(200);
      const { items } = (await res.json()) as { items: AuditEntry[] };
      all.push(...items);
      if (items.length < 1000) return all;
    }
  }

  describe('issuing, with an Idempotency-Key', () => {
    it('answers 201 with a Location that serves the licence', async () => {
      const res = await send(data(marriage));
      const licence = await issued(res);
      expect(res.headers.get('location')).toBe(`/api/v1/licences/${encodeURIComponent(licence.identifier)}`);
      expect(licence).toMatchObject({ status: 'valid', version: 1, sealLevel: LEVEL, channel: 'electronic', paperNumber: null, supersedes: null, supersededBy: null });
      expect(identifierCheck(licence.identifier).written).toBe(identifierCheck(licence.identifier).expected);
      const fetched = await t.request(res.headers.get('location')!, { token: issuer.token });
      expect(fetched.status).toBe(200);
      expect(((await fetched.json()) as LicenceJson).identifier).toBe(licence.identifier);
    });

    it('replays the same key and body as 200 with the same licence, storing nothing more', async () => {
      const body = data(business);
      const first = await issued(await send(body, issuer.token, 'issue-replay-1'));
      const before = await storedCounts();
      const again = await send(body, issuer.token, 'issue-replay-1');
      const replayed = await issued(again, 200);
      expect(replayed.identifier).toBe(first.identifier);
      expect(replayed.fileSha256).toBe(first.fileSha256);
      expect(again.headers.get('location')).toBe(`/api/v1/licences/${encodeURIComponent(first.identifier)}`);
      expect(await storedCounts()).toEqual(before);
    });

    it('refuses the same key with a different body: 409 IdempotencyKeyReused, nothing stored', async () => {
      const body = data(business);
      await issued(await send(body, issuer.token, 'issue-replay-2'));
      const before = await storedCounts();
      const changed = { ...body, fields: { ...(body.fields as Body), domicile: '山西省大同市平城区御河西路1号' } };
      await expectProblem(await send(changed, issuer.token, 'issue-replay-2'), 409, 'IdempotencyKeyReused');
      expect(await storedCounts()).toEqual(before);
    });

    it('issues once when two requests with one key race: one 201, one 200, one licence', async () => {
      const body = data(tax);
      const before = (await storedCounts()).licences;
      const responses = await Promise.all([send(body, issuer.token, 'issue-race'), send(body, issuer.token, 'issue-race')]);
      expect(responses.map((r) => r.status).sort()).toEqual([200, 201]);
      const [a, b] = await Promise.all(responses.map((r) => issued(r, r.status)));
      expect(a!.identifier).toBe(b!.identifier);
      expect((await storedCounts()).licences).toBe(before + 1);
    });

    it('keeps keys per department: another department may use the same key', async () => {
      const mine = await issued(await send(data(tax), issuer.token, 'shared-key'));
      const theirs = await issued(await send(data(tax), otherIssuer.token, 'shared-key'));
      expect(theirs.identifier).not.toBe(mine.identifier);
    });

    it('records a paper licence issued alongside and counts it as such', async () => {
      const licence = await issue(disability, { paperNumber: 'CJ-140105-000123' });
      expect(licence).toMatchObject({ paperNumber: 'CJ-140105-000123', channel: 'electronic-with-paper' });
      expect((await get(licence.identifier)).paperNumber).toBe('CJ-140105-000123');
    });

    it('gives each licence of a type its own number and serial', async () => {
      const a = await issue(registration);
      const b = await issue(registration);
      expect(a.licenceNumber).not.toBe(b.licenceNumber);
      expect(a.identifier.split('.')[7]).not.toBe(b.identifier.split('.')[7]);
    });
  });

  describe('lifecycle', () => {
    it('suspends, resumes and revokes, each visible at once, and lists the history in order', async () => {
      const licence = await issue(marriage);
      const steps: [Action, string][] = [
        ['suspend', 'suspended'],
        ['resume', 'valid'],
        ['revoke', 'revoked'],
      ];
      for (const [action, status] of steps) {
        clock.advance(1000);
        const res = await change(licence.identifier, action, `因${action}`);
        expect(res.status, await res.clone().text()).toBe(200);
        expect(((await res.json()) as LicenceJson).status).toBe(status);
        const now = await get(licence.identifier);
        expect(now).toMatchObject({ status, statusReason: `因${action}` });
        expect((await get(licence.identifier, acceptor.token)).status).toBe(status);
      }
      const history = await t.request(`/api/v1/licences/${encodeURIComponent(licence.identifier)}/history`, { token: issuer.token });
      expect(history.status).toBe(200);
      const { items } = (await history.json()) as { items: { action: string; from: string | null; to: string; reason: string | null; departmentId: string; at: string }[] };
      expect(items.map(({ action, from, to, reason }) => ({ action, from, to, reason }))).toEqual([
        { action: 'issue', from: null, to: 'valid', reason: null },
        { action: 'suspend', from: 'valid', to: 'suspended', reason: '因suspend' },
        { action: 'resume', from: 'suspended', to: 'valid', reason: '因resume' },
        { action: 'revoke', from: 'valid', to: 'revoked', reason: '因revoke' },
      ]);
      expect(items.every((e) => e.departmentId === issuer.departmentId)).toBe(true);
      const times = items.map((e) => Date.parse(e.at));
      expect(new Set(times).size).toBe(times.length);
      expect([...times].sort((a, b) => a - b)).toEqual(times);
    });

    it.each<[string, Action[], Action]>([
      ['resume a valid licence', [], 'resume'],
      ['suspend a suspended licence', ['suspend'], 'suspend'],
      ['revoke a cancelled licence', ['cancel'], 'revoke'],
      ['cancel a cancelled licence', ['cancel'], 'cancel'],
      ['resume a cancelled licence', ['cancel'], 'resume'],
      ['suspend a revoked licence', ['revoke'], 'suspend'],
      ['revoke a revoked licence', ['revoke'], 'revoke'],
      ['cancel a revoked licence', ['revoke'], 'cancel'],
    ])('refuses to %s: 409 LicenceTransitionNotAllowed, status unchanged', async (_label, before, action) => {
      const licence = await issue(tax);
      for (const step of before) expect((await change(licence.identifier, step)).status).toBe(200);
      const status = (await get(licence.identifier)).status;
      const events = Number(await count('licence_events'));
      await expectProblem(await change(licence.identifier, action), 409, 'LicenceTransitionNotAllowed');
      expect((await get(licence.identifier)).status).toBe(status);
      expect(Number(await count('licence_events'))).toBe(events);
    });

    it.each([
      ['no reason', null, 'InvalidRequest'],
      ['an empty reason', '', 'InvalidRequest'],
      ['a reason of blanks', '   ', 'ReasonRequired'],
    ])('wants a reason: %s is a 400', async (_label, reason, code) => {
      const licence = await issue(tax);
      await expectProblem(await change(licence.identifier, 'suspend', reason), 400, code);
      expect((await get(licence.identifier)).status).toBe('valid');
    });

    it('lets only the issuing department change a licence', async () => {
      const licence = await issue(disability);
      await expectProblem(await change(licence.identifier, 'suspend', '他部门', otherIssuer.token), 403, 'NotLicenceIssuer');
      await expectProblem(await change(licence.identifier, 'revoke', '无权', acceptor.token), 403, 'RoleRequired');
      const reissue = await post(`/api/v1/licences/${encodeURIComponent(licence.identifier)}/reissue`, otherIssuer.token, { reason: '他部门', level: LEVEL });
      await expectProblem(reissue, 403, 'NotLicenceIssuer');
      expect((await get(licence.identifier)).status).toBe('valid');
    });

    it('answers 404 LicenceNotFound for an identifier nobody issued', async () => {
      const licence = await issue(tax);
      const unknown = licence.identifier.replace(/\.001\.[0-9A-Z]$/, '.009.0');
      await expectProblem(await change(unknown, 'suspend'), 404, 'LicenceNotFound');
      await expectProblem(await t.request(`/api/v1/licences/${encodeURIComponent(unknown)}`, { token: issuer.token }), 404, 'LicenceNotFound');
    });

    it('audits every change, with the identifier, from, to and reason', async () => {
      const licence = await issue(tax);
      await change(licence.identifier, 'suspend', '暂扣原因');
      await change(licence.identifier, 'resume', '恢复原因');
      await change(licence.identifier, 'revoke', '撤销原因');
      const entries = (await auditLog()).filter((e) => e.details.identifier === licence.identifier && e.outcome === 'success');
      expect(entries.map((e) => [e.action, e.details.from ?? null, e.details.to ?? null, e.details.reason ?? null])).toEqual([
        ['licence.issued', null, null, null],
        ['licence.suspended', 'valid', 'suspended', '暂扣原因'],
        ['licence.resumed', 'suspended', 'valid', '恢复原因'],
        ['licence.revoked', 'valid', 'revoked', '撤销原因'],
      ]);
    });

    // licence.service.ts changeStatus() builds the action as `${action}ed` for 'cancel', giving the
    // American 'licence.canceled' while the status and every other name use 'cancelled'.
    it('audits a cancellation as licence.cancelled, not licence.canceled', async () => {
      const licence = await issue(tax);
      await change(licence.identifier, 'cancel');
      const actions = (await auditLog()).filter((e) => e.details.identifier === licence.identifier && e.outcome === 'success').map((e) => e.action);
      expect(actions).toEqual(['licence.issued', 'licence.cancelled']);
    });
  });

  describe('re-issue (换发)', () => {
    it('creates version 002 with a new identifier, same number and serial, linked both ways to the superseded one', async () => {
      const old = await issue(registration);
      const fields = { ...old.fields, employer: '山西汾河路桥建设有限公司' };
      const res = await post(`/api/v1/licences/${encodeURIComponent(old.identifier)}/reissue`, issuer.token, { reason: '变更聘用企业', fields, level: LEVEL });
      const renewed = await issued(res);
      expect(res.headers.get('location')).toBe(`/api/v1/licences/${encodeURIComponent(renewed.identifier)}`);

      const [oldSegments, newSegments] = [old.identifier.split('.'), renewed.identifier.split('.')];
      expect(renewed.identifier).not.toBe(old.identifier);
      expect(newSegments.slice(0, 8)).toEqual(oldSegments.slice(0, 8)); // root, type, issuer, serial
      expect(newSegments[8]).toBe('002');
      const check = identifierCheck(renewed.identifier);
      expect(check.written).toBe(check.expected);
      expect(renewed).toMatchObject({ version: 2, licenceNumber: old.licenceNumber, status: 'valid', supersedes: old.identifier, supersededBy: null });
      expect(renewed.fields.employer).toBe('山西汾河路桥建设有限公司');
      expect(renewed.holders).toEqual(old.holders);

      expect(await get(old.identifier)).toMatchObject({ status: 'superseded', supersededBy: renewed.identifier });
      expect(await get(renewed.identifier)).toMatchObject({ status: 'valid', supersedes: old.identifier });

      const history = async (identifier: string) =>
        ((await (await t.request(`/api/v1/licences/${encodeURIComponent(identifier)}/history`, { token: issuer.token })).json()) as { items: { action: string; to: string }[] }).items.map(
          (e) => [e.action, e.to],
        );
      expect(await history(old.identifier)).toEqual([
        ['issue', 'valid'],
        ['reissue', 'superseded'],
      ]);
      expect(await history(renewed.identifier)).toEqual([['reissued', 'valid']]);

      const byNumber = (await (await t.request(`/api/v1/licences?licenceNumber=${encodeURIComponent(old.licenceNumber)}`, { token: issuer.token })).json()) as { items: LicenceJson[] };
      expect(byNumber.items.map((l) => [l.version, l.status])).toEqual([
        [1, 'superseded'],
        [2, 'valid'],
      ]);
    });

    it('refuses to re-issue or change a superseded licence: 409, and nothing stored', async () => {
      const old = await issue(disability);
      await issued(await post(`/api/v1/licences/${encodeURIComponent(old.identifier)}/reissue`, issuer.token, { reason: '换发', level: LEVEL }));
      const before = await storedCounts();
      await expectProblem(await post(`/api/v1/licences/${encodeURIComponent(old.identifier)}/reissue`, issuer.token, { reason: '再次换发', level: LEVEL }), 409, 'LicenceTransitionNotAllowed');
      await expectProblem(await change(old.identifier, 'suspend'), 409, 'LicenceTransitionNotAllowed');
      expect(await storedCounts()).toEqual(before);
    });

    it('re-issues once when two re-issues of one licence race: one 201, one 409', async () => {
      const old = await issue(tax);
      const path = `/api/v1/licences/${encodeURIComponent(old.identifier)}/reissue`;
      const responses = await Promise.all([post(path, issuer.token, { reason: '换发甲', level: LEVEL }), post(path, issuer.token, { reason: '换发乙', level: LEVEL })]);
      expect(responses.map((r) => r.status).sort()).toEqual([201, 409]);
      const winner = await issued(responses.find((r) => r.status === 201)!);
      expect(((await responses.find((r) => r.status === 409)!.json()) as { code: string }).code).toMatch(/^(LicenceAlreadyReissued|LicenceTransitionNotAllowed|LicenceNumberTaken)$/);
      expect(await get(old.identifier)).toMatchObject({ status: 'superseded', supersededBy: winner.identifier });
      const versions = (await (await t.request(`/api/v1/licences?licenceNumber=${encodeURIComponent(old.licenceNumber)}`, { token: issuer.token })).json()) as { items: LicenceJson[] };
      expect(versions.items.map((l) => l.version)).toEqual([1, 2]);
    });

    it('replays a re-issue with the same Idempotency-Key', async () => {
      const old = await issue(tax);
      const path = `/api/v1/licences/${encodeURIComponent(old.identifier)}/reissue`;
      const first = await issued(await post(path, issuer.token, { reason: '换发', level: LEVEL }, { 'Idempotency-Key': 'reissue-1' }));
      const again = await issued(await post(path, issuer.token, { reason: '换发', level: LEVEL }, { 'Idempotency-Key': 'reissue-1' }), 200);
      expect(again.identifier).toBe(first.identifier);
    });

    it('wants a reason and valid data', async () => {
      const old = await issue(disability);
      const path = `/api/v1/licences/${encodeURIComponent(old.identifier)}/reissue`;
      await expectProblem(await post(path, issuer.token, { level: LEVEL }), 400, 'InvalidRequest');
      const badHolder = [{ name: '刘洋', id: withWrongCheckCharacter(old.holders[0]!.id) }];
      holderIdsSent.add(badHolder[0]!.id);
      await expectProblem(await post(path, issuer.token, { reason: '换发', holders: badHolder, level: LEVEL }), 400, 'InvalidLicenceData');
      expect((await get(old.identifier)).status).toBe('valid');
    });
  });

  describe('bad input: a 4xx with a stable code, nothing stored', () => {
    it('refuses a department without the issue right: 403 LicenceTypeNotAuthorised', async () => {
      const before = await storedCounts();
      await expectProblem(await send(data(business), unauthorised.token), 403, 'LicenceTypeNotAuthorised');
      expect(await storedCounts()).toEqual(before);
    });

    it('refuses an unknown type: 404 LicenceTypeNotFound', async () => {
      await expectProblem(await send({ ...data(business), typeCode: `${business.code.slice(0, 18)}999` }), 404, 'LicenceTypeNotFound');
    });

    /** Each case: the data, and the problem (path, code) the answer must list in details.problems. */
    const invalid: [string, LicenceType, (d: Body) => Body, string, string][] = [
      ['a resident ID with a wrong check character', disability, (d) => ({ ...d, holders: [{ name: '张三', id: withWrongCheckCharacter(residentId('11010519900101002')) }] }), 'holders[0].id', 'resident-id-check-character'],
      ['a resident ID of the wrong shape', marriage, (d) => ({ ...d, holders: [(d.holders as Body[])[0], { name: '李四', id: '1101051990010100' }] }), 'holders[1].id', 'resident-id-shape'],
      ['a credit code with a wrong check character', business, (d) => ({ ...d, holders: [{ name: '太原市某公司', id: withWrongCheckCharacter(testCreditCode(777), '0123456789ABCDEFGHJKLMNPQRTUWXY') }] }), 'holders[0].id', 'credit-code-check-character'],
      ['a credit code with a letter GB 32100 leaves out', tax, (d) => ({ ...d, holders: [{ name: '太原市某公司', id: testCreditCode(778).replace(/^1/, 'I') }] }), 'holders[0].id', 'credit-code-shape'],
      ['a missing required field', business, (d) => ({ ...d, fields: { ...(d.fields as Body), legalRepresentative: undefined } }), 'fields.legalRepresentative', 'required'],
      ['a field of another type', tax, (d) => ({ ...d, fields: { ...(d.fields as Body), spouse: '李四' } }), 'fields.spouse', 'unknown-field'],
      ['a value not among the options', disability, (d) => ({ ...d, fields: { ...(d.fields as Body), disabilityGrade: '五级' } }), 'fields.disabilityGrade', 'not-an-option'],
      ['a date that is not one', marriage, (d) => ({ ...d, fields: { ...(d.fields as Body), registrationDate: '2026-02-30' } }), 'fields.registrationDate', 'not-a-date'],
      ['a value of the wrong form', marriage, (d) => ({ ...d, fields: { ...(d.fields as Body), certificateNumber: 'J14-2026-1' } }), 'fields.certificateNumber', 'pattern'],
      ['one party to a marriage', marriage, (d) => ({ ...d, holders: [(d.holders as Body[])[0]] }), 'holders', 'holder-count'],
      ['an end date for a permanent licence', marriage, (d) => ({ ...d, validUntil: '2030-01-01' }), 'validUntil', 'validity-not-allowed'],
      ['a guardian ID with a wrong check character', disability, (d) => ({ ...d, fields: { ...(d.fields as Body), guardianId: withWrongCheckCharacter(residentId('11010519600101003')) } }), 'fields.guardianId', 'resident-id-check-character'],
    ];

    it.each(invalid)('refuses %s: 400 InvalidLicenceData with the problem\'s path and code', async (_label, type, mutate, path, code) => {
      const before = await storedCounts();
      const body = await expectProblem(await send(mutate(data(type))), 400, 'InvalidLicenceData');
      expect(body.detail).toContain(`${path}: `);
      expect((body.details as { problems: unknown[] }).problems).toEqual([expect.objectContaining({ path, code })]);
      expect(await storedCounts()).toEqual(before);
    });

    it('lists every problem of the data at once, not only the first', async () => {
      const base = data(disability);
      const body = {
        ...base,
        holders: [{ name: '张三', id: withWrongCheckCharacter(residentId('11010519900101002')) }],
        fields: { ...(base.fields as Body), disabilityGrade: '五级' },
      };
      const problem = await expectProblem(await send(body), 400, 'InvalidLicenceData');
      expect((problem.details as { problems: unknown[] }).problems).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ path: 'holders[0].id', code: 'resident-id-check-character' }),
          expect.objectContaining({ path: 'fields.disabilityGrade', code: 'not-an-option' }),
        ]),
      );
    });

    it('refuses a malformed paper licence number', async () => {
      await expectProblem(await send(data(tax, { paperNumber: 'WS 2026/1' })), 400, 'InvalidPaperNumber');
    });
  });

  describe('who sees what', () => {
    const person = [
      { name: '张三', id: residentId('11010519900101002') },
      { name: '欧阳明月', id: residentId('11010519920202008') }, // check character X
    ];
    let licence: LicenceJson;
    let company: LicenceJson;

    beforeAll(async () => {
      licence = await issue(marriage, { holders: person, paperNumber: 'J140105-000777' });
      company = await issue(tax);
    });

    it('masks holders and withholds fields from a department without the read right', async () => {
      const seen = await get(licence.identifier, acceptor.token);
      expect(seen.masked).toBe(true);
      expect(seen.holders.map((h) => [h.name, h.id])).toEqual([
        ['张*', `1101**********${person[0]!.id.slice(-4)}`],
        ['欧**月', `1101**********${person[1]!.id.slice(-4)}`],
      ]);
      expect(seen.fields).toEqual({});
      expect(seen.paperNumber).toBeNull();
      expect(seen.status).toBe('valid');
      expect(JSON.stringify(seen)).not.toContain(person[0]!.id);

      const byNumber = (await (await t.request(`/api/v1/licences?licenceNumber=${encodeURIComponent(licence.licenceNumber)}`, { token: acceptor.token })).json()) as { items: LicenceJson[] };
      expect(byNumber.items.map((l) => [l.identifier, l.masked, l.holders[0]!.name])).toEqual([[licence.identifier, true, '张*']]);

      await expectProblem(await t.request(licence.links.file, { token: acceptor.token }), 403, 'LicenceAccessDenied');
      await expectProblem(await t.request(`/api/v1/licences/${encodeURIComponent(licence.identifier)}/history`, { token: acceptor.token }), 403, 'LicenceAccessDenied');
    });

    it('shows an organisation holder (a public credit code) but still withholds the fields', async () => {
      const seen = await get(company.identifier, acceptor.token);
      expect(seen.masked).toBe(true);
      expect(seen.holders).toEqual(company.holders);
      expect(seen.fields).toEqual({});
    });

    it('finds licences by holder id only for a department with a right to the type', async () => {
      const search = async (token: string, json: Body) => {
        const res = await post('/api/v1/licences/search', token, json);
        expect(res.status, await res.clone().text()).toBe(200);
        return ((await res.json()) as { items: LicenceJson[] }).items;
      };
      expect(await search(acceptor.token, { holderId: person[1]!.id })).toEqual([]);
      expect(person[1]!.id.endsWith('X')).toBe(true);
      // Typed with a lower-case x, as people do.
      expect((await search(issuer.token, { holderId: person[1]!.id.toLowerCase() })).map((l) => l.identifier)).toEqual([licence.identifier]);
      expect(await search(issuer.token, { holderId: person[1]!.id, typeCode: tax.code })).toEqual([]);
      expect(await search(issuer.token, { holderId: person[1]!.id, holderIdTypeCode: '001' })).toEqual([]);

      await grantLicenceRight(t, acceptor.departmentId, marriage.code, 'read');
      const found = await search(acceptor.token, { holderId: person[0]!.id, holderIdTypeCode: '111' });
      expect(found.map((l) => [l.identifier, l.masked])).toEqual([[licence.identifier, false]]);
    });

    it('shows everything once the department has the read right', async () => {
      await grantLicenceRight(t, acceptor.departmentId, marriage.code, 'read');
      const seen = await get(licence.identifier, acceptor.token);
      expect(seen).toMatchObject({ masked: false, holders: licence.holders, fields: licence.fields, paperNumber: 'J140105-000777' });
      const file = await t.request(licence.links.file, { token: acceptor.token });
      expect(file.status).toBe(200);
      expect(file.headers.get('x-document-sha256')).toBe(licence.fileSha256);
      // The right is to one type: a tax certificate stays masked.
      expect((await get(company.identifier, acceptor.token)).masked).toBe(true);
    });

    it('never writes a holder id to the audit log or the request log', async () => {
      expect(holderIdsSent.size).toBeGreaterThan(10);
      const audit = JSON.stringify(await auditLog());
      const logs = logLines.join('');
      expect(logs).toContain('"path":"/api/v1/licences"');
      for (const id of holderIdsSent) {
        expect(audit, `holder id ${id} in the audit log`).not.toContain(id);
        expect(logs, `holder id ${id} in the log`).not.toContain(id);
      }
    });
  });

  describe('nothing half-stored', () => {
    it('a suspended seal: 409, no licence, file, holder, event or seal use stored', async () => {
      const department = await issuingDepartment(t, 64, [marriage]);
      const sealId = department.seals[marriage.sealType]!;
      const suspended = await t.request(`/api/v1/seals/${sealId}/suspension`, { method: 'POST', token: t.adminToken, json: { reason: '印章暂停使用' } });
      expect(suspended.status, await suspended.clone().text()).toBe(200);
      const before = await storedCounts();
      // Without a seal named, the department has no active seal of the type ...
      await expectProblem(await send(data(marriage), department.token), 409, 'NoLicenceSeal');
      // ... and naming the suspended one fails at sealing, after the PDF was built.
      await expectProblem(await send(data(marriage, { sealId }), department.token), 409, 'SealSuspended');
      expect(await storedCounts()).toEqual(before);

      await t.request(`/api/v1/seals/${sealId}/resumption`, { method: 'POST', token: t.adminToken, json: {} });
      await issue(marriage, {}, department.token);
      expect((await storedCounts()).licences).toBe(before.licences + 1);
    });

    it('a named seal the department may not use: 403 SealNotGranted, nothing stored', async () => {
      const before = await storedCounts();
      await expectProblem(await send(data(marriage, { sealId: otherIssuer.seals[marriage.sealType] })), 403, 'SealNotGranted');
      expect(await storedCounts()).toEqual(before);
    });

    // licence.service.ts sealFor() returns a requested sealId as it is; only the default lookup
    // filters by the type's sealType, so any seal the department may use can seal any licence type.
    it('a named seal of another type than the template\'s sealType is refused, nothing stored', async () => {
      const wrongType = Object.keys(issuer.seals).find((sealType) => sealType !== marriage.sealType)!;
      const before = await storedCounts();
      const res = await send(data(marriage, { sealId: issuer.seals[wrongType] }));
      const body = await res.clone().text();
      if (res.status === 201) await issued(res); // keep the statistics' ledger whole while the bug lasts
      expect([400, 409], `sealed a ${marriage.sealType} licence type with a ${wrongType} seal: ${res.status} ${body}`).toContain(res.status);
      expect(await storedCounts()).toEqual(before);
    });

    it('a failure inside the storing transaction rolls back the licence, its file, events, seal use and audit entry', async () => {
      const before = await storedCounts();
      const auditBefore = (await auditLog()).length;
      const actor = { departmentId: issuer.departmentId, keyId: null, requestId: 'half-stored' };
      await expect(
        t.ctx.licences.issue(actor, { ...sampleLicence(tax, sampleNumber++), level: LEVEL }, {
          inTransaction: async () => {
            throw new Error('disk full');
          },
        }),
      ).rejects.toThrow('disk full');
      expect(await storedCounts()).toEqual(before);
      expect((await auditLog()).length).toBe(auditBefore);
    });
  });

  describe('expiry (失效) by date', () => {
    it('refuses to issue a licence whose end date is already past', async () => {
      const res = await send(data(business, { validFrom: '2019-01-01', validUntil: '2021-12-31' }));
      const problem = await expectProblem(res, 400, 'InvalidLicenceData');
      expect((problem as { details: { problems: { path: string; code: string }[] } }).details.problems).toContainEqual(
        expect.objectContaining({ path: 'validUntil', code: 'validity-in-past' }),
      );
    });

    it('shows a licence past its end date as expired, refuses to suspend it and still allows revoking it', async () => {
      const licence = await issue(business, { validUntil: today() });
      clock.advance(2 * DAY);
      expect((await get(licence.identifier)).status).toBe('expired');
      await expectProblem(await change(licence.identifier, 'suspend'), 409, 'LicenceTransitionNotAllowed');
      // Revoking (撤销) an expired licence is still possible.
      expect(((await (await change(licence.identifier, 'revoke')).json()) as LicenceJson).status).toBe('revoked');
    });

    it('expires valid and suspended licences at midnight China Standard Time after their end date', async () => {
      const valid = await issue(business, { validUntil: today() });
      const suspended = await issue(business, { validUntil: today() });
      expect((await change(suspended.identifier, 'suspend')).status).toBe(200);

      // To the last second of the end date in UTC+8: still valid (the end date is included).
      const chinaNow = clock.now().getTime() + 8 * 60 * 60 * 1000;
      clock.advance(Math.ceil((chinaNow + 1) / DAY) * DAY - chinaNow - 1000);
      expect(new Date(clock.now().getTime() + 8 * 60 * 60 * 1000).toISOString().slice(11, 19)).toBe('23:59:59');
      expect((await get(valid.identifier)).status).toBe('valid');
      expect((await get(suspended.identifier)).status).toBe('suspended');

      clock.advance(1000);
      expect((await get(valid.identifier)).status).toBe('expired');
      expect((await get(suspended.identifier, acceptor.token)).status).toBe('expired');
      await expectProblem(await change(valid.identifier, 'suspend'), 409, 'LicenceTransitionNotAllowed');
      await expectProblem(await change(suspended.identifier, 'resume'), 409, 'LicenceTransitionNotAllowed');
    });

    it('re-issues an expired licence with a new term', async () => {
      // Ten years (the disability certificate's term) ending today, then a day later.
      const start = new Date(`${today()}T00:00:00Z`);
      start.setUTCFullYear(start.getUTCFullYear() - 10);
      start.setUTCDate(start.getUTCDate() + 1);
      const old = await issue(disability, { validFrom: start.toISOString().slice(0, 10) });
      expect(old.validUntil).toBe(today());
      clock.advance(DAY);
      expect((await get(old.identifier)).status).toBe('expired');
      const renewed = await issued(await post(`/api/v1/licences/${encodeURIComponent(old.identifier)}/reissue`, issuer.token, { reason: '到期换证', level: LEVEL }));
      expect(renewed).toMatchObject({ status: 'valid', version: 2, validFrom: today() });
      expect(renewed.validUntil! > today()).toBe(true);
    });
  });

  describe('statistics', () => {
    async function statistics() {
      const res = await t.request('/api/v1/licence-statistics', { token: t.adminToken });
      expect(res.status).toBe(200);
      return (await res.json()) as {
        total: number;
        byChannel: Record<string, number>;
        electronicAlongsidePaperShare: number | null;
        digitisedShare: number | null;
        byType: { typeCode: string; typeName: string; total: number; byChannel: Record<string, number>; byStatus: Record<string, number> }[];
        byDepartment: { departmentId: string; byType: Record<string, number> }[];
      };
    }

    /** The current (not superseded) licences this file issued, with their status as GET shows it. */
    async function current() {
      const all = await Promise.all(ledger.map(async (entry) => ({ ...entry, status: (await get(entry.identifier, t.adminToken)).status })));
      return all.filter((l) => l.status !== 'superseded');
    }

    it('is for operators only', async () => {
      expect((await t.request('/api/v1/licence-statistics', { token: issuer.token })).status).toBe(403);
    });

    it('counts the licences issued, by type and channel', async () => {
      const licences = await current();
      const stats = await statistics();
      expect(stats.total).toBe(licences.length);
      const channels = ['electronic', 'electronic-with-paper', 'digitised'] as const;
      const countOf = (list: typeof licences, channel: string) => list.filter((l) => l.channel === channel).length;
      expect(stats.byChannel).toEqual(Object.fromEntries(channels.map((c) => [c, countOf(licences, c)])));
      expect(stats.electronicAlongsidePaperShare).toBeCloseTo(countOf(licences, 'electronic-with-paper') / (licences.length - countOf(licences, 'digitised')));
      expect(stats.digitisedShare).toBe(0);

      const typeCodes = [...new Set(licences.map((l) => l.typeCode))].sort();
      expect(stats.byType.map((e) => e.typeCode).sort()).toEqual(typeCodes);
      for (const entry of stats.byType) {
        const ofType = licences.filter((l) => l.typeCode === entry.typeCode);
        expect(entry.typeName).toBe(shippedCatalogue.require(entry.typeCode).name);
        expect(entry.total).toBe(ofType.length);
        const byChannel = Object.fromEntries(channels.map((c) => [c, countOf(ofType, c)]).filter(([, n]) => n !== 0));
        expect(entry.byChannel).toEqual(byChannel);
      }
      const issuerRow = stats.byDepartment.find((d) => d.departmentId === issuer.departmentId)!;
      expect(issuerRow.byType[marriage.code]).toBe(licences.filter((l) => l.typeCode === marriage.code && ledgerIssuer(l.identifier) === issuer.creditCode).length);
    });

    // licence.service.ts statistics(): an expired licence is moved out of 'valid' even when its stored
    // status is 'suspended', so the suspended count keeps it and the counts no longer add up.
    it('counts a suspended licence that has expired once, as expired (it stayed under suspended and was taken from valid)', async () => {
      const licences = await current();
      const stats = await statistics();
      for (const entry of stats.byType) {
        const expected: Record<string, number> = {};
        for (const l of licences.filter((x) => x.typeCode === entry.typeCode)) expected[l.status] = (expected[l.status] ?? 0) + 1;
        const reported = Object.fromEntries(Object.entries(entry.byStatus).filter(([, n]) => n !== 0));
        expect(reported, entry.typeCode).toEqual(expected);
      }
    });
  });
});

/** The issuer credit code segment of an identifier. */
function ledgerIssuer(identifier: string): string {
  return identifier.split('.')[6]!;
}
