import { parseArgs } from 'node:util';
import { CaConfigError } from '../authority/ca-config.js';
import { ConfigError } from '../config/config.js';
import type { AppContext } from '../context.js';
import { AppError } from '../errors.js';
import { openCliContext } from './cli-context.js';
import { COMMANDS, verifyFile } from './commands.js';
import { offlineVerification } from './offline-verification.js';
import { loadConfig } from '../config/config.js';
import { isDataDirLocked } from '../db/data-dir-lock.js';

const HELP = `Usage: npm run cli -- <command> [options] [--json]

Commands:
${Object.values(COMMANDS).map((c) => `  ${c.usage}`).join('\n')}

The CLI reads the same environment as the service (DATABASE_URL, DATA_DIR, ...).
With the embedded database, stop the service first: only one process may open it.
Exit codes: 0 done, 1 a check failed, 2 bad usage or refused input.`;

const STRING_OPTIONS = ['name', 'credit-code', 'roles', 'region', 'role', 'department', 'label', 'expires', 'key', 'ca', 'profile', 'csr', 'generate-key', 'subject', 'days', 'serial', 'reason', 'status', 'type', 'permission', 'file', 'level', 'job'];

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: {
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(STRING_OPTIONS.map((name) => [name, { type: 'string' as const }])),
    },
  });
  // Two-word commands ("licences batch") first, then one-word ones whose argument follows ("verify <file>").
  const twoWords = positionals.slice(0, 2).join(' ');
  const name = COMMANDS[twoWords] ? twoWords : (positionals[0] ?? '');
  const command = COMMANDS[name];
  const args = positionals.slice(name.split(' ').length);
  if (values.help || !command) {
    process.stdout.write(`${HELP}\n`);
    return values.help ? 0 : 2;
  }

  let ctx: AppContext | undefined;
  try {
    if (name === 'verify') {
      const offline = await verifyWithoutDatabase(values, args[0]);
      if (offline !== null) return offline;
    }
    ctx = await openCliContext(process.env);
    const output = await command.run(ctx, { ...values, ...(args[0] ? { argument: args[0] } : {}) });
    process.stdout.write(`${values.json ? JSON.stringify(output.json, null, 2) : output.text}\n`);
    return output.exitCode;
  } catch (error) {
    if (error instanceof AppError || error instanceof ConfigError || error instanceof CaConfigError) {
      const code = error instanceof AppError ? error.code : 'InvalidConfiguration';
      process.stderr.write(values.json ? `${JSON.stringify({ code, message: error.message })}\n` : `Error (${code}): ${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    await ctx?.close();
  }
}

/**
 * `verify` works with or without a running service: when the embedded database is held by the
 * service, it checks against the region's certificates and the service's OCSP responder instead.
 * Returns null when the database can be opened (the normal path then runs).
 */
async function verifyWithoutDatabase(values: Record<string, unknown>, file: string | undefined): Promise<number | null> {
  const { config, secrets } = loadConfig(process.env);
  if (secrets.databaseUrl || !isDataDirLocked(config.dataDir)) return null;
  const { service, notice } = offlineVerification(config);
  const output = await verifyFile(service, file ?? (typeof values.file === 'string' ? values.file : ''));
  process.stderr.write(`${notice}\n`);
  process.stdout.write(`${values.json ? JSON.stringify(output.json, null, 2) : output.text}\n`);
  return output.exitCode;
}

process.exitCode = await main(process.argv.slice(2));
