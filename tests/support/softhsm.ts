import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { missingTool } from './outside-tools.js';

const execFileAsync = promisify(execFile);

/** Where Debian's softhsm2 package puts the PKCS#11 module. */
export const SOFTHSM_LIBRARY = '/usr/lib/softhsm/libsofthsm2.so';

/**
 * True when SoftHSM2 (the module and softhsm2-util) is not installed, so PKCS#11 tests
 * skip on a developer machine; in CI a missing SoftHSM2 throws instead (.ci/run installs
 * the softhsm2 Debian package).
 */
export function missingSoftHsm(): boolean {
  if (!existsSync(SOFTHSM_LIBRARY)) {
    if (process.env.CI) throw new Error(`${SOFTHSM_LIBRARY} is required in CI: .ci/run must install softhsm2`);
    return true;
  }
  return missingTool('softhsm2-util');
}

export interface SoftHsmToken {
  library: string;
  /** Index of the token in the module's slot list (what `createPkcs11Backend` takes). */
  slot: number;
  pin: string;
  tokenLabel: string;
  /** For child processes: SoftHSM2 reads its configuration from SOFTHSM2_CONF. */
  env: { SOFTHSM2_CONF: string };
}

/**
 * Creates a private SoftHSM2 configuration under `dir` (token files in `dir/tokens`, so
 * nothing under /var/lib/softhsm is touched), points this process at it through
 * SOFTHSM2_CONF, and initialises one token with a random label, user PIN and SO PIN.
 * SoftHSM2 reads SOFTHSM2_CONF at C_Initialize, so set it before the first backend opens.
 */
export async function initSoftHsmToken(dir: string): Promise<SoftHsmToken> {
  const tokenDir = path.join(dir, 'tokens');
  await mkdir(tokenDir, { recursive: true });
  const conf = path.join(dir, 'softhsm2.conf');
  await writeFile(conf, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = conf;
  const env = { SOFTHSM2_CONF: conf };

  const tokenLabel = `elt-test-${randomBytes(4).toString('hex')}`;
  // Random 8-digit PINs, so a test can tell that an error message does not echo one.
  const pin = String(randomInt(10_000_000, 100_000_000));
  const soPin = String(randomInt(10_000_000, 100_000_000));
  await softhsmUtil(['--init-token', '--free', '--label', tokenLabel, '--pin', pin, '--so-pin', soPin], env);
  const slot = await slotIndexOf(tokenLabel, env);
  return { library: SOFTHSM_LIBRARY, slot, pin, tokenLabel, env };
}

/**
 * The token's index in the slot list. `--show-slots` lists slots in C_GetSlotList order,
 * and after --init-token SoftHSM2 moves the token to a random slot id and adds a new empty
 * slot, so the index is read rather than assumed.
 */
async function slotIndexOf(tokenLabel: string, env: { SOFTHSM2_CONF: string }): Promise<number> {
  const listing = await softhsmUtil(['--show-slots'], env);
  const slots = listing.split(/^Slot \d+$/m).slice(1);
  const index = slots.findIndex((slot) => new RegExp(`^\\s*Label:\\s+${tokenLabel}\\s*$`, 'm').test(slot));
  if (index < 0) throw new Error(`softhsm2-util --show-slots does not list token ${tokenLabel}:\n${listing}`);
  return index;
}

async function softhsmUtil(args: string[], env: { SOFTHSM2_CONF: string }): Promise<string> {
  const { stdout } = await execFileAsync('softhsm2-util', args, { env: { ...process.env, ...env } });
  return stdout;
}
