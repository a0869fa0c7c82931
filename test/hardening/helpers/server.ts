/**
 * Helpers of the hardening tests: the real server (TLS, sandbox) as a subprocess one can SIGKILL, or
 * in-process over the real sandbox; clients per identity; and the ledgers that prove nothing leaked
 * (job cgroups under the test's own root, processes carrying a marker, open fds).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { detectCgroups } from '../../../src/sandbox/cgroups/detect.js';
import { openSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import type { ServerConfig } from '../../../src/server/config/settings.js';
import { sandboxMaskedPaths } from '../../../src/server/launcher.js';
import { RpcClient } from '../../server/helpers/rpc-client.js';
import {
  clientFor,
  IDENTITIES,
  makePki,
  startTestServer,
  type TestServer,
  type Who,
} from '../../server/helpers/test-server.js';
import { tempDir } from '../../helpers/temp-dir.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const FIXTURE = join(ROOT, 'test/hardening/fixtures/sandboxed-server.ts');
const WHO = Object.keys(IDENTITIES) as Who[];

let counter = 0;
/** A cgroup root name unique to this test process and call. */
export function uniqueRootName(what: string): string {
  counter += 1;
  return `workernator-hardening-${what}-${process.pid}-${counter}`;
}

/** The job cgroup directories (every hierarchy) under `rootName` in this process's own cgroups. */
export async function jobCgroups(rootName: string): Promise<string[]> {
  const layout = await detectCgroups();
  const roots =
    layout.version === 2
      ? [join(layout.ownDir, rootName)]
      : [
          ...new Set([
            ...Object.values(layout.hierarchies).map((h) => join(h.ownDir, rootName)),
            ...(layout.unified === undefined ? [] : [join(layout.unified.ownDir, rootName)]),
          ]),
        ];
  const dirs: string[] = [];
  for (const root of roots) {
    for (const entry of await readdir(root, { withFileTypes: true }).catch(() => [])) {
      if (entry.isDirectory()) dirs.push(join(root, entry.name));
    }
  }
  return dirs.sort();
}

/** Kills and removes every job cgroup under `rootName`, then the root itself. */
export async function sweepCgroups(dataDir: string, rootName: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const sandbox = await openSandbox({ dataDir, cgroupRootName: rootName });
  try {
    await sandbox.recover?.();
  } finally {
    await sandbox.close();
  }
}

/** The number of open fds of a process (this one by default). */
export async function openFds(pid: number | 'self' = 'self'): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

/** What the fds of a process point to (for a message when they leak). */
export async function fdTargets(pid: number | 'self' = 'self'): Promise<string[]> {
  const targets: string[] = [];
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    targets.push(`${fd} -> ${await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '?')}`);
  }
  return targets;
}

export type Clients = Readonly<Record<Who, RpcClient>>;

async function makeClients(tlsDir: string, port: number): Promise<Clients> {
  const entries = await Promise.all(
    WHO.map(async (who) => [who, new RpcClient(await clientFor(tlsDir, who, port))] as const),
  );
  return Object.fromEntries(entries) as Record<Who, RpcClient>;
}

function closeClients(clients: Clients): void {
  for (const client of Object.values(clients)) client.raw.close();
}

/** One run of the sandboxed server subprocess. */
export interface ServerRun {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly as: Clients;
  /** Every JSON log line so far. */
  readonly logs: Record<string, unknown>[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, and waits for the exit. */
  crash(): Promise<void>;
}

/**
 * A data directory and PKI that outlive server runs: start a server, SIGKILL it, start another on
 * the same directory. `close()` kills what is left, sweeps the cgroup root and removes everything.
 */
export class ServerHome {
  readonly cgroupRootName: string;
  readonly #runs: ServerRun[] = [];
  private constructor(
    readonly dir: string,
    readonly tlsDir: string,
    readonly dataDir: string,
    readonly config: Partial<ServerConfig>,
    readonly remove: () => Promise<void>,
  ) {
    this.cgroupRootName = uniqueRootName('server');
  }

  static async create(
    options: { config?: Partial<ServerConfig>; dataDir?: string } = {},
  ): Promise<ServerHome> {
    const temp = await tempDir('workernator-hardening-');
    const tlsDir = join(temp.path, 'tls');
    await makePki(tlsDir);
    return new ServerHome(
      temp.path,
      tlsDir,
      options.dataDir ?? join(temp.path, 'data'),
      options.config ?? {},
      temp.remove,
    );
  }

  /** Starts a server on this home and resolves once it serves. */
  async start(): Promise<ServerRun> {
    await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        FIXTURE,
        JSON.stringify({
          dataDir: this.dataDir,
          tlsDir: this.tlsDir,
          cgroupRootName: this.cgroupRootName,
          config: this.config,
        }),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = once(child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const logs: Record<string, unknown>[] = [];
    const port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          return;
        }
        logs.push(entry);
        if (entry.msg === 'serving') resolve(entry.port as number);
      });
      void exited.then(({ code, signal }) =>
        reject(new Error(`the server exited (${code ?? signal}) before serving: ${stderr}`)),
      );
    });
    const as = await makeClients(this.tlsDir, port);
    const run: ServerRun = {
      child,
      pid: child.pid!,
      port,
      as,
      logs,
      exited,
      async crash() {
        closeClients(as);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      },
    };
    this.#runs.push(run);
    return run;
  }

  async close(): Promise<void> {
    for (const run of this.#runs) await run.crash();
    // Errors the servers logged, for the reader of a failed run (a passing run logs none).
    for (const line of this.#runs.flatMap((run) => run.logs)) {
      if (typeof line.level === 'number' && line.level >= 50)
        process.stderr.write(`${JSON.stringify(line)}\n`);
    }
    await sweepCgroups(this.dataDir, this.cgroupRootName).catch(() => undefined);
    await this.remove();
  }
}

/**
 * The in-process test server (real TLS, admin/alice/bob/vera clients) with the real sandbox as its
 * launcher, under a cgroup root of its own.
 */
export interface SandboxedTestServer extends TestServer {
  readonly sandbox: Sandbox;
  readonly cgroupRootName: string;
}

export async function startSandboxedTestServer(
  config: Partial<ServerConfig> = {},
): Promise<SandboxedTestServer> {
  const cgroupRootName = uniqueRootName('inproc');
  const scratch = await tempDir('workernator-hardening-sandbox-');
  const opened: { sandbox?: Sandbox } = {};
  let server: TestServer;
  try {
    // Opened once the server's directories are known: they are hidden from jobs, as by workernatord.
    server = await startTestServer({
      config,
      launcher: async (final) => {
        opened.sandbox = await openSandbox({
          dataDir: scratch.path,
          cgroupRootName,
          maskedPaths: sandboxMaskedPaths(final),
        });
        return opened.sandbox;
      },
    });
  } catch (error) {
    await opened.sandbox?.close();
    await scratch.remove();
    throw error;
  }
  const sandbox = opened.sandbox!;
  return {
    ...server,
    sandbox,
    cgroupRootName,
    async close() {
      await server.close();
      await sandbox.recover?.().catch(() => undefined);
      await sandbox.close();
      await scratch.remove();
    },
  };
}

/** PIDs of live processes whose environment holds `entry` ("NAME=value"); job processes carry it. */
export async function processesWithEnv(entry: string): Promise<number[]> {
  const found: number[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const environ = await readFile(`/proc/${pid}/environ`, 'latin1').catch(() => '');
    if (environ.split('\0').includes(entry)) found.push(Number(pid));
  }
  return found;
}
