/**
 * The limits, enforced and reported by a real cgroup v2 kernel: memory.max (OOM read from
 * memory.events), cpu.max (measured from cpu.stat), pids.max (a fork bomb). The assertions are
 * those of test/sandbox/sandbox-launcher.test.ts on the host (v1), except where noted.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Harness, jobCgroups, openHarness, processesWith, scaled, skipReason } from './helpers.js';

const marker = `workernator-v2-limits-${process.pid}`;

describe('limits on cgroup v2', { skip: skipReason(), timeout: scaled(120_000) }, () => {
  let h: Harness;
  before(async () => {
    h = await openHarness('wn-v2-limits', { marker });
  });
  after(() => h?.close());

  it('OOM-kills a job over its memory limit and says so (memory.events oom_kill)', async () => {
    const job = await h.manager.start({
      owner: 'tester',
      args: {
        type: 'command',
        executable: '/usr/bin/python3',
        args: ['-c', 'b = b"x" * (256 << 20); print("survived")'],
        env: { PATH: '/usr/bin:/bin' },
      },
      limits: { memoryBytes: 64 * 1024 * 1024 },
    });
    const { job: ended, output } = await h.outcome(job);
    assert.equal(ended.status, 'failed', output);
    assert.equal(ended.signal, 'SIGKILL');
    assert.equal(ended.usage?.oomKilled, true);
    assert.equal(ended.error, 'killed: out of memory (limit 64 MiB)');
    // memory.peak (Linux 5.19+; Debian's 6.1 has it): the job reached its limit, not beyond.
    assert.ok((ended.usage?.peakMemoryBytes ?? 0) <= 64 * 1024 * 1024, String(ended.usage?.peakMemoryBytes));
    assert.ok((ended.usage?.peakMemoryBytes ?? 0) > 32 * 1024 * 1024, String(ended.usage?.peakMemoryBytes));
  });

  it('holds a busy loop to its CPU quota (cpu.max 250 millicores)', async (t) => {
    // 6 s rather than the host's 4: the sandbox's start and release take longer under emulation and
    // count as wall time without CPU; sleeps and timers run at real speed in the guest.
    const job = await h.run('exec timeout 6 sh -c "while :; do :; done"', { cpuMillicores: 250 });
    const ended = await h.manager.wait(job.id);
    const wallSeconds = ((ended.finishedAt ?? 0) - (ended.startedAt ?? 0)) / 1000;
    const cpuSeconds = (ended.usage?.cpuTimeMicros ?? 0) / 1e6;
    const share = cpuSeconds / wallSeconds;
    t.diagnostic(
      `cpu.max 25%: ${cpuSeconds.toFixed(2)} s of CPU in ${wallSeconds.toFixed(2)} s: ${share.toFixed(3)}`,
    );
    assert.ok(
      Math.abs(share - 0.25) <= 0.05,
      `used ${cpuSeconds.toFixed(2)} s of CPU in ${wallSeconds.toFixed(2)} s: ${share.toFixed(3)}`,
    );
  });

  it('contains a fork bomb under its pids limit (pids.max, pids.events)', async () => {
    // `exec sleep` rather than the host test's `wait`: bomb() puts itself in the background, so
    // `wait` returns at once and the job (its shell) could end before the bomb reaches the limit.
    const job = await h.run('echo start; bomb() { bomb | bomb & }; bomb; exec sleep 1000', { pids: 64 });
    const dir = join(h.sandbox.cgroupRootDirs[0] ?? '', job.id);
    assert.deepEqual(await jobCgroups(h.sandbox), [dir]);
    assert.equal((await readFile(join(dir, 'pids.max'), 'utf8')).trim(), '64');
    // The kernel counts every fork the limit refused ("max N" in pids.events): wait for some.
    for await (const chunk of h.manager.tail(job.id)) {
      void chunk;
      const events = await readFile(join(dir, 'pids.events'), 'utf8').catch(() => 'max 0');
      if (!events.includes('max 0')) break;
    }
    const current = Number(await readFile(join(dir, 'pids.current'), 'utf8'));
    assert.ok(current <= 64, `pids.current ${current}`);
    const stopped = await h.manager.stop(job.id, { graceMs: 0 });
    assert.equal(stopped.status, 'stopped');
    assert.deepEqual(await processesWith(marker), []);
    assert.deepEqual(await jobCgroups(h.sandbox), []);
  });
});
