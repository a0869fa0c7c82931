/**
 * Start latency over a warm connection, one job at a time. For each run, t0 is taken just before the
 * client sends Start:
 *  - exec:     t0 -> the Start response. The server answers Start once the shim reported `running`,
 *              which it writes only after the job's execve inside the sandbox succeeded.
 *  - complete: t0 -> the end of a Tail stream opened right after the Start response. The server ends
 *              a Tail only after the job's final record (COMPLETE) is stored and every byte was sent,
 *              so this is "until a client can see COMPLETE", with no polling.
 */
import { performance } from 'node:perf_hooks';
import type { BenchClient, StartRequest } from '../lib/client.js';
import { counter } from '../lib/progress.js';
import { roundSummary, summarize, type Summary } from '../lib/stats.js';

export interface StartLatency {
  readonly exec: Summary;
  readonly complete: Summary;
  readonly execSamples: number[];
  readonly completeSamples: number[];
}

export async function measureStartLatency(
  client: BenchClient,
  label: string,
  request: StartRequest,
  runs: number,
  warmup: number,
): Promise<StartLatency> {
  const execSamples: number[] = [];
  const completeSamples: number[] = [];
  const progress = counter(label, runs);
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    const job = await client.start(request);
    const t1 = performance.now();
    await client.tail(job.id);
    const t2 = performance.now();
    if (i < warmup) continue;
    execSamples.push(t1 - t0);
    completeSamples.push(t2 - t0);
    progress.tick();
  }
  const exec = roundSummary(summarize(execSamples));
  const complete = roundSummary(summarize(completeSamples));
  progress.done(`exec p50 ${exec.p50} ms, complete p50 ${complete.p50} ms`);
  return { exec, complete, execSamples, completeSamples };
}
