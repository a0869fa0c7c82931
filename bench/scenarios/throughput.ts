/**
 * Throughput: `total` command jobs (/bin/true) started by `clients` concurrent clients, each on its
 * own connection, each starting its next job as soon as its previous Start answered. Every job is
 * followed by a Tail opened after its Start, so the end of the run (the last job COMPLETE, as the
 * clients see it) is known without polling. jobs/s = total / (first send -> last job complete).
 */
import { performance } from 'node:perf_hooks';
import { commandJob, type BenchClient } from '../lib/client.js';
import { counter } from '../lib/progress.js';
import { round, roundSummary, summarize, type Summary } from '../lib/stats.js';
import type { BenchServer } from '../lib/server.js';

export interface Throughput {
  readonly jobs: number;
  readonly clients: number;
  readonly seconds: number;
  readonly jobsPerSecond: number;
  /** Jobs started per second (first send -> last Start answered). */
  readonly startsPerSecond: number;
  readonly startLatencyMs: Summary;
  readonly startSamples: number[];
  readonly failures: number;
  /** Server CPU time over the run / wall time: 1.0 = one core busy. */
  readonly serverCores: number;
}

export async function measureThroughput(
  server: BenchServer,
  clients: readonly BenchClient[],
  total: number,
): Promise<Throughput> {
  const request = commandJob('/bin/true');
  const samples: number[] = [];
  const tails: Promise<void>[] = [];
  let next = 0;
  let failures = 0;
  let lastStart = 0;
  const progress = counter(`${total} jobs by ${clients.length} clients`, total);
  const cpu0 = await server.cpuMs();
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      while (next < total) {
        next++;
        const sent = performance.now();
        try {
          const job = await client.start(request);
          lastStart = performance.now();
          samples.push(lastStart - sent);
          tails.push(client.tail(job.id).then(() => progress.tick()));
        } catch {
          failures++;
        }
      }
    }),
  );
  await Promise.all(tails);
  const seconds = (performance.now() - t0) / 1000;
  const serverCores = (await server.cpuMs()) - cpu0;
  progress.done(`${round(total / seconds, 1)} jobs/s`);
  return {
    jobs: total,
    clients: clients.length,
    seconds: round(seconds),
    jobsPerSecond: round((total - failures) / seconds, 1),
    startsPerSecond: round((total - failures) / ((lastStart - t0) / 1000), 1),
    startLatencyMs: roundSummary(summarize(samples)),
    startSamples: samples,
    failures,
    serverCores: round(serverCores / 1000 / seconds, 2),
  };
}
