/** bench/results/latest.md: the figures, the targets met or missed, and where the time goes. */
import { STAGES } from '../scenarios/breakdown.js';
import { formatWindow, MiB } from '../lib/stats.js';
import type { Summary } from '../lib/stats.js';
import type { BenchResults } from './results.js';

export interface Target {
  readonly name: string;
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean;
}

const ratio = (value: number, base: number) => (value / base).toFixed(2);
const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;

export function unshareFloor(results: BenchResults): number | undefined {
  return results.peers.find((p) => p.name.startsWith('node spawn unshare'))?.latencyMs?.p50;
}

export function evaluateTargets(r: BenchResults): Target[] {
  const floor = unshareFloor(r) ?? Number.NaN;
  const cmd = r.start.command.exec.p50;
  const one = r.streaming.levels.find((l) => l.clients === 1 && l.flowWindow === undefined);
  const hundred = r.streaming.levels.find((l) => l.clients === 100);
  const maxGrowth = Math.max(...r.streaming.levels.map((l) => l.rssGrowthMiB));
  const targets: Target[] = [
    {
      name: 'command job start (p50, Start -> exec)',
      goal: '<= 0.8x unshare',
      measured: `${cmd} ms = ${ratio(cmd, floor)}x unshare (${floor} ms)`,
      met: cmd <= 0.8 * floor,
    },
    {
      name: 'throughput',
      goal: '>= 100 jobs/s',
      measured: `${r.throughput.jobsPerSecond} jobs/s (p99 Start ${r.throughput.startLatencyMs.p99} ms)`,
      met: r.throughput.jobsPerSecond >= 100,
    },
  ];
  if (one !== undefined) {
    targets.push({
      name: 'streaming, 1 client',
      goal: '>= 40% of the pipe floor',
      measured: `${one.perClientMiBps.median} MiB/s = ${Math.round((one.perClientMiBps.median / r.streaming.floor.MiBps) * 100)}% of ${r.streaming.floor.MiBps} MiB/s`,
      met: one.perClientMiBps.median >= 0.4 * r.streaming.floor.MiBps,
    });
  }
  if (one !== undefined && hundred !== undefined) {
    targets.push({
      name: 'streaming, 100 clients together',
      goal: '>= 1 client',
      measured: `${hundred.aggregateMiBps} vs ${one.perClientMiBps.median} MiB/s`,
      met: hundred.aggregateMiBps >= one.perClientMiBps.median,
    });
  }
  targets.push(
    {
      name: 'streaming, server RSS growth',
      goal: '< 100 MB',
      measured: `${((maxGrowth * MiB) / 1e6).toFixed(1)} MB at most`,
      met: maxGrowth * MiB < 100e6,
    },
    {
      name: 'follow latency p99',
      goal: '< 5 ms',
      measured: `${r.follow.latencyMs.p99} ms (p50 ${r.follow.latencyMs.p50} ms)`,
      met: r.follow.latencyMs.p99 < 5,
    },
    {
      name: `scale: every cgroup gone after ${r.scale.started} jobs stopped`,
      goal: '0 left',
      measured: `${r.scale.cgroupsLeftAfterStop} left`,
      met: r.scale.cgroupsLeftAfterStop === 0 && r.scale.started === r.scale.jobs,
    },
  );
  return targets;
}

function latencyRow(name: string, s: Summary, floor: number | undefined): string {
  return row([
    name,
    s.n,
    s.p50,
    s.p95,
    s.p99,
    s.max,
    floor === undefined ? 'n/a' : `${ratio(s.p50, floor)}x`,
  ]);
}

