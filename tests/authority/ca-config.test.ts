import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { authoritiesTopDown, CaConfigError, parseCaConfig } from '../../src/authority/ca-config.js';
import { decideIssuance } from '../../src/authority/profile-policy.js';

const shipped = JSON.parse(readFileSync('ca-config/hierarchy.json', 'utf8')) as Record<string, unknown>;
const clone = () => structuredClone(shipped) as any;

function problemsOf(value: unknown): string[] {
  try {
    parseCaConfig(value);
  } catch (error) {
    expect(error).toBeInstanceOf(CaConfigError);
    return (error as CaConfigError).problems;
  }
  throw new Error('expected a CaConfigError');
}

describe('ca-config', () => {
  it('accepts the shipped hierarchy and orders it root first', () => {
    const config = parseCaConfig(shipped);
    expect(authoritiesTopDown(config).map((a) => a.id)).toEqual(['root', 'seal-ca', 'services-ca']);
    // NSS/poppler refuse documentSigning alone (libraries.md §3).
    expect(config.profiles.seal!.extendedKeyUsage).toEqual(expect.arrayContaining(['emailProtection', 'documentSigning']));
  });

  it.each([
    ['an unknown top-level key', (c: any) => (c.extra = 1), 'Unrecognized key'],
    ['an unknown authority key', (c: any) => (c.authorities[1].colour = 'red'), 'Unrecognized key'],
    ['a missing key backend', (c: any) => (c.authorities[1].key.backend = 'nowhere'), "no key backend named 'nowhere'"],
    ['an unknown issuer', (c: any) => (c.authorities[1].issuer = 'ghost-ca'), "no authority named 'ghost-ca'"],
    ['two roots', (c: any) => delete c.authorities[1].issuer, 'exactly one root CA'],
    ['a path length not below its issuer', (c: any) => (c.authorities[1].pathLength = 1), "less than its issuer's pathLength"],
    ['a CA outliving its issuer', (c: any) => (c.authorities[1].validityDays = 99999), 'validityDays'],
    ['an unknown profile', (c: any) => c.authorities[1].profiles.push('bogus'), "no profile named 'bogus'"],
    ['an unsupported key algorithm', (c: any) => (c.authorities[0].key.algorithm = 'DSA-1024'), 'key.algorithm'],
    ['a malformed policy OID', (c: any) => (c.profiles.seal.policies = ['not.an.oid']), 'dotted OID'],
    ['a required attribute that is not allowed', (c: any) => c.profiles.seal.subject.required.push('E'), 'must also be allowed'],
    ['a default validity above the cap', (c: any) => (c.profiles.seal.defaultValidityDays = 4000), 'maxValidityDays'],
  ])('refuses %s', (_label, mutate, message) => {
    const config = clone();
    mutate(config);
    expect(problemsOf(config).join('\n')).toContain(message);
  });
});

describe('issuance policy', () => {
  const config = parseCaConfig(shipped);
  const base = {
    caId: 'seal-ca',
    profile: 'seal',
    subject: { CN: '山西省市场监督管理局证照专用章', O: '山西省市场监督管理局', serialNumber: '14000000000001' },
    keyAlgorithm: 'ECDSA-P256' as const,
  };

  it('fixes attributes the profile fixes and keeps DN order', () => {
    expect(decideIssuance(config, base).subject).toEqual([
      ['C', 'CN'],
      ['O', '山西省市场监督管理局'],
      ['CN', '山西省市场监督管理局证照专用章'],
      ['serialNumber', '14000000000001'],
    ]);
  });

  it.each([
    ['an unknown CA', { caId: 'nope' }, 'UnknownCa'],
    ['an unknown profile', { profile: 'nope' }, 'UnknownProfile'],
    ['a profile this CA does not issue', { profile: 'tsa' }, 'ProfileViolation'],
    ['a key algorithm the profile refuses', { keyAlgorithm: 'RSA-2048' as const }, 'ProfileViolation'],
    ['a validity above the cap', { validityDays: 5000 }, 'ProfileViolation'],
    ['a missing required attribute', { subject: { CN: 'x', O: 'y' } }, 'ProfileViolation'],
    ['an attribute the profile does not allow', { subject: { ...base.subject, E: 'a@b.cn' } }, 'ProfileViolation'],
    ['a fixed attribute set otherwise', { subject: { ...base.subject, C: 'US' } }, 'ProfileViolation'],
    ['an over-long common name', { subject: { ...base.subject, CN: '章'.repeat(65) } }, 'ProfileViolation'],
    ['control characters', { subject: { ...base.subject, O: 'a\u0000b' } }, 'ProfileViolation'],
  ])('refuses %s', (_label, change, code) => {
    expect(() => decideIssuance(config, { ...base, ...change })).toThrow(expect.objectContaining({ code }));
  });
});
