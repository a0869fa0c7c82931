/**
 * The `status` block, in the seed's shape and column (values start at column 12):
 *
 *     Job XE38YM: Fibonacci
 *     Arguments:
 *       Number:   3
 *     Status:     Complete
 *     Started:    2022-07-07 16:34:03
 *     Finished:   2022-07-07 16:34:04
 *     Duration:   1 second
 *
 * Lines the seed does not show (exit code, error, limits, usage...) come after it, only when the
 * job has them, so the seed's block stays intact at the top.
 */
import { formatBytes } from '../../core/units.js';
import {
  JobStatus,
  NetworkMode,
  type Arguments,
  type Job,
  type ResourceLimits,
  type ResourceUsage,
} from '../../gen/workernator/v1/workernator.js';
import { formatDurationWords } from '../duration.js';
import { jobStatusName, jobTypeName, networkName } from './names.js';
import { shellQuote } from './shell-quote.js';
import { durationToMs, elapsedMs, formatLocalTime } from './time.js';

const VALUE_COLUMN = 12;

/** "Status:" padded to the value column; a longer label still gets one space. */
function field(label: string, value: string): string {
  return `${`${label}:`.padEnd(VALUE_COLUMN - 1)} ${value}`;
}

const sub = (label: string, value: string): string => field(`  ${label}`, value);

export function argumentLines(args: Arguments | undefined): string[] {
  const kind = args?.kind;
  switch (kind?.$case) {
    case undefined:
    case 'noop':
      return ['  (none)'];
    case 'fibonacci':
      return [sub('Number', String(kind.value.position))];
    case 'expressionEvaluator': {
      const variables = Object.entries(kind.value.variables).map(([name, value]) => `${name}=${value}`);
      return [
        sub('Expression', kind.value.expression),
        ...(variables.length > 0 ? [sub('Variables', variables.join(', '))] : []),
      ];
    }
    case 'waitThenSend':
      return [sub('URL', kind.value.url), sub('Wait', formatDurationWords(kind.value.waitSeconds * 1000))];
    case 'command': {
      const env = Object.entries(kind.value.env).map(([name, value]) => shellQuote(`${name}=${value}`));
      return [
        sub('Command line', [kind.value.executable, ...kind.value.args].map(shellQuote).join(' ')),
        ...(env.length > 0 ? [sub('Environment', env.join(' '))] : []),
        ...(kind.value.workingDir !== '' ? [sub('Directory', kind.value.workingDir)] : []),
      ];
    }
  }
}

const rate = (bytes: bigint): string => `${formatBytes(Number(bytes))}/s`;

export function limitLines(limits: ResourceLimits | undefined): string[] {
  if (limits === undefined) return [];
  const lines: string[] = [];
  if (limits.cpuMillicores !== undefined) {
    lines.push(sub('CPU', `${limits.cpuMillicores}m (${limits.cpuMillicores / 1000} cores)`));
  }
  if (limits.memoryBytes !== undefined) lines.push(sub('Memory', formatBytes(Number(limits.memoryBytes))));
  if (limits.ioReadBytesPerSecond !== undefined)
    lines.push(sub('IO read', rate(limits.ioReadBytesPerSecond)));
  if (limits.ioWriteBytesPerSecond !== undefined)
    lines.push(sub('IO write', rate(limits.ioWriteBytesPerSecond)));
  if (limits.ioReadIops !== undefined) lines.push(sub('Read IOPS', `${limits.ioReadIops}/s`));
  if (limits.ioWriteIops !== undefined) lines.push(sub('Write IOPS', `${limits.ioWriteIops}/s`));
  if (limits.pids !== undefined) lines.push(sub('PIDs', String(limits.pids)));
  return lines.length > 0 ? ['Limits:', ...lines] : [];
}

export function usageLines(usage: ResourceUsage | undefined): string[] {
  if (usage === undefined) return [];
  const lines: string[] = [];
  if (usage.cpuTime !== undefined)
    lines.push(sub('CPU time', formatDurationWords(durationToMs(usage.cpuTime))));
  if (usage.peakMemoryBytes > 0n)
    lines.push(sub('Memory', `${formatBytes(Number(usage.peakMemoryBytes))} at peak`));
  if (usage.oomKilled) lines.push(sub('OOM', "a process was killed by the kernel's OOM killer"));
  return lines.length > 0 ? ['Usage:', ...lines] : [];
}

export function jobStatusText(job: Job, now: Date): string {
  const elapsed = elapsedMs(job.startedAt, job.finishedAt, now);
  const running = job.status === JobStatus.JOB_STATUS_RUNNING;
  const lines = [
    `Job ${job.id}: ${jobTypeName(job.type).display}`,
    'Arguments:',
    ...argumentLines(job.args),
    field('Status', jobStatusName(job.status).display),
    ...(job.startedAt ? [field('Started', formatLocalTime(job.startedAt))] : []),
    ...(job.finishedAt ? [field('Finished', formatLocalTime(job.finishedAt))] : []),
    ...(elapsed !== undefined
      ? [field('Duration', `${formatDurationWords(elapsed)}${running ? ' so far' : ''}`)]
      : []),
    ...(job.exitCode !== undefined ? [field('Exit code', String(job.exitCode))] : []),
    ...(job.signal !== '' ? [field('Signal', job.signal)] : []),
    ...(job.error !== '' ? [field('Error', job.error)] : []),
    field('Owner', job.owner),
    ...(job.network !== NetworkMode.NETWORK_MODE_UNSPECIFIED
      ? [field('Network', networkName(job.network).display)]
      : []),
    ...(job.runAsRoot ? [field('User', 'root (inside the sandbox)')] : []),
    ...limitLines(job.limits),
    ...usageLines(job.usage),
    field('Output', formatBytes(Number(job.outputBytes))),
  ];
  return `${lines.join('\n')}\n`;
}
