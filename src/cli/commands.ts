import type { AppContext } from '../context.js';
import { DEPARTMENT_ROLES, type DepartmentRole } from '../db/schema/departments.table.js';
import { readFileSync } from 'node:fs';
import { authoritySummaries } from '../authority/authority-summary.js';
import { REVOCATION_REASON_NAMES, type OperatorRevocationReason } from '../authority/certificate.service.js';
import { InvalidInputError } from '../errors.js';
import { toPem } from '../pki/pem.js';
import { KEY_ALGORITHMS, type KeyAlgorithmName } from '../signing/key-backend.js';
import { CONSOLE_ACTOR } from './cli-context.js';
import type { BatchJob, BatchProgress } from '../licences/batch.service.js';
import type { PadesLevel } from '../pades/sign-pdf.js';
import type { VerificationResult, VerificationService } from '../verification/verification.service.js';

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

/** "CN=a,O=b" to { CN: 'a', O: 'b' }; values may not contain commas. */
function parseSubject(text: string): Record<string, string> {
  const subject: Record<string, string> = {};
  for (const part of text.split(',')) {
    const at = part.indexOf('=');
    if (at < 1) throw new InvalidInputError('InvalidSubject', `--subject part '${part}' is not ATTR=value`);
    subject[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return subject;
}

const ok = (json: unknown, text: string): CommandOutput => ({ exitCode: 0, json, text });

/** A progress line on stderr (only on a terminal), redrawn at most ten times a second. */
function progressBar(): (progress: BatchProgress) => void {
  if (!process.stderr.isTTY) return () => {};
  let drawn = 0;
  return ({ processed, succeeded, failed, total }) => {
    const now = Date.now();
    if (now - drawn < 100 && processed !== total) return;
    drawn = now;
    const width = 30;
    const share = total ? processed / total : 0;
    const bar = total ? `[${'#'.repeat(Math.round(share * width)).padEnd(width, '.')}] ${Math.floor(share * 100)}% ` : '';
    process.stderr.write(`\r${bar}${processed} rows, ${succeeded} issued, ${failed} failed`);
  };
}

export async function verifyFile(verification: VerificationService, file: string): Promise<CommandOutput> {
  if (!file) throw new InvalidInputError('MissingOption', 'verify needs a file: npm run cli -- verify <file.pdf>');
  let pdf: Uint8Array;
  try {
    pdf = readFileSync(file);
  } catch (error) {
    throw new InvalidInputError('FileUnreadable', `Cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  const result = await verification.verify(pdf);
  return { exitCode: result.verdict === 'valid' ? 0 : 1, json: result, text: verificationText(file, result) };
}

function verificationText(file: string, result: VerificationResult): string {
  const { report, licence } = result;
  const lines = [`${file}: ${result.verdict.toUpperCase()} (${report.indication}${report.subIndication ? `/${report.subIndication}` : ''})`];
  for (const reason of result.reasons) lines.push(`  - ${reason}`);
  if (licence) {
    lines.push(`  licence ${licence.identifier}: ${licence.known ? `${licence.typeName}, ${licence.status}, issued by ${licence.issuer}, file ${licence.file}` : 'unknown to this registry'}`);
  }
  for (const s of report.signatures) {
    lines.push(
      `  #${s.index + 1} ${s.kind} ${s.fieldName ?? ''}: ${s.indication}${s.subIndication ? `/${s.subIndication}` : ''}, ${s.level ?? 'no level'}, ` +
        `${s.signer?.commonName ?? '?'}${s.signer?.sealCode ? ` (seal ${s.signer.sealCode})` : ''}, ` +
        `anchor ${s.chain.trustAnchor?.name ?? s.chain.trustAnchor?.subject ?? 'none'}, changes after: ${s.modificationsAfter.classification}`,
    );
    for (const error of s.errors) lines.push(`      ${error}`);
  }
  return lines.join('\n');
}

function batchOutcome(job: BatchJob): CommandOutput {
  if (process.stderr.isTTY) process.stderr.write('\n');
  const text =
    job.status === 'completed'
      ? `Batch ${job.id} completed: ${job.succeededRows} licences issued, ${job.failedRows} rows failed (see GET /api/v1/licence-batches/${job.id}/rows?status=failed)`
      : `Batch ${job.id} is ${job.status} after ${job.processedRows} rows; resume with: npm run cli -- licences batch-resume --job ${job.id}`;
  return { exitCode: job.status === 'completed' && job.failedRows === 0 ? 0 : 1, json: job, text };
}

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
  'ca init': {
    usage: 'ca init   (create the hierarchy declared in CA_CONFIG under KEYS_DIR, if missing, and show it)',
    async run(ctx) {
      const items = authoritySummaries(ctx.hierarchy, ctx.config.publicBaseUrl);
      const text = items
        .map((a) => `${a.id.padEnd(14)} ${a.createdNow ? 'created ' : 'existing'} ${a.keyAlgorithm.padEnd(10)} ${a.keyBackend.padEnd(9)} until ${a.notAfter.slice(0, 10)}  ${a.subject}`)
        .join('\n');
      return ok({ authorities: items }, `${text}\nKeys and certificates: ${ctx.config.keysDir}`);
    },
  },
  'ca list': {
    usage: 'ca list',
    async run(ctx) {
      return COMMANDS['ca init']!.run(ctx, {});
    },
  },
  'certificates list': {
    usage: 'certificates list [--ca <id>] [--status valid|revoked|on-hold] [--profile <name>]',
    async run(ctx, o) {
      const status = o.status as 'valid' | 'revoked' | 'on-hold' | undefined;
      if (status && !['valid', 'revoked', 'on-hold'].includes(status)) {
        throw new InvalidInputError('InvalidStatus', '--status must be valid, revoked or on-hold');
      }
      const items = await ctx.certificates.list({
        caId: typeof o.ca === 'string' ? o.ca : undefined,
        profile: typeof o.profile === 'string' ? o.profile : undefined,
        status,
        limit: 500,
        offset: 0,
      });
      const text = items
        .map((c) => `${c.serialNumber}  ${c.status.padEnd(8)} ${c.caId.padEnd(12)} ${c.profile.padEnd(18)} until ${c.notAfter.toISOString().slice(0, 10)}  ${c.subject}`)
        .join('\n');
      return ok(items.map(({ der: _der, ...rest }) => rest), text || 'No certificates');
    },
  },
  'certificates issue': {
    usage: 'certificates issue --ca <id> --profile <name> (--csr <file> | --generate-key ECDSA-P256) [--subject "CN=...,O=..."] [--days N]',
    async run(ctx, o) {
      const csr = typeof o.csr === 'string' ? readFileSync(o.csr, 'utf8') : undefined;
      let generateKey: { algorithm: KeyAlgorithmName } | undefined;
      if (typeof o['generate-key'] === 'string') {
        if (!(KEY_ALGORITHMS as readonly string[]).includes(o['generate-key'])) {
          throw new InvalidInputError('InvalidKeyAlgorithm', `--generate-key must be one of ${KEY_ALGORITHMS.join(', ')}`);
        }
        generateKey = { algorithm: o['generate-key'] as KeyAlgorithmName };
      }
      const record = await ctx.certificates.issue(CONSOLE_ACTOR, {
        caId: required(o, 'ca'),
        profile: required(o, 'profile'),
        csr,
        generateKey,
        subject: typeof o.subject === 'string' ? parseSubject(o.subject) : undefined,
        validityDays: typeof o.days === 'string' ? Number.parseInt(o.days, 10) : undefined,
      });
      const { der, ...rest } = record;
      return ok({ ...rest, pem: toPem(der, 'CERTIFICATE') }, `Issued certificate ${record.serialNumber}\n${toPem(der, 'CERTIFICATE')}`);
    },
  },
  'certificates revoke': {
    usage: `certificates revoke --serial <hex> [--reason ${REVOCATION_REASON_NAMES.join('|')}]`,
    async run(ctx, o) {
      const reason = (typeof o.reason === 'string' ? o.reason : 'unspecified') as OperatorRevocationReason;
      if (!(REVOCATION_REASON_NAMES as readonly string[]).includes(reason)) {
        throw new InvalidInputError('InvalidReason', `--reason must be one of ${REVOCATION_REASON_NAMES.join(', ')}`);
      }
      const record = await ctx.certificates.revoke(CONSOLE_ACTOR, required(o, 'serial'), reason);
      return ok({ serialNumber: record.serialNumber, status: record.status, revokedAt: record.revokedAt }, `Revoked ${record.serialNumber} (${reason}); the CRL was republished`);
    },
  },
  'licences types': {
    usage: 'licences types',
    async run(ctx) {
      const types = ctx.licences.catalogue.list();
      return ok(
        types.map((t) => ({ code: t.code, name: t.name, nameEn: t.nameEn, holderKind: t.holderKind, sealType: t.sealType })),
        types.map((t) => `${t.code}  ${t.name} (${t.nameEn}), sealed with the ${t.sealType} seal`).join('\n'),
      );
    },
  },
  'licences grant': {
    usage: 'licences grant --department <id> --type <type code> [--permission issue|read]',
    async run(ctx, o) {
      const permission = typeof o.permission === 'string' ? o.permission : 'issue';
      if (permission !== 'issue' && permission !== 'read') throw new InvalidInputError('InvalidPermission', '--permission must be issue or read');
      const departmentId = requiredId(o, 'department');
      const type = ctx.licences.catalogue.require(required(o, 'type'));
      await ctx.licences.grantPermission(CONSOLE_ACTOR, departmentId, type.code, permission);
      return ok({ departmentId, typeCode: type.code, permission }, `Department ${departmentId} may now ${permission} ${type.name}`);
    },
  },
  'licences batch': {
    usage: 'licences batch --department <id> --type <type code> --file <path.csv|path.ndjson> [--level B-B|B-T|B-LT|B-LTA] [--key <idempotency key>]',
    async run(ctx, o) {
      const file = required(o, 'file');
      const format = file.toLowerCase().endsWith('.ndjson') || file.toLowerCase().endsWith('.jsonl') ? 'ndjson' : 'csv';
      const level = (typeof o.level === 'string' ? o.level : 'B-T') as PadesLevel;
      if (!['B-B', 'B-T', 'B-LT', 'B-LTA'].includes(level)) throw new InvalidInputError('InvalidLevel', '--level must be B-B, B-T, B-LT or B-LTA');
      const actor = { ...CONSOLE_ACTOR, departmentId: requiredId(o, 'department') };
      const { job } = await ctx.licenceBatches.submit(actor, {
        typeCode: required(o, 'type'),
        format,
        level,
        content: readFileSync(file),
        ...(typeof o.key === 'string' ? { idempotencyKey: o.key } : {}),
      });
      return batchOutcome(await ctx.licenceBatches.run(job.id, progressBar()));
    },
  },
  'licences batch-resume': {
    usage: 'licences batch-resume --job <id>',
    async run(ctx, o) {
      return batchOutcome(await ctx.licenceBatches.run(requiredId(o, 'job'), progressBar()));
    },
  },
  verify: {
    usage: 'verify <file.pdf>   exit code 0 valid, 1 not valid or indeterminate, 2 unusable input',
    async run(ctx, o) {
      return verifyFile(ctx.verification, typeof o.argument === 'string' ? o.argument : required(o, 'file'));
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
