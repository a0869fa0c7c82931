/**
 * Scale: `count` jobs running `sleep 3600` at once, started by 8 clients. Then the server's RSS, the
 * latency of `statusCalls` Status calls from one client (one at a time, over the running jobs), then
 * every job stopped (grace 0, 8 clients) and the job cgroups under the server's job root counted:
 * Stop answers once the job's cgroups were removed, so none may be left.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { commandJob, type BenchClient } from '../lib/client.js';
import { counter } from '../lib/progress.js';
import type { BenchServer } from '../lib/server.js';
import { MiB, round, roundSummary, summarize, type Summary } from '../lib/stats.js';

export interface Scale {
  readonly jobs: number;
  readonly started: number;
  readonly startSeconds: number;
  readonly firstError?: string;
  readonly rssIdleMiB: number;
  readonly rssWithJobsMiB: number;
  readonly rssPerJobKiB: number;
  readonly statusLatencyMs: Summary;
  readonly stopSeconds: number;
  readonly cgroupsWhileRunning: number;
  readonly cgroupsLeftAfterStop: number;
  readonly hostLimits: Record<string, string>;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return 'n/a';
  }
}

export function hostLimits(): Record<string, string> {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const row = (name: string) => new RegExp(`^${name}\\s+(\\S+)\\s+(\\S+)`, 'm').exec(limits);
  const procs = row('Max processes');
  const files = row('Max open files');
  return {
    'kernel.pid_max': readOr('/proc/sys/kernel/pid_max'),
    'kernel.threads-max': readOr('/proc/sys/kernel/threads-max'),
    'RLIMIT_NPROC (soft/hard)': procs === null ? 'n/a' : `${procs[1]}/${procs[2]}`,
    'RLIMIT_NOFILE (soft/hard)': files === null ? 'n/a' : `${files[1]}/${files[2]}`,
    'pids.max of the server cgroup': 'none (v1 pids root)',
    'per-job default limits (server)': 'cpu 1000m, memory 512 MiB, pids 1024',
  };
}

export async function measureScale(
  server: BenchServer,
  clients: readonly BenchClient[],
  count: number,
  statusCalls: number,
): Promise<Scale> {
  const rssIdle = await server.memory('VmRSS');
  const ids: string[] = [];
  let firstError: string | undefined;
  let next = 0;
  const starting = counter('sleeping jobs started', count);
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      while (next < count && firstError === undefined) {
        next++;
        try {
          ids.push((await client.start(commandJob('/bin/sleep', ['3600']))).id);
          starting.tick();
        } catch (error) {
          firstError ??= (error as Error).message;
        }
      }
    }),
  );
  const startSeconds = (performance.now() - t0) / 1000;
  starting.done(firstError === undefined ? '' : `stopped at the first error: ${firstError}`);
  const rssWithJobs = await server.memory('VmRSS');
  const cgroupsWhileRunning = (await server.cgroups.leftovers()).length;

  const latencies: number[] = [];
  const statusProgress = counter('Status calls', statusCalls);
  const first = clients[0]!;
  for (let i = 0; i < statusCalls; i++) {
    const id = ids[i % ids.length]!;
    const s = performance.now();
    await first.status(id);
    latencies.push(performance.now() - s);
    statusProgress.tick();
  }
  const statusLatencyMs = roundSummary(summarize(latencies));
  statusProgress.done(`p99 ${statusLatencyMs.p99} ms`);

  const stopping = counter('jobs stopped', ids.length);
  const s0 = performance.now();
  let cursor = 0;
  await Promise.all(
    clients.map(async (client) => {
      while (cursor < ids.length) {
        const id = ids[cursor++]!;
        await client.stop(id, 0);
        stopping.tick();
      }
    }),
  );
  const stopSeconds = (performance.now() - s0) / 1000;
  stopping.done();
  const left = (await server.cgroups.leftovers()).length;
  return {
    jobs: count,
    started: ids.length,
    startSeconds: round(startSeconds),
    ...(firstError === undefined ? {} : { firstError }),
    rssIdleMiB: round(rssIdle / MiB, 1),
    rssWithJobsMiB: round(rssWithJobs / MiB, 1),
    rssPerJobKiB: round((rssWithJobs - rssIdle) / 1024 / Math.max(1, ids.length), 1),
    statusLatencyMs,
    stopSeconds: round(stopSeconds),
    cgroupsWhileRunning,
    cgroupsLeftAfterStop: left,
    hostLimits: hostLimits(),
  };
}
