/**
 * Runs a command in a real pseudo-terminal through python3's `pty` module (no npm package), so the
 * CLI sees a terminal on stdout and stderr. It can send Ctrl-C (\x03, which the terminal turns into
 * SIGINT) once a marker appears in the output; the result is the output and the exit code.
 */
import { spawn } from 'node:child_process';

const DRIVER = `
import os, pty, sys
marker, interrupt, cmd = sys.argv[1].encode(), sys.argv[2] == '1', sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
out, sent = b'', False
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
    if interrupt and not sent and marker in out:
        os.write(fd, b'\\x03')
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.stderr.write('%d' % os.waitstatus_to_exitcode(status))
`;

export interface PtyResult {
  /** What the terminal showed, with its \\r\\n turned back into \\n. */
  readonly output: string;
  readonly code: number;
}

export function runInPty(
  command: readonly string[],
  env: NodeJS.ProcessEnv,
  interruptAfter?: string,
): Promise<PtyResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'python3',
      ['-c', DRIVER, interruptAfter ?? '', interruptAfter !== undefined ? '1' : '0', ...command],
      {
        env: { PATH: process.env.PATH, HOME: '/nonexistent-home', TERM: 'xterm', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (driverCode) => {
      const code = Number(Buffer.concat(err).toString().trim().split('\n').at(-1));
      if (driverCode !== 0 || Number.isNaN(code)) {
        reject(new Error(`pty driver failed (${driverCode}): ${Buffer.concat(err).toString()}`));
        return;
      }
      resolve({ output: Buffer.concat(out).toString().replace(/\r\n/g, '\n'), code });
    });
  });
}
