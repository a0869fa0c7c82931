/**
 * What a job used, from its cgroup files. Parsing is pure; a file that does not exist (memory.peak
 * before Linux 5.19, oom_kill in memory.oom_control before 4.13) leaves its field unset.
 */
import { join } from 'node:path';
import type { ResourceUsage } from '../../core/types.js';
import { type CgroupFs, parseFlatKeyed, readOptionalCgroupFile } from './cgroupfs.js';

function toCount(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text.trim());
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function build(cpuTimeMicros?: number, peakMemoryBytes?: number, oomKills?: number): ResourceUsage {
  return {
    ...(cpuTimeMicros === undefined ? {} : { cpuTimeMicros }),
    ...(peakMemoryBytes === undefined ? {} : { peakMemoryBytes }),
    ...(oomKills === undefined ? {} : { oomKilled: oomKills > 0 }),
  };
}

export interface V2UsageFiles {
  readonly cpuStat?: string;
  readonly memoryPeak?: string;
  readonly memoryEvents?: string;
}

/** cpu.stat usage_usec, memory.peak, memory.events oom_kill. */
export function parseV2Usage(files: V2UsageFiles): ResourceUsage {
  const cpu =
    files.cpuStat === undefined ? undefined : toCount(parseFlatKeyed(files.cpuStat).get('usage_usec'));
  const oom =
    files.memoryEvents === undefined
      ? undefined
      : toCount(parseFlatKeyed(files.memoryEvents).get('oom_kill'));
  return build(cpu, toCount(files.memoryPeak), oom);
}

export interface V1UsageFiles {
  /** cpuacct.usage, in nanoseconds. */
  readonly cpuacctUsage?: string;
  readonly memoryMaxUsage?: string;
  readonly memoryOomControl?: string;
}

/** cpuacct.usage (ns), memory.max_usage_in_bytes, memory.oom_control oom_kill. */
export function parseV1Usage(files: V1UsageFiles): ResourceUsage {
  const ns = toCount(files.cpuacctUsage);
  const oom =
    files.memoryOomControl === undefined
      ? undefined
      : toCount(parseFlatKeyed(files.memoryOomControl).get('oom_kill'));
  return build(ns === undefined ? undefined : Math.floor(ns / 1000), toCount(files.memoryMaxUsage), oom);
}

export async function readV2Usage(fs: CgroupFs, dir: string): Promise<ResourceUsage> {
  const [cpuStat, memoryPeak, memoryEvents] = await Promise.all(
    ['cpu.stat', 'memory.peak', 'memory.events'].map((f) => readOptionalCgroupFile(fs, join(dir, f))),
  );
  return parseV2Usage({ cpuStat, memoryPeak, memoryEvents });
}

export async function readV1Usage(
  fs: CgroupFs,
  cpuacctDir: string,
  memoryDir: string,
): Promise<ResourceUsage> {
  const [cpuacctUsage, memoryMaxUsage, memoryOomControl] = await Promise.all([
    readOptionalCgroupFile(fs, join(cpuacctDir, 'cpuacct.usage')),
    readOptionalCgroupFile(fs, join(memoryDir, 'memory.max_usage_in_bytes')),
    readOptionalCgroupFile(fs, join(memoryDir, 'memory.oom_control')),
  ]);
  return parseV1Usage({ cpuacctUsage, memoryMaxUsage, memoryOomControl });
}
