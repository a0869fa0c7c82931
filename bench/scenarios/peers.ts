/**
 * Floors and peers for start latency, each measured as Node's child_process.spawn -> 'exit' of a
 * process that runs /bin/true: directly; through util-linux unshare with the 5 namespaces; through
 * bubblewrap; through crun with a minimal bundle; and through our own shim spawned directly (no
 * server, no cgroups). bubblewrap and crun are installed from Debian with apt-get when missing.
 */
import { execFileSync, spawn, type StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { counter, step } from '../lib/progress.js';
import { roundSummary, summarize, type Summary } from '../lib/stats.js';

export interface PeerResult {
  readonly name: string;
  readonly command: string;
  /** Absent when the peer cannot run here; `note` says why. */
  readonly latencyMs?: Summary;
  readonly samples?: number[];
  readonly note?: string;
}

const UNSHARE = ['--pid', '--fork', '--mount-proc', '--net', '--mount', '--uts', '--ipc', '/bin/true'];
const BWRAP = ['--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', '/bin/true'];

/** apt-get installs what is missing; returns a note when it cannot. */
export function ensureDebianPackages(packages: Record<string, string>): string[] {
  const missing = Object.entries(packages).filter(([binary]) => !existsSync(binary));
  if (missing.length === 0) return [];
  const names = missing.map(([, pkg]) => pkg);
  step(`installing ${names.join(', ')} with apt-get`);
  try {
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...names], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    return [];
  } catch {
    try {
      execFileSync('apt-get', ['update'], { stdio: 'ignore' });
      execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...names], {
        stdio: 'ignore',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
      return [];
    } catch (error) {
      return [`apt-get install ${names.join(' ')} failed: ${(error as Error).message.split('\n')[0]}`];
    }
  }
}

/** Runs `command` once; resolves with the ms from spawn() to 'exit', rejects on a non-zero exit. */
async function timeOnce(
  command: string,
  args: readonly string[],
  stdio: StdioOptions = 'ignore',
): Promise<number> {
  const t0 = performance.now();
  const child = spawn(command, args, { stdio });
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`${command} exited with ${code ?? signal}`);
  return ms;
}

async function measure(
  name: string,
  command: string,
  args: readonly string[],
  runs: number,
  stdio: StdioOptions = 'ignore',
): Promise<PeerResult> {
  const shown = [command, ...args].join(' ');
  try {
    await timeOnce(command, args, stdio);
  } catch (error) {
    step(`  ${name}: cannot run here: ${(error as Error).message}`);
    return { name, command: shown, note: `cannot run here: ${(error as Error).message}` };
  }
  const samples: number[] = [];
  const progress = counter(name, runs);
  for (let i = 0; i < runs + 10; i++) {
    const ms = await timeOnce(command, args, stdio);
    if (i >= 10) {
      samples.push(ms);
      progress.tick();
    }
  }
  const latencyMs = roundSummary(summarize(samples));
  progress.done(`p50 ${latencyMs.p50} ms`);
  return { name, command: shown, latencyMs, samples };
}

/** A minimal OCI bundle: the host's / read-only as rootfs, /bin/true, the 5 namespaces. */
async function crunBundle(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'workernator-bench-crun-'));
  const config = {
    ociVersion: '1.0.0',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['/bin/true'],
      env: ['PATH=/usr/bin:/bin'],
      cwd: '/',
    },
    root: { path: '/', readonly: true },
    hostname: 'bench',
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    linux: {
      namespaces: ['pid', 'network', 'ipc', 'uts', 'mount'].map((type) => ({ type })),
    },
  };
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

export async function runPeers(
  runs: number,
  shimPath: string,
): Promise<{ peers: PeerResult[]; notes: string[] }> {
  const notes = ensureDebianPackages({ '/usr/bin/bwrap': 'bubblewrap', '/usr/bin/crun': 'crun' });
  const peers: PeerResult[] = [];
  peers.push(await measure('node spawn /bin/true', '/bin/true', [], runs));
  peers.push(await measure('node spawn unshare (5 ns)', 'unshare', UNSHARE, runs));
  peers.push(await measure('bubblewrap', 'bwrap', BWRAP, runs));
  const bundle = await crunBundle();
  try {
    let n = 0;
    const crun = await measureCrun(bundle, runs, () => `bench-${process.pid}-${n++}`);
    peers.push(crun);
  } finally {
    await rm(bundle, { recursive: true, force: true });
  }
  // Our shim alone, as the launcher spawns it (fd 3 the status pipe), without a server or cgroups.
  peers.push(
    await measure(
      'node spawn workernator-shim (no cgroups)',
      shimPath,
      ['--job-id', 'bench', '--', '/bin/true'],
      runs,
      ['ignore', 'ignore', 'ignore', 'pipe'],
    ),
  );
  return { peers, notes };
}

async function measureCrun(bundle: string, runs: number, nextId: () => string): Promise<PeerResult> {
  const shown = `crun run --bundle <minimal bundle> ID`;
  const args = () => ['run', '--bundle', bundle, nextId()];
  const child = spawn('crun', args(), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) {
    const why = stderr.trim() || `exit ${code}`;
    step(`  crun: cannot run here: ${why}`);
    return { name: 'crun', command: shown, note: `cannot run here: crun says "${why}"` };
  }
  const samples: number[] = [];
  const progress = counter('crun', runs);
  for (let i = 0; i < runs; i++) {
    samples.push(await timeOnce('crun', args()));
    progress.tick();
  }
  const latencyMs = roundSummary(summarize(samples));
  progress.done(`p50 ${latencyMs.p50} ms`);
  return { name: 'crun', command: shown, latencyMs, samples };
}
