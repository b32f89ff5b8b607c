import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

function problemsOf(env: Record<string, string>): Record<string, string> {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return Object.fromEntries((error as ConfigError).problems.map((p) => [p.variable, p.message]));
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('starts on the embedded database with documented defaults', () => {
    const { config, secrets } = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      publicBaseUrl: 'http://localhost:8080',
      database: 'embedded',
      regionId: '140000',
      regionName: '山西省',
      logLevel: 'info',
    });
    expect(config.dataDir).toMatch(/\/data$/);
    expect(secrets).toEqual({ databaseUrl: null, adminToken: null, keysPassphrase: null, pkcs11Pin: null });
    expect(config.keysDir).toMatch(/\/keys-dev$/);
    expect(config.caConfigFile).toMatch(/\/ca-config\/hierarchy.json$/);
  });

  it('reads every documented variable', () => {
    const token = 'a'.repeat(40);
    const { config, secrets } = loadConfig({
      PORT: '9000',
      PUBLIC_BASE_URL: 'https://zz.sx.gov.cn/licence/',
      DATABASE_URL: 'postgres://svc:pw@db:5432/licence',
      DATA_DIR: '/var/lib/licence',
      REGION_ID: '140100',
      REGION_NAME: '太原市',
      ADMIN_TOKEN: token,
      OPERATOR_CREDIT_CODE: '11100000000013338W',
    });
    expect(config).toMatchObject({
      port: 9000,
      publicBaseUrl: 'https://zz.sx.gov.cn/licence',
      database: 'postgres',
      dataDir: '/var/lib/licence',
      regionId: '140100',
      regionName: '太原市',
      operatorCreditCode: '11100000000013338W',
    });
    expect(secrets).toMatchObject({ databaseUrl: 'postgres://svc:pw@db:5432/licence', adminToken: token });
  });

  it('keeps secrets out of the loggable config', () => {
    const { config } = loadConfig({ DATABASE_URL: 'postgres://svc:hunter2@db/x', ADMIN_TOKEN: 'b'.repeat(40) });
    expect(JSON.stringify(config)).not.toContain('hunter2');
    expect(JSON.stringify(config)).not.toContain('b'.repeat(40));
  });

  it('freezes what it returns', () => {
    const { config, secrets } = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(secrets)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: '80.5' }, 'PORT'],
    [{ PUBLIC_BASE_URL: 'not a url' }, 'PUBLIC_BASE_URL'],
    [{ PUBLIC_BASE_URL: 'ftp://example.org' }, 'PUBLIC_BASE_URL'],
    [{ DATABASE_URL: 'mysql://localhost/x' }, 'DATABASE_URL'],
    [{ REGION_ID: '14' }, 'REGION_ID'],
    [{ ADMIN_TOKEN: 'short' }, 'ADMIN_TOKEN'],
    [{ ADMIN_TOKEN: `${'x'.repeat(40)} y` }, 'ADMIN_TOKEN'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ OPERATOR_CREDIT_CODE: '11100000000013338X' }, 'OPERATOR_CREDIT_CODE'],
    [{ MAX_JSON_BODY_BYTES: '10' }, 'MAX_JSON_BODY_BYTES'],
    [{ KEYS_PASSPHRASE: 'short' }, 'KEYS_PASSPHRASE'],
  ])('names the bad variable in %j', (env, variable) => {
    expect(Object.keys(problemsOf(env))).toEqual([variable]);
  });

  it('reports every bad variable at once', () => {
    const problems = problemsOf({ PORT: 'x', REGION_ID: 'y', LOG_LEVEL: 'z' });
    expect(Object.keys(problems).sort()).toEqual(['LOG_LEVEL', 'PORT', 'REGION_ID']);
  });

  it('does not echo a rejected secret in its message', () => {
    try {
      loadConfig({ ADMIN_TOKEN: 'tooshort-secret' });
    } catch (error) {
      expect((error as Error).message).not.toContain('tooshort-secret');
    }
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: ' ' }).config).toMatchObject({ port: 8080, database: 'embedded' });
  });
});
