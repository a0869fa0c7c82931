/**
 * workernatord as a subprocess (the built dist/server/main.js), for tests that measure its memory,
 * signal it, or drive it from another gRPC stack. The PKI and data dir are fresh temp dirs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../helpers/temp-dir.js';
import { makePki } from './test-server.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const MAIN = join(ROOT, 'dist/server/main.js');

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly dir: string;
  readonly tlsDir: string;
  readonly dataDir: string;
  /** Every JSON log line so far. */
  readonly logs: Record<string, unknown>[];
  readonly stderr: () => string;
  /** A value from /proc/<pid>/status, in KiB: VmRSS, VmHWM. */
  memoryKiB(field: 'VmRSS' | 'VmHWM'): Promise<number>;
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
  close(): Promise<void>;
}

export async function startServerProcess(extraArgs: string[] = []): Promise<ServerProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
  const temp = await tempDir('workernator-serverproc-');
  const tlsDir = join(temp.path, 'tls');
  const dataDir = join(temp.path, 'data');
  await makePki(tlsDir);
  const child = spawn(
    process.execPath,
    [
      MAIN,
      'serve',
      '--unsafe-no-sandbox',
      '--listen',
      '127.0.0.1:0',
      '--tls-dir',
      tlsDir,
      '--data-dir',
      dataDir,
      ...extraArgs,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const logs: Record<string, unknown>[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (entry.msg === 'serving') resolve(entry.port as number);
    });
    void exited.then((code) =>
      reject(new Error(`workernatord exited with ${code} before serving: ${stderr}`)),
    );
  });
  return {
    child,
    port,
    dir: temp.path,
    tlsDir,
    dataDir,
    logs,
    stderr: () => stderr,
    exited,
    async memoryKiB(field) {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
      if (match === null) throw new Error(`no ${field} in /proc/${child.pid}/status`);
      return Number(match[1]);
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await temp.remove();
    },
  };
}
