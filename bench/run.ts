/**
 * The Workernator benchmark: `npm run bench` (full) or `npm run bench -- --quick` (< 2 minutes,
 * smaller streaming sizes and fewer sleeping jobs, labelled as such). Writes
 * bench/results/<timestamp>.json, bench/results/latest.md and bench/results/latest.png.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchClient, commandJob, connectMany, NOOP_JOB } from './lib/client.js';
import { busyNeighbours, describeMachine, LoadSampler } from './lib/machine.js';
import { step } from './lib/progress.js';
import { ROOT, snapshotBuild, startServer, type BenchServer, type BuildSnapshot } from './lib/server.js';
import { formatWindow, GiB, MiB } from './lib/stats.js';
import { summarizeProfile } from './lib/profile.js';
import { writeChart } from './report/chart.js';
import { renderMarkdown } from './report/markdown.js';
import type { BenchResults, Plan } from './report/results.js';
import { measureStartBreakdown } from './scenarios/breakdown.js';
import { measureFollowLatency } from './scenarios/follow.js';
import { runPeers } from './scenarios/peers.js';
import { measureScale } from './scenarios/scale.js';
import { measureStartLatency } from './scenarios/start-latency.js';
import { measureStreamLevel, pipeFloor } from './scenarios/streaming.js';
import { measureThroughput } from './scenarios/throughput.js';

const quick = process.argv.includes('--quick');

/**
 * `--only streaming,follow` (any of: streaming, follow) runs just those scenarios, each on a server
 * of its own, prints their results and writes them to bench/results/<timestamp>-only.json; the
 * report (latest.md, latest.png) is left alone, as it needs every scenario.
 */
const ONLY_SCENARIOS = ['streaming', 'follow'] as const;
type OnlyScenario = (typeof ONLY_SCENARIOS)[number];

