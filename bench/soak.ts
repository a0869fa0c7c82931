/**
 * Soak (issue 8, point 6): 10,000 short jobs one after another, then 10,000 more 200 at a time,
 * against the real server (subprocess, mutual TLS, the sandbox). Every `--sample-every` jobs it
 * records the server's open fds and RSS, the job cgroups and mounts that exist, the server's child
 * processes, and the store's size on disk; at the end it writes the curves (JSON, SVG and PNG) to
 * bench/soak/results/ and says whether each stayed bounded.
 *
 *   node --import tsx bench/soak.ts [--jobs 10000] [--concurrency 200] [--sample-every 100]
 *
 * Bounded means: fds, cgroups, mounts and child processes are back to (about) their level after the
 * warm-up once the jobs have ended, and RSS does not keep growing within a phase (the median of a
 * phase's last third is within 25% of its middle third's). Retention removes ended jobs after 30 s,
 * so the store's size levels off as SQLite reuses the pages of removed rows.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { JobType } from '../src/gen/workernator/v1/workernator.js';
import { detectCgroups } from '../src/sandbox/cgroups/detect.js';
import { openSandbox } from '../src/sandbox/index.js';
import { RpcClient } from '../test/server/helpers/rpc-client.js';
import { clientFor, makePki } from '../test/server/helpers/test-server.js';
import { writeSoakChart, type Sample, type SoakResults } from './soak/chart.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '200' },
    'sample-every': { type: 'string', default: '100' },
  },
});
const JOBS = Number(values.jobs);
const CONCURRENCY = Number(values.concurrency);
const SAMPLE_EVERY = Number(values['sample-every']);

const home = await mkdtemp(join(tmpdir(), 'workernator-soak-'));
const tlsDir = join(home, 'tls');
const dataDir = join(home, 'data');
const cgroupRootName = `workernator-soak-${process.pid}`;
await makePki(tlsDir);

const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    // The hardening tests' server: the real one, mutual TLS, the sandbox, a cgroup root of its own.
    join(ROOT, 'test/hardening/fixtures/sandboxed-server.ts'),
    JSON.stringify({
      dataDir,
      tlsDir,
      cgroupRootName,
      // 200 jobs (and Tails) of one identity at once: above the default caps of admission control.
      config: {
        maxRunningJobs: CONCURRENCY + 16,
        maxRunningJobsPerIdentity: CONCURRENCY + 16,
        maxTailsPerIdentity: CONCURRENCY + 16,
        // Ended jobs go after 30 s, as a production server would have them go eventually: the store
        // then reuses its pages and stays bounded too.
        retentionMaxAge: 30_000,
        // 20,000 jobs: the server's info lines would cost more than the jobs. "serving" still comes.
        logLevel: 'warn',
      },
    }),
  ],
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
);
const exited = once(child, 'exit');
const port = await new Promise<number>((resolve, reject) => {
  createInterface({ input: child.stdout }).on('line', (line) => {
    const entry = JSON.parse(line) as { msg?: string; port?: number };
    if (entry.msg === 'serving' && entry.port !== undefined) resolve(entry.port);
  });
  void exited.then(() => reject(new Error('the server exited before serving')));
});
const pid = child.pid!;
const client = new RpcClient(await clientFor(tlsDir, 'alice', port));

async function count(dir: string): Promise<number> {
  return (await readdir(dir).catch(() => [])).length;
}

async function jobCgroupCount(): Promise<number> {
  const layout = await detectCgroups();
  const root = layout.version === 2 ? layout.ownDir : (layout.unified ?? layout.hierarchies.freezer).ownDir;
  const entries = await readdir(join(root, cgroupRootName), { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).length;
}

async function du(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    // Retention may remove a file between the listing and the stat.
    total += entry.isDirectory()
      ? await du(path)
      : ((await stat(path).catch(() => undefined))?.blocks ?? 0) * 512;
  }
  return total;
}

/**
 * The server's descendants other than its shim spawner: the shims (children of the spawner) and
 * anything else. The spawner itself lives as long as the server and is not counted.
 */
async function childProcesses(): Promise<number> {
  const childrenOf = async (parent: string): Promise<string[]> => {
    const text = await readFile(`/proc/${parent}/task/${parent}/children`, 'utf8').catch(() => '');
    return text.trim() === '' ? [] : text.trim().split(/\s+/);
  };
  let count = 0;
  for (const child of await childrenOf(String(pid))) {
    const name = (await readFile(`/proc/${child}/comm`, 'utf8').catch(() => '')).trim();
    // comm is cut to 15 bytes: "workernator-spa".
    if (!'workernator-spawner'.startsWith(name) || name === '') count += 1;
    count += (await childrenOf(child)).length;
  }
  return count;
}

const samples: Sample[] = [];
const began = performance.now();
async function sample(phase: Sample['phase'], done: number): Promise<void> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  samples.push({
    phase,
    done,
    seconds: (performance.now() - began) / 1000,
    fds: await count(`/proc/${pid}/fd`),
    rssKiB: Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0),
    cgroups: await jobCgroupCount(),
    mounts: (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').length - 1,
    children: await childProcesses(),
    storeBytes: await du(dataDir),
  });
}