export function renderMarkdown(r: BenchResults, jsonName: string, pngNote: string | undefined): string {
  const m = r.machine;
  const floor = unshareFloor(r);
  const out: string[] = [];
  out.push(`# Workernator bench: ${r.plan.mode} run, ${r.startedAt}`);
  out.push('');
  out.push(
    `Machine: ${m.cpus} x ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, kernel ${m.kernel} (${m.virtualization}), cgroups ${m.cgroups}, Node ${m.node}. ` +
      `Load average (1 min) during the run: ${r.load.min}-${r.load.max} (mean ${r.load.mean}) on ${m.cpus} CPUs shared with other work` +
      (r.neighbours.length > 0 ? `; busy at the start: ${r.neighbours.join(', ')}` : '') +
      '. Server: workernatord as a subprocess, sandbox on (as root), fresh PKI and data dir, 127.0.0.1, mutual TLS, log level info.',
  );
  if (r.plan.mode === 'quick')
    out.push(
      '',
      '**Quick mode**: smaller streaming sizes and fewer sleeping jobs than the targets name (see each section).',
    );
  const small = r.streaming.levels.filter((l) => l.bytes < 1024 * MiB);
  if (small.length > 0) {
    out.push(
      '',
      `**Streaming sizes reduced${r.plan.mode === 'quick' ? ' (quick mode)' : ''}**: ${small.map((l) => `${l.clients} client(s) x ${l.bytes / MiB} MiB`).join(', ')} instead of 1 GiB each; the full run streams 1 GiB to every client.`,
    );
  }
  out.push(
    '',
    `Raw data: \`bench/results/${jsonName}\`. Chart: \`latest.png\`${pngNote === undefined ? '' : ` (${pngNote})`}.`,
    '',
  );
  out.push('## Targets', '', row(['target', 'goal', 'measured', 'met']), row(['---', '---', '---', '---']));
  for (const t of evaluateTargets(r)) out.push(row([t.name, t.goal, t.measured, t.met ? 'yes' : '**no**']));
  out.push('', '## Start latency (ms, one at a time on a warm connection)', '');
  out.push(
    "Start -> exec: the Start response (the server answers after the shim reported `running`, i.e. after the job's execve succeeded). Start -> COMPLETE: the end of a Tail opened right after the Start response (a Tail ends once the final status is stored). Peers: Node `child_process.spawn` -> `exit`.",
    '',
  );
  out.push(
    row(['what', 'n', 'p50', 'p95', 'p99', 'max', 'p50 / unshare']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:']),
  );
  for (const p of r.peers) {
    if (p.latencyMs === undefined) out.push(row([`${p.name}`, '-', '-', '-', '-', '-', p.note ?? 'not run']));
    else out.push(latencyRow(`${p.name}`, p.latencyMs, floor));
  }
  out.push(latencyRow('**command /bin/true: Start -> exec**', r.start.command.exec, floor));
  out.push(latencyRow('command /bin/true: Start -> COMPLETE', r.start.command.complete, floor));
  out.push(latencyRow('noop: Start -> exec', r.start.noop.exec, floor));
  out.push(latencyRow('noop: Start -> COMPLETE', r.start.noop.complete, floor));
  for (const note of r.notes) out.push('', `Note: ${note}`);
  const t = r.throughput;
  out.push('', '## Throughput', '');
  out.push(
    `${t.jobs} command jobs (/bin/true) by ${t.clients} concurrent clients, each on its own connection: **${t.jobsPerSecond} jobs/s** to the last COMPLETE (${t.startsPerSecond} starts/s), ${t.seconds} s; Start latency p50 ${t.startLatencyMs.p50} ms, p99 ${t.startLatencyMs.p99} ms; ${t.failures} failures; the server used ${t.serverCores} cores.`,
  );
  out.push('', '## Streaming', '');
  out.push(
    `One job writes N bytes (\`head -c N /dev/zero\`); each client follows it with Tail from byte 0. Floor: Node reading ${r.streaming.floor.bytes / MiB} MiB through a plain pipe: **${r.streaming.floor.MiBps} MiB/s**. Server output cap raised to 8 GiB. RSS growth = VmHWM (reset before each level) - VmRSS at its start.`,
    '',
  );
  out.push(
    row([
      'clients',
      'bytes each',
      'per client MiB/s (median / slowest)',
      'together MiB/s',
      'seconds',
      'server RSS before -> peak (growth) MiB',
      'server cores',
      'client cores',
      'complete',
    ]),
  );
  out.push(row(['---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---']));
  for (const l of r.streaming.levels) {
    const who =
      l.flowWindow === undefined
        ? String(l.clients)
        : `${l.clients} (diagnostic: client window ${formatWindow(l.flowWindow)})`;
    out.push(
      row([
        who,
        `${l.bytes / MiB} MiB`,
        `${l.perClientMiBps.median} / ${l.perClientMiBps.slowest}`,
        l.aggregateMiBps,
        l.seconds,
        `${l.rssBeforeMiB} -> ${l.peakRssMiB} (+${l.rssGrowthMiB})`,
        l.serverCores,
        l.clientCores,
        l.complete ? 'yes' : '**no**',
      ]),
    );
  }
  const f = r.follow;
  out.push('', '## Follow latency', '');
  out.push(
    `A job prints \`date +%s%N\` every ~20 ms; the following client subtracts it from its own CLOCK_REALTIME on arrival. ${f.lines} lines: p50 **${f.latencyMs.p50} ms**, p95 ${f.latencyMs.p95} ms, p99 **${f.latencyMs.p99} ms**, max ${f.latencyMs.max} ms.`,
  );
  const s = r.scale;
  out.push('', '## Scale', '');
  out.push(
    `${s.started} of ${s.jobs} \`sleep 3600\` jobs running at once (started in ${s.startSeconds} s by 8 clients)${s.firstError === undefined ? '' : `; starting stopped at: ${s.firstError}`}. Server RSS ${s.rssIdleMiB} MiB idle -> ${s.rssWithJobsMiB} MiB with the jobs (${s.rssPerJobKiB} KiB per job). Status latency over ${s.statusLatencyMs.n} calls: p50 ${s.statusLatencyMs.p50} ms, p99 **${s.statusLatencyMs.p99} ms**. Stopping all (grace 0, 8 clients) took ${s.stopSeconds} s. Job cgroup directories: ${s.cgroupsWhileRunning} while running (one per hierarchy per job), **${s.cgroupsLeftAfterStop} left** after the stops.`,
  );
  out.push(
    '',
    'Host limits: ' +
      Object.entries(s.hostLimits)
        .map(([k, v]) => `${k} ${v}`)
        .join('; ') +
      '.',
  );
  const b = r.breakdown;
  out.push('', '## Where a Start spends its time', '');
  out.push(
    `Stage timestamps of ${b.runs} command starts on an in-process server with probes (median Start ${b.medianStartMs} ms):`,
    '',
  );
  out.push(row(['stage', 'median ms', 'p99 ms']), row(['---', '---:', '---:']));
  for (const [stage, text] of STAGES) out.push(row([text, b.medianMs[stage], b.p99Ms[stage]]));
  if (r.profile !== undefined) {
    const p = r.profile;
    out.push(
      '',
      `CPU profile of workernatord (\`node --cpu-prof\`) during the throughput run (${p.wallMs} ms wall): self time by area:`,
      '',
    );
    out.push(row(['area', 'ms', '%']), row(['---', '---:', '---:']));
    for (const a of p.byArea.slice(0, 10)) out.push(row([a.area, a.ms, a.pct]));
    out.push(
      '',
      'Top functions by self time:',
      '',
      row(['function', 'where', 'ms', '%']),
      row(['---', '---', '---:', '---:']),
    );
    for (const fn of p.topFunctions.slice(0, 15))
      out.push(row([fn.name, fn.where === '' ? '-' : `\`${fn.where}\``, fn.ms, fn.pct]));
  }
  out.push('');
  return out.join('\n');
}
