/**
 * Streaming: one command job writes `bytes` of zeros (`head -c N /dev/zero`) while N clients, each
 * on its own connection, follow it with Tail from byte 0 to the end. Per client: bytes / (Start
 * answered -> its Tail ended). Together: N x bytes / (Start answered -> the last Tail ended). The
 * server's memory is read from /proc/<pid>/status: VmHWM is reset to the current RSS before each
 * level (clear_refs), so "growth" is that level's peak minus its starting RSS.
 * Floor: Node reading the same bytes from `head -c N /dev/zero` through a plain pipe.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { commandJob, connectMany } from '../lib/client.js';
import { step } from '../lib/progress.js';
import type { BenchServer } from '../lib/server.js';
import { MiB, round } from '../lib/stats.js';

export interface StreamLevel {
  readonly clients: number;
  /** Set for the diagnostic row: the HTTP/2 window the clients granted instead of grpc-js's 64 KiB. */
  readonly flowWindow?: number;
  readonly bytes: number;
  /** Median and slowest client, MiB/s. */
  readonly perClientMiBps: { readonly median: number; readonly slowest: number; readonly fastest: number };
  readonly aggregateMiBps: number;
  readonly seconds: number;
  readonly rssBeforeMiB: number;
  readonly peakRssMiB: number;
  readonly rssGrowthMiB: number;
  /** Server CPU / wall time (1.0 = one core) and the bench (client) process's, over the level. */
  readonly serverCores: number;
  readonly clientCores: number;
  readonly complete: boolean;
}

export async function pipeFloor(bytes: number): Promise<{ bytes: number; MiBps: number }> {
  const t0 = performance.now();
  const child = spawn('head', ['-c', String(bytes), '/dev/zero'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let received = 0;
  child.stdout.on('data', (chunk: Buffer) => (received += chunk.byteLength));
  await once(child.stdout, 'end');
  const seconds = (performance.now() - t0) / 1000;
  if (received !== bytes) throw new Error(`pipe floor: got ${received} of ${bytes} bytes`);
  return { bytes, MiBps: round(bytes / MiB / seconds, 1) };
}

export async function measureStreamLevel(
  server: BenchServer,
  clients: number,
  bytes: number,
  flowWindow?: number,
): Promise<StreamLevel> {
  const tails = await connectMany(server.tlsDir, server.port, clients, flowWindow);
  try {
    await server.resetPeak();
    const rssBefore = await server.memory('VmRSS');
    const cpu0 = await server.cpuMs();
    const own0 = process.cpuUsage();
    const job = await tails[0]!.start(commandJob('/usr/bin/head', ['-c', String(bytes), '/dev/zero']));
    const t0 = performance.now();
    let done = 0;
    const perClient = await Promise.all(
      tails.map(async (client) => {
        let received = 0;
        await client.tail(job.id, (data) => (received += data.byteLength));
        const seconds = (performance.now() - t0) / 1000;
        done++;
        if (clients >= 10 && done % Math.ceil(clients / 5) === 0) step(`    ${done}/${clients} tails done`);
        return { received, seconds };
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const peak = await server.memory('VmHWM');
    const serverCores = ((await server.cpuMs()) - cpu0) / 1000 / seconds;
    const own = process.cpuUsage(own0);
    const rates = perClient.map((c) => c.received / MiB / c.seconds).sort((a, b) => a - b);
    const total = perClient.reduce((sum, c) => sum + c.received, 0);
    return {
      clients,
      ...(flowWindow === undefined ? {} : { flowWindow }),
      bytes,
      perClientMiBps: {
        median: round(rates[Math.floor(rates.length / 2)] ?? 0, 1),
        slowest: round(rates[0] ?? 0, 1),
        fastest: round(rates[rates.length - 1] ?? 0, 1),
      },
      aggregateMiBps: round(total / MiB / seconds, 1),
      seconds: round(seconds),
      rssBeforeMiB: round(rssBefore / MiB, 1),
      peakRssMiB: round(peak / MiB, 1),
      rssGrowthMiB: round((peak - rssBefore) / MiB, 1),
      serverCores: round(serverCores, 2),
      clientCores: round((own.user + own.system) / 1e6 / seconds, 2),
      complete: perClient.every((c) => c.received === bytes),
    };
  } finally {
    for (const client of tails) client.close();
  }
}
