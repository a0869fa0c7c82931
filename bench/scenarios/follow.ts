/**
 * Follow latency: a command job prints one line every ~20 ms, each holding the CLOCK_REALTIME
 * nanoseconds at which it was made (`date +%s%N`, which writes it at once); a client follows the job
 * with Tail and, as each line arrives, subtracts it from its own CLOCK_REALTIME
 * (performance.timeOrigin + performance.now(), microsecond resolution). Same host, same clock.
 */
import { performance } from 'node:perf_hooks';
import { commandJob, type BenchClient } from '../lib/client.js';
import { counter } from '../lib/progress.js';
import { roundSummary, summarize, type Summary } from '../lib/stats.js';

export interface FollowLatency {
  readonly lines: number;
  readonly latencyMs: Summary;
  readonly samples: number[];
}

export async function measureFollowLatency(client: BenchClient, lines: number): Promise<FollowLatency> {
  const script = `i=0; while [ $i -lt ${lines} ]; do sleep 0.02; date +%s%N; i=$((i+1)); done`;
  const job = await client.start(commandJob('/bin/sh', ['-c', script]));
  const samples: number[] = [];
  const progress = counter('lines followed', lines);
  let partial = '';
  await client.tail(job.id, (data) => {
    const nowMs = performance.timeOrigin + performance.now();
    const text = partial + data.toString('latin1');
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      if (!/^\d+$/.test(line)) continue;
      const writtenMs = Number(BigInt(line) / 1000n) / 1000;
      samples.push(nowMs - writtenMs);
      progress.tick();
    }
  });
  const latencyMs = roundSummary(summarize(samples));
  progress.done(`p50 ${latencyMs.p50} ms, p99 ${latencyMs.p99} ms`);
  return { lines: samples.length, latencyMs, samples };
}
