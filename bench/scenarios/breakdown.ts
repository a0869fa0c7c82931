/**
 * Where a Start spends its time, from timestamps at each stage. The server runs in this process
 * (WorkernatorServer with the real SandboxLauncher and cgroup backend, a job root of its own), with
 * three probes that need no change to src/: the cgroup backend's create() is wrapped, the
 * launcher's launch() is wrapped, and ShimSpawner.prototype.spawn is wrapped to time the round trip
 * to the spawner (request, fork+exec of the shim, `spawned` reply, pipes opened) and the arrival of
 * the shim's `running` line on fd 3. All times are ms after the client sent Start.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import type { LaunchRequest, LaunchedJob, Launcher } from '../../src/core/launcher.js';
import { certsInit } from '../../src/pki/commands.js';
import type { CgroupBackend } from '../../src/sandbox/cgroups/backend.js';
import { openCgroupBackend } from '../../src/sandbox/cgroups/open.js';
import { SandboxLauncher } from '../../src/sandbox/sandbox-launcher.js';
import { ShimSpawner } from '../../src/sandbox/spawner.js';
import { SETTING_LIST, type ServerConfig } from '../../src/server/config/settings.js';
import { createLogger } from '../../src/server/logger.js';
import { WorkernatorServer } from '../../src/server/server.js';
import { BenchClient, commandJob } from '../lib/client.js';
import { counter } from '../lib/progress.js';
import type { BuildSnapshot } from '../lib/server.js';
import { round } from '../lib/stats.js';

export const STAGES = [
  [
    'rpc',
    'Start sent -> launch() called: gRPC/TLS receive, decode, authz, validation, SQLite insert, log file create',
  ],
  ['cgroup', 'cgroup create: mkdir in each hierarchy + limit writes'],
  [
    'spawn',
    'spawner round trip: request, fork+exec of the shim by workernator-spawner, `spawned` reply, pipes opened',
  ],
  ['shim', 'pipes opened -> `running` on fd 3: clone3 + namespaces, mounts, lo, fork, user switch, exec'],
  ['relay', '`running` read -> launch() resolved: readline, parse'],
  ['reply', 'launch() resolved -> Start response at the client: SQLite update, status read, encode, send'],
] as const;
export type Stage = (typeof STAGES)[number][0];

export interface StartBreakdown {
  readonly runs: number;
  /** Median ms of each stage, and their sum (the median Start is close to it, not equal). */
  readonly medianMs: Record<Stage, number>;
  readonly p99Ms: Record<Stage, number>;
  readonly medianStartMs: number;
}

interface Marks {
  launchIn?: number;
  cgroupOut?: number;
  spawnIn?: number;
  spawnOut?: number;
  running?: number;
  launchOut?: number;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

export async function measureStartBreakdown(
  build: BuildSnapshot,
  work: string,
  runs: number,
): Promise<StartBreakdown> {
  const originalSpawn = Object.getOwnPropertyDescriptor(ShimSpawner.prototype, 'spawn')?.value as
    ShimSpawner['spawn'] | undefined;
  if (originalSpawn === undefined) throw new Error('ShimSpawner.prototype.spawn is not there to probe');
  let marks: Marks = {};
  ShimSpawner.prototype.spawn = async function probedSpawn(this: ShimSpawner, args, env) {
    const current = marks;
    current.spawnIn = performance.now();
    const shim = await originalSpawn.call(this, args, env);
    current.spawnOut = performance.now();
    shim.status.once('data', () => (current.running ??= performance.now()));
    return shim;
  };

  const dir = await mkdtemp(join(work, 'breakdown-'));
  const backend = await openCgroupBackend({ rootName: `workernator-bench-${process.pid}` });
  const timed: CgroupBackend = {
    version: backend.version,
    rootDirs: backend.rootDirs,
    init: () => backend.init(),
    sweep: () => backend.sweep(),
    close: () => backend.close(),
    async create(jobId, limits) {
      const cgroup = await backend.create(jobId, limits);
      marks.cgroupOut = performance.now();
      return cgroup;
    },
  };
  const sandbox = new SandboxLauncher({
    shimPath: build.shim,
    cgroups: timed,
    jobUser: 'nobody',
    jobGroup: 'nogroup',
  });
  await sandbox.start();
  const launcher: Launcher = {
    async launch(request: LaunchRequest): Promise<LaunchedJob> {
      marks.launchIn = performance.now();
      const launched = await sandbox.launch(request);
      marks.launchOut = performance.now();
      return launched;
    },
    recover: () => sandbox.recover(),
  };
  const tlsDir = join(dir, 'tls');
  await certsInit({ tlsDir });
  await mkdir(join(dir, 'data'));
  const defaults = Object.fromEntries(SETTING_LIST.map((s) => [s.key, s.default])) as unknown as ServerConfig;
  const config: ServerConfig = { ...defaults, listen: '127.0.0.1:0', dataDir: join(dir, 'data'), tlsDir };
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const server = await WorkernatorServer.start({ config, launcher, logger: createLogger('info', sink) });
  const client = await BenchClient.connect(tlsDir, server.port);
  const samples: Record<Stage, number[]> = { rpc: [], cgroup: [], spawn: [], shim: [], relay: [], reply: [] };
  const starts: number[] = [];
  try {
    const progress = counter('instrumented starts', runs);
    for (let i = 0; i < runs + 10; i++) {
      marks = {};
      const t0 = performance.now();
      const job = await client.start(commandJob('/bin/true'));
      const t1 = performance.now();
      await client.tail(job.id);
      const m = marks;
      if (i < 10) continue;
      if (
        [m.launchIn, m.cgroupOut, m.spawnIn, m.spawnOut, m.running, m.launchOut].some((v) => v === undefined)
      )
        continue;
      samples.rpc.push(m.launchIn! - t0);
      samples.cgroup.push(m.cgroupOut! - m.launchIn!);
      samples.spawn.push(m.spawnOut! - m.spawnIn!);
      samples.shim.push(m.running! - m.spawnOut!);
      samples.relay.push(m.launchOut! - m.running!);
      samples.reply.push(t1 - m.launchOut!);
      starts.push(t1 - t0);
      progress.tick();
    }
    progress.done();
  } finally {
    client.close();
    await server.shutdown();
    await sandbox.close();
    await backend.close();
    ShimSpawner.prototype.spawn = originalSpawn;
    await rm(dir, { recursive: true, force: true });
  }
  const medianMs = {} as Record<Stage, number>;
  const p99Ms = {} as Record<Stage, number>;
  for (const [stage] of STAGES) {
    medianMs[stage] = round(quantile(samples[stage], 0.5));
    p99Ms[stage] = round(quantile(samples[stage], 0.99));
  }
  return { runs: starts.length, medianMs, p99Ms, medianStartMs: round(quantile(starts, 0.5)) };
}
