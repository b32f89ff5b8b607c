import type { AppContext } from '../context.js';
import { DEPARTMENT_ROLES, type DepartmentRole } from '../db/schema/departments.table.js';
import { InvalidInputError } from '../errors.js';
import { CONSOLE_ACTOR } from './cli-context.js';

export interface CommandOutput {
  /** Process exit code: 0 success, 1 a check failed. */
  exitCode: number;
  json: unknown;
  text: string;
}

export type Options = Record<string, string | boolean | undefined>;

export interface Command {
  usage: string;
  run(ctx: AppContext, options: Options): Promise<CommandOutput>;
}

function required(options: Options, name: string): string {
  const value = options[name];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidInputError('MissingOption', `--${name} is required`);
  }
  return value.trim();
}

function parseRoles(value: string): DepartmentRole[] {
  const roles = value.split(',').map((r) => r.trim());
  for (const role of roles) {
    if (!(DEPARTMENT_ROLES as readonly string[]).includes(role)) {
      throw new InvalidInputError('InvalidRole', `Unknown role '${role}': use ${DEPARTMENT_ROLES.join(', ')}`);
    }
  }
  return roles as DepartmentRole[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function requiredId(options: Options, name: string): string {
  const value = required(options, name);
  if (!UUID.test(value)) throw new InvalidInputError('InvalidId', `--${name} must be an id (UUID), not '${value}'`);
  return value;
}

const ok = (json: unknown, text: string): CommandOutput => ({ exitCode: 0, json, text });

export const COMMANDS: Record<string, Command> = {
  'departments create': {
    usage: 'departments create --name <name> --credit-code <code> --roles admin,issuer,acceptor [--region <6 digits>]',
    async run(ctx, o) {
      const department = await ctx.departments.create(CONSOLE_ACTOR, {
        name: required(o, 'name'),
        creditCode: required(o, 'credit-code').toUpperCase(),
        roles: parseRoles(required(o, 'roles')),
        regionId: typeof o.region === 'string' ? o.region : undefined,
      });
      return ok(department, `Created department ${department.name} (${department.id}) with roles ${department.roles.join(', ')}`);
    },
  },
  'departments list': {
    usage: 'departments list [--role admin|issuer|acceptor]',
    async run(ctx, o) {
      const role = typeof o.role === 'string' ? parseRoles(o.role)[0] : undefined;
      const items = await ctx.departments.list({ role, limit: 1000, offset: 0 });
      const text = items
        .map((d) => `${d.id}  ${d.status.padEnd(8)}  ${(d.creditCode ?? '-').padEnd(18)}  ${d.roles.join(',').padEnd(22)}  ${d.name}`)
        .join('\n');
      return ok(items, text || 'No departments');
    },
  },
  'keys issue': {
    usage: 'keys issue --department <id> [--label <text>] [--expires <ISO 8601 date-time>]',
    async run(ctx, o) {
      let expiresAt: Date | null = null;
      if (typeof o.expires === 'string') {
        expiresAt = new Date(o.expires);
        if (Number.isNaN(expiresAt.getTime())) {
          throw new InvalidInputError('InvalidDate', `--expires '${o.expires}' is not an ISO 8601 date-time`);
        }
      }
      const label = typeof o.label === 'string' ? o.label : 'issued at the console';
      const issued = await ctx.apiKeys.issue(CONSOLE_ACTOR, requiredId(o, 'department'), { label, expiresAt });
      return ok(
        { key: issued.key, token: issued.token },
        `Issued API key ${issued.key.id}. The token is shown only now:\n\n  ${issued.token}\n`,
      );
    },
  },
  'keys list': {
    usage: 'keys list --department <id>',
    async run(ctx, o) {
      const items = await ctx.apiKeys.list(requiredId(o, 'department'));
      const text = items
        .map((k) => `${k.id}  ${k.status.padEnd(7)}  ${k.prefix}…  last used ${k.lastUsedAt?.toISOString() ?? 'never'}  ${k.label}`)
        .join('\n');
      return ok(items, text || 'No keys');
    },
  },
  'keys revoke': {
    usage: 'keys revoke --department <id> --key <key id>',
    async run(ctx, o) {
      const key = await ctx.apiKeys.revoke(CONSOLE_ACTOR, requiredId(o, 'department'), requiredId(o, 'key'));
      return ok(key, `Revoked API key ${key.id}`);
    },
  },
  'audit verify': {
    usage: 'audit verify',
    async run(ctx) {
      const report = await ctx.audit.verifyChain();
      const text = report.intact
        ? `Audit chain intact: ${report.entriesChecked} entries, head #${report.headSeq ?? '-'} ${report.headHash}`
        : `Audit chain BROKEN at entry #${report.firstBroken!.seq} (${report.firstBroken!.problem}): ${report.firstBroken!.message}`;
      return { exitCode: report.intact ? 0 : 1, json: report, text };
    },
  },
};