let failures = 0;
/** Jobs that completed but whose log lacks what they wrote (counted in failures too). */
let lostOutput = 0;
async function runOne(i: number): Promise<void> {
  try {
    const job = await client.start({
      type: JobType.JOB_TYPE_COMMAND,
      args: {
        kind: {
          $case: 'command',
          value: { executable: '/bin/echo', args: [`soak ${i}`], env: { PATH: '/usr/bin:/bin' } },
        },
      },
    });
    const output = (await client.tail({ id: job.id })).data.toString();
    if (output !== `soak ${i}\n`) {
      const end = await client.status(job.id);
      lostOutput += 1;
      throw new Error(
        `job ${job.id} wrote ${JSON.stringify(output)}; it is ${end.status} (${end.error}), exit ${end.exitCode} ${end.signal}, ${end.outputBytes} bytes recorded`,
      );
    }
  } catch (error) {
    failures += 1;
    if (failures <= 10) process.stderr.write(`job ${i} failed: ${(error as Error).message}\n`);
  }
}

try {
  await sample('sequential', 0);
  for (let i = 0; i < JOBS; i++) {
    await runOne(i);
    if ((i + 1) % SAMPLE_EVERY === 0) {
      await sample('sequential', i + 1);
      process.stderr.write(`\rsequential ${i + 1}/${JOBS}`);
    }
  }
  process.stderr.write('\n');
  let next = 0;
  let done = 0;
  let sampling = Promise.resolve();
  const worker = async () => {
    while (next < JOBS) {
      const i = next++;
      await runOne(JOBS + i);
      done += 1;
      if (done % SAMPLE_EVERY === 0) {
        const at = done;
        sampling = sampling.then(() => sample('concurrent', JOBS + at));
        process.stderr.write(`\rconcurrent ${done}/${JOBS}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await sampling;
  await sample('concurrent', 2 * JOBS);
  process.stderr.write('\n');
} finally {
  client.raw.close();
  child.kill('SIGTERM');
  await exited;
  const sandbox = await openSandbox({ dataDir: home, cgroupRootName });
  await sandbox.recover?.();
  await sandbox.close();
}

const results: SoakResults = { jobs: JOBS, concurrency: CONCURRENCY, failures, lostOutput, samples };
const verdicts = judge(results);
const outDir = join(ROOT, 'bench/soak/results');
await mkdir(outDir, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
await writeFile(join(outDir, `${stamp}.json`), `${JSON.stringify({ ...results, verdicts }, null, 2)}\n`);
const png = await writeSoakChart(results, join(outDir, `${stamp}`), join(outDir, 'latest'));
await rm(home, { recursive: true, force: true });

for (const verdict of verdicts) process.stdout.write(`${verdict.ok ? 'ok  ' : 'FAIL'} ${verdict.text}\n`);
process.stdout.write(`failed jobs: ${failures} (of which lost their output: ${lostOutput})\nchart: ${png}\n`);
process.exitCode = failures === 0 && verdicts.every((v) => v.ok) ? 0 : 1;

function judge({ samples: all }: SoakResults): { ok: boolean; text: string }[] {
  const warm = all.find((s) => s.done >= SAMPLE_EVERY) ?? all[0]!;
  const last = all.at(-1)!;
  const max = (key: keyof Sample) => Math.max(...all.map((s) => Number(s[key])));
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  /** Median RSS of the middle and of the last third of a phase: a leak keeps growing within one. */
  const thirds = (phase: Sample['phase']) => {
    const ofPhase = all.filter((s) => s.phase === phase).map((s) => s.rssKiB);
    const third = Math.floor(ofPhase.length / 3);
    return [median(ofPhase.slice(third, 2 * third)), median(ofPhase.slice(2 * third))] as const;
  };
  const [seqMid, seqEnd] = thirds('sequential');
  const [conMid, conEnd] = thirds('concurrent');
  const growth = (last.storeBytes - all[0]!.storeBytes) / (2 * JOBS);
  return [
    {
      ok: last.fds <= warm.fds + 5,
      text: `server fds: ${warm.fds} after warm-up, ${last.fds} at the end, ${max('fds')} at most`,
    },
    { ok: last.cgroups === 0, text: `job cgroups: ${last.cgroups} at the end, ${max('cgroups')} at most` },
    {
      ok: last.mounts <= warm.mounts,
      text: `mounts: ${warm.mounts} after warm-up, ${last.mounts} at the end`,
    },
    {
      ok: last.children === 0,
      text: `server child processes (shims and others, not the spawner): ${last.children} at the end, ${max('children')} at most`,
    },
    {
      ok: seqEnd <= seqMid * 1.25 && conEnd <= conMid * 1.25,
      text:
        `server RSS (median, middle -> last third of each phase): sequential ${seqMid} -> ${seqEnd} KiB, ` +
        `concurrent ${conMid} -> ${conEnd} KiB; ${max('rssKiB')} KiB at most`,
    },
    { ok: true, text: `store: ${last.storeBytes} bytes at the end, ${growth.toFixed(0)} bytes per job` },
  ];
}
