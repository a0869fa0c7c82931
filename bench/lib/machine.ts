/** What the figures came from: the machine, the kernel, the load while the bench ran. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

export interface Machine {
  readonly cpuModel: string;
  readonly cpus: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly os: string;
  readonly virtualization: string;
  readonly node: string;
  readonly cgroups: string;
}

function detectVirt(): string {
  try {
    return execFileSync('systemd-detect-virt', { encoding: 'utf8' }).trim();
  } catch {
    const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    return /^flags\s*:.*\bhypervisor\b/m.test(cpuinfo) ? 'a VM (hypervisor flag set)' : 'bare metal?';
  }
}

export function describeMachine(): Machine {
  const release = readFileSync('/etc/os-release', 'utf8');
  const mounts = readFileSync('/proc/self/mounts', 'utf8');
  const v1 = / cgroup rw/.test(mounts) || /\scgroup\s/.test(mounts);
  const v2 = /\scgroup2\s/.test(mounts);
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    os: /^PRETTY_NAME="?([^"\n]*)/m.exec(release)?.[1] ?? 'unknown',
    virtualization: detectVirt(),
    node: process.version,
    cgroups: v1 && v2 ? 'hybrid (v1 controllers + cgroup2)' : v2 ? 'v2' : 'v1',
  };
}

/** The 1-minute load average, sampled through the run. */
export class LoadSampler {
  readonly #samples: number[] = [];
  readonly #timer: NodeJS.Timeout;

  constructor(intervalMs = 5000) {
    this.#samples.push(loadavg()[0] ?? 0);
    this.#timer = setInterval(() => this.#samples.push(loadavg()[0] ?? 0), intervalMs).unref();
  }

  stop(): { readonly min: number; readonly max: number; readonly mean: number; readonly atStart: number } {
    clearInterval(this.#timer);
    this.#samples.push(loadavg()[0] ?? 0);
    const s = this.#samples;
    return {
      atStart: s[0] ?? 0,
      min: Math.min(...s),
      max: Math.max(...s),
      mean: Math.round((s.reduce((a, b) => a + b, 0) / s.length) * 100) / 100,
    };
  }
}

/** Other processes using the CPU at the start of the run (to tell who shared the machine). */
export function busyNeighbours(): string[] {
  try {
    return execFileSync('ps', ['-eo', 'pcpu,comm', '--sort=-pcpu', '--no-headers'], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && Number(line.split(/\s+/)[0]) >= 5)
      .slice(0, 5);
  } catch {
    return [];
  }
}