function parseOnly(argv: readonly string[]): OnlyScenario[] | undefined {
  const index = argv.findIndex((arg) => arg === '--only' || arg.startsWith('--only='));
  if (index < 0) return undefined;
  const arg = argv[index] ?? '';
  const value = arg.startsWith('--only=') ? arg.slice('--only='.length) : (argv[index + 1] ?? '');
  const names = value.split(',').filter((name) => name !== '');
  const unknown = names.filter((name) => !(ONLY_SCENARIOS as readonly string[]).includes(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new Error(`--only takes a comma-separated list of: ${ONLY_SCENARIOS.join(', ')}`);
  }
  return names as OnlyScenario[];
}

const only = parseOnly(process.argv);

const PLAN: Plan = quick
  ? {
      mode: 'quick',
      startRuns: 200,
      warmup: 10,
      peerRuns: 200,
      throughputJobs: 500,
      throughputClients: 8,
      streamLevels: [
        { clients: 1, bytes: 256 * MiB },
        { clients: 10, bytes: 64 * MiB },
        { clients: 100, bytes: 8 * MiB },
        { clients: 1, bytes: 256 * MiB, flowWindow: 64 * 1024 },
      ],
      followLines: 150,
      scaleJobs: 200,
      statusCalls: 500,
      profile: false,
    }
  : {
      mode: 'full',
      startRuns: 300,
      warmup: 20,
      peerRuns: 300,
      throughputJobs: 500,
      throughputClients: 8,
      streamLevels: [
        { clients: 1, bytes: GiB },
        { clients: 10, bytes: GiB },
        { clients: 100, bytes: GiB },
        { clients: 1, bytes: GiB, flowWindow: 64 * 1024 },
      ],
      followLines: 500,
      scaleJobs: 1000,
      statusCalls: 2000,
      profile: true,
    };

async function withServer<T>(
  build: BuildSnapshot,
  args: readonly string[],
  body: (server: BenchServer) => Promise<T>,
  cpuProfileDir?: string,
): Promise<T> {
  const server = await startServer(build, {
    args,
    ...(cpuProfileDir === undefined ? {} : { cpuProfileDir }),
  });
  step(
    `workernatord pid ${server.pid} on 127.0.0.1:${server.port} (sandbox on, cgroups in ${server.cgroups.dirs[0] ?? '?'})`,
  );
  try {
    return await body(server);
  } finally {
    await server.close();
  }
}

async function measureStreaming(build: BuildSnapshot): Promise<BenchResults['streaming']> {
  const floorBytes = Math.max(...PLAN.streamLevels.map((l) => l.bytes));
  const floor = await pipeFloor(floorBytes);
  step(`  plain pipe floor: ${floor.MiBps} MiB/s`);
  const levels = await withServer(build, ['--output-cap', '8GiB'], async (server) => {
    const measured = [];
    for (const level of PLAN.streamLevels) {
      const window =
        level.flowWindow === undefined
          ? ''
          : ` (diagnostic: client flow-control window ${formatWindow(level.flowWindow)}, grpc-js's default)`;
      step(`  ${level.clients} client(s), ${level.bytes / MiB} MiB${window}`);
      const result = await measureStreamLevel(server, level.clients, level.bytes, level.flowWindow);
      step(
        `    per client ${result.perClientMiBps.median} MiB/s (slowest ${result.perClientMiBps.slowest}), together ${result.aggregateMiBps} MiB/s, ` +
          `${result.seconds} s, RSS +${result.rssGrowthMiB} MiB, server ${result.serverCores} cores, client ${result.clientCores} cores` +
          (result.complete ? '' : ', INCOMPLETE'),
      );
      measured.push(result);
    }
    return measured;
  });
  return { floor, levels };
}

async function mainOnly(scenarios: readonly OnlyScenario[]): Promise<void> {
  const startedAt = new Date();
  step(`Workernator bench, ${PLAN.mode} mode, only: ${scenarios.join(', ')}`);
  const sampler = new LoadSampler();
  const build = await snapshotBuild();
  try {
    const results: Record<string, unknown> = { startedAt: startedAt.toISOString(), plan: PLAN };
    if (scenarios.includes('follow')) {
      step('follow latency');
      results.follow = await withServer(build, [], async (server) => {
        const client = await BenchClient.connect(server.tlsDir, server.port);
        try {
          return await measureFollowLatency(client, PLAN.followLines);
        } finally {
          client.close();
        }
      });
    }
    if (scenarios.includes('streaming')) {
      step('streaming');
      results.streaming = await measureStreaming(build);
    }
    results.load = sampler.stop();
    const dir = join(ROOT, 'bench/results');
    await mkdir(dir, { recursive: true });
    const jsonPath = join(dir, `${startedAt.toISOString().replace(/[:.]/g, '-')}-only.json`);
    await writeFile(jsonPath, `${JSON.stringify(results, null, 1)}\n`);
    step(`wrote ${jsonPath} (latest.md is written by full and quick runs only)`);
  } finally {
    await build.remove();
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  step(`Workernator bench, ${PLAN.mode} mode`);
  const machine = describeMachine();
  const neighbours = busyNeighbours();
  const load = new LoadSampler();
  step(
    `${machine.cpus} x ${machine.cpuModel}, ${machine.kernel}, ${machine.virtualization}; load ${load.stop().atStart}`,
  );
  const sampler = new LoadSampler();
  const build = await snapshotBuild();
  const work = await mkdtemp(join(tmpdir(), 'workernator-bench-work-'));
  try {
    step('peers and floors: Node spawning /bin/true, unshare, bwrap, crun, the shim');
    const { peers, notes } = await runPeers(PLAN.peerRuns, build.shim);

    step('start latency, throughput, follow latency (one server)');
    const main = await withServer(build, [], async (server) => {
      const client = await BenchClient.connect(server.tlsDir, server.port);
      try {
        const command = await measureStartLatency(
          client,
          'command /bin/true',
          commandJob('/bin/true'),
          PLAN.startRuns,
          PLAN.warmup,
        );
        const noop = await measureStartLatency(client, 'noop', NOOP_JOB, PLAN.startRuns, PLAN.warmup);
        const clients = await connectMany(server.tlsDir, server.port, PLAN.throughputClients);
        const throughput = await measureThroughput(server, clients, PLAN.throughputJobs).finally(() =>
          clients.forEach((c) => c.close()),
        );
        const follow = await measureFollowLatency(client, PLAN.followLines);
        return { command, noop, throughput, follow };
      } finally {
        client.close();
      }
    });

    step('streaming');
    const streaming = await measureStreaming(build);

    step(`scale: ${PLAN.scaleJobs} sleeping jobs`);
    const limits = [
      '--max-running-jobs',
      String(PLAN.scaleJobs * 2),
      '--max-running-jobs-per-identity',
      String(PLAN.scaleJobs * 2),
    ];
    const scale = await withServer(build, limits, async (server) => {
      const clients = await connectMany(server.tlsDir, server.port, 8);
      try {
        return await measureScale(server, clients, PLAN.scaleJobs, PLAN.statusCalls);
      } finally {
        clients.forEach((c) => c.close());
      }
    });

    step('where Start spends its time (stage timestamps, in-process server)');
    const breakdown = await measureStartBreakdown(build, work, quick ? 100 : 200);

    let profile;
    if (PLAN.profile) {
      step('CPU profile of the server under the throughput load');
      const profileDir = join(work, 'profile');
      await withServer(
        build,
        [],
        async (server) => {
          const clients = await connectMany(server.tlsDir, server.port, PLAN.throughputClients);
          await measureThroughput(server, clients, PLAN.throughputJobs).finally(() =>
            clients.forEach((c) => c.close()),
          );
        },
        profileDir,
      );
      profile = await summarizeProfile(profileDir, 25);
    }

    const results: BenchResults = {
      startedAt: startedAt.toISOString(),
      plan: PLAN,
      machine,
      load: sampler.stop(),
      neighbours,
      notes,
      peers,
      start: { command: main.command, noop: main.noop },
      throughput: main.throughput,
      follow: main.follow,
      streaming,
      scale,
      breakdown,
      ...(profile === undefined ? {} : { profile }),
    };
    await writeOutputs(results, startedAt, work);
  } finally {
    await rm(work, { recursive: true, force: true });
    await build.remove();
  }
}

async function writeOutputs(results: BenchResults, startedAt: Date, work: string): Promise<void> {
  const dir = join(ROOT, 'bench/results');
  await mkdir(dir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const jsonPath = join(dir, `${stamp}.json`);
  await writeFile(jsonPath, `${JSON.stringify(results, null, 1)}\n`);
  const pngNote = await writeChart(results, join(dir, 'latest.png'), join(work, 'chart.svg'));
  await writeFile(join(dir, 'latest.md'), renderMarkdown(results, `${stamp}.json`, pngNote));
  step(`wrote ${jsonPath}, bench/results/latest.md and bench/results/latest.png`);
}

await (only === undefined ? main() : mainOnly(only));
