/**
 * workernatord under test: a subprocess running a snapshot of the built server (dist/, the shim and
 * the spawner copied to a temp dir, so a rebuild by someone else mid-run cannot change the code being measured),
 * WITH the sandbox, a fresh PKI and data dir in the temp dir, on 127.0.0.1 port 0 (read from the
 * "serving" log line), inside a cgroup home of the bench's own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { certsInit } from '../../src/pki/commands.js';
import { makeCgroupHome, type CgroupHome } from './cgroup-home.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A copy of the build, shared by every server of one bench run. */
export interface BuildSnapshot {
  readonly dir: string;
  readonly main: string;
  readonly shim: string;
  readonly runner: string;
  remove(): Promise<void>;
}

export async function snapshotBuild(): Promise<BuildSnapshot> {
  const main = join(ROOT, 'dist/server/main.js');
  const shim = join(ROOT, 'native/build/workernator-shim');
  const spawner = join(ROOT, 'native/build/workernator-spawner');
  for (const file of [main, shim, spawner, join(ROOT, 'dist/job-runner.mjs')]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
  }
  const stale = await newestSource(join(ROOT, 'src'));
  if (stale > statSync(main).mtimeMs) {
    process.stderr.write(
      'warning: src/ is newer than dist/: run `npm run build` to measure the latest code\n',
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'workernator-bench-build-'));
  await cp(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  await mkdir(join(dir, 'native/build'), { recursive: true });
  await cp(shim, join(dir, 'native/build/workernator-shim'));
  await cp(spawner, join(dir, 'native/build/workernator-spawner'));
  await cp(join(ROOT, 'package.json'), join(dir, 'package.json'));
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return {
    dir,
    main: join(dir, 'dist/server/main.js'),
    shim: join(dir, 'native/build/workernator-shim'),
    runner: join(dir, 'dist/job-runner.mjs'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

export interface ServerOptions {
  /** Extra `serve` flags, e.g. ['--output-cap', '4GiB']. */
  readonly args?: readonly string[];
  /** Write a V8 CPU profile of the server into this directory when it exits. */
  readonly cpuProfileDir?: string;
}

export interface BenchServer {
  readonly pid: number;
  readonly port: number;
  readonly dir: string;
  readonly tlsDir: string;
  readonly dataDir: string;
  readonly cgroups: CgroupHome;
  /** Log lines the server wrote (counted, not kept: one per RPC). */
  readonly logLines: () => number;
  /** A field of /proc/<pid>/status in bytes: VmRSS, VmHWM. */
  memory(field: 'VmRSS' | 'VmHWM'): Promise<number>;
  /** Resets VmHWM to the current RSS (writes 5 to /proc/<pid>/clear_refs). */
  resetPeak(): Promise<void>;
  /** User + system CPU time of the server process so far, in ms. */
  cpuMs(): Promise<number>;
  /** SIGTERM, wait for the exit, remove the temp dir and the cgroup home. */
  close(): Promise<void>;
}

const CLK_TCK = 100;

export async function startServer(build: BuildSnapshot, options: ServerOptions = {}): Promise<BenchServer> {
  const dir = await mkdtemp(join(tmpdir(), 'workernator-bench-'));
  const tlsDir = join(dir, 'tls');
  const dataDir = join(dir, 'data');
  await certsInit({ tlsDir });
  const cgroups = await makeCgroupHome();
  const nodeArgs = [
    ...(options.cpuProfileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir]),
    build.main,
    'serve',
    '--listen',
    '127.0.0.1:0',
    '--tls-dir',
    tlsDir,
    '--data-dir',
    dataDir,
    '--shutdown-grace',
    '0s',
    ...(options.args ?? []),
  ];
  // The shell puts itself (then, by exec, the server) into the cgroup home before node starts.
  const script = 'for f in $BENCH_CGROUP_PROCS; do echo $$ > "$f" || exit 97; done; exec "$@"';
  const child: ChildProcess = spawn('/bin/sh', ['-c', script, 'sh', process.execPath, ...nodeArgs], {
    env: { ...process.env, BENCH_CGROUP_PROCS: cgroups.procsFiles.join(' ') },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: build.dir,
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let lines = 0;
  const pid = child.pid ?? 0;
  try {
    const port = await new Promise<number>((resolve, reject) => {
      if (child.stdout === null) return reject(new Error('no stdout'));
      createInterface({ input: child.stdout }).on('line', (line) => {
        lines++;
        if (lines > 20) return;
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === 'serving' && typeof entry.port === 'number') resolve(entry.port);
      });
      void exited.then((code) =>
        reject(new Error(`workernatord exited with ${code} before serving: ${stderr}`)),
      );
    });
    const statusField = async (field: string): Promise<number> => {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
      if (match === null) throw new Error(`no ${field} in /proc/${pid}/status`);
      return Number(match[1]) * 1024;
    };
    return {
      pid,
      port,
      dir,
      tlsDir,
      dataDir,
      cgroups,
      logLines: () => lines,
      memory: statusField,
      resetPeak: () => writeFile(`/proc/${pid}/clear_refs`, '5'),
      async cpuMs() {
        const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
        return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
      },
      async close() {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          await exited;
        }
        await rm(dir, { recursive: true, force: true });
        await cgroups.remove();
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
    await cgroups.remove();
    throw error;
  }
}
