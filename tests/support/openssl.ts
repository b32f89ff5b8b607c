import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface OpensslResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the openssl CLI, the outside judge of what our PKI code emits. Never throws on a
 * non-zero exit: tests assert on the code and output.
 */
export async function openssl(args: string[], options: { cwd?: string; input?: Buffer } = {}): Promise<OpensslResult> {
  const child = execFileAsync('openssl', args, { cwd: options.cwd, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  if (options.input) {
    child.child.stdin!.end(options.input);
  }
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout: stdout.toString('utf8'), stderr: stderr.toString('utf8') };
  } catch (error) {
    const e = error as { code?: number; stdout?: Buffer; stderr?: Buffer };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout?.toString('utf8') ?? '', stderr: e.stderr?.toString('utf8') ?? '' };
  }
}
