/**
 * A Job as plain JSON for `-o json`. The shape is stable and documented in docs/cli.md: every key
 * is always present (null when the server did not set it), enums are the core library's lower-case
 * names, times are ISO-8601 in UTC, and 64-bit counts are numbers when they fit a double exactly
 * and decimal strings when they do not (never above 2^53 in practice, but a script must not get a
 * silently rounded number).
 */
import type { Arguments, Job, ResourceLimits, ResourceUsage } from '../../gen/workernator/v1/workernator.js';
import { jobStatusName, jobTypeName, networkName } from './names.js';
import { durationToMs } from './time.js';

export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

export function bigintToJson(value: bigint | undefined): number | string | null {
  if (value === undefined) return null;
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}

const iso = (time: Date | undefined): string | null => (time === undefined ? null : time.toISOString());
const orNull = <T extends Json>(value: T | undefined | ''): T | null =>
  value === undefined || value === '' ? null : value;

export function argumentsToJson(args: Arguments | undefined): Json {
  const kind = args?.kind;
  switch (kind?.$case) {
    case undefined:
    case 'noop':
      return {};
    case 'fibonacci':
      return { position: kind.value.position };
    case 'expressionEvaluator':
      return { expression: kind.value.expression, variables: { ...kind.value.variables } };
    case 'waitThenSend':
      return { url: kind.value.url, waitSeconds: kind.value.waitSeconds };
    case 'command':
      return {
        executable: kind.value.executable,
        args: [...kind.value.args],
        env: { ...kind.value.env },
        workingDir: orNull(kind.value.workingDir),
      };
  }
}

export function limitsToJson(limits: ResourceLimits | undefined): Json {
  return {
    cpuMillicores: limits?.cpuMillicores ?? null,
    memoryBytes: bigintToJson(limits?.memoryBytes),
    ioReadBytesPerSecond: bigintToJson(limits?.ioReadBytesPerSecond),
    ioWriteBytesPerSecond: bigintToJson(limits?.ioWriteBytesPerSecond),
    ioReadIops: bigintToJson(limits?.ioReadIops),
    ioWriteIops: bigintToJson(limits?.ioWriteIops),
    pids: limits?.pids ?? null,
  };
}

export function usageToJson(usage: ResourceUsage | undefined): Json {
  if (usage === undefined) return null;
  return {
    cpuTimeMs: usage.cpuTime === undefined ? null : durationToMs(usage.cpuTime),
    peakMemoryBytes: bigintToJson(usage.peakMemoryBytes),
    oomKilled: usage.oomKilled,
  };
}

export function jobToJson(job: Job): Json {
  return {
    id: job.id,
    type: jobTypeName(job.type).json,
    status: jobStatusName(job.status).json,
    owner: job.owner,
    args: argumentsToJson(job.args),
    createdAt: iso(job.createdAt),
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
    exitCode: job.exitCode ?? null,
    signal: orNull(job.signal),
    error: orNull(job.error),
    limits: limitsToJson(job.limits),
    usage: usageToJson(job.usage),
    network: networkName(job.network).json,
    runAsRoot: job.runAsRoot,
    outputBytes: bigintToJson(job.outputBytes),
  };
}

/** Two-space indented with a final newline: readable, and `jq` takes it as it is. */
export function stringifyJson(value: Json): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
