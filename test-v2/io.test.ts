/**
 * io.max on a real block device: the guest's scratch virtio disk (/dev/vda, ext4, mounted at
 * $WORKERNATOR_VM_SCRATCH). The data directory lives on it, so the sandbox throttles that disk.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Harness, openHarness, scaled, skipReason } from './helpers.js';

const marker = `workernator-v2-io-${process.pid}`;
const scratch = process.env.WORKERNATOR_VM_SCRATCH;
const MiB = 1024 * 1024;

describe(
  'io.max on cgroup v2',
  {
    skip: skipReason() ?? (scratch === undefined ? 'no scratch disk (WORKERNATOR_VM_SCRATCH)' : undefined),
    timeout: scaled(90_000),
  },
  () => {
    let h: Harness;
    let out: string;
    before(async () => {
      h = await openHarness('wn-v2-io', { marker, dataParent: scratch });
      // On the same disk, outside the data directory (0700): the job runs as nobody.
      out = join(scratch ?? '', `writes-${process.pid}`);
      await mkdir(out);
      await chmod(out, 0o1777);
    });
    after(async () => {
      await h?.close();
      await rm(out, { recursive: true, force: true });
    });

    /** Seconds a job takes to write 8 MiB with O_DIRECT (no page cache: the throttle sees each write). */
    const timedWrite = async (limits: { ioWriteBytesPerSecond?: number }): Promise<number> => {
      const file = join(out, `f-${Date.now()}`);
      const job = await h.run(
        `s=$(date +%s%N); dd if=/dev/zero of=${file} bs=1M count=8 oflag=direct status=none || exit 9; ` +
          `e=$(date +%s%N); echo $(( (e - s) / 1000000 ))`,
        limits,
      );
      const { job: ended, output } = await h.outcome(job);
      assert.equal(ended.status, 'complete', output);
      return Number(output.trim()) / 1000;
    };

    it('throttles the disk that holds the data directory (/dev/vda)', async () => {
      const [major, minor] = (await readFile('/sys/block/vda/dev', 'utf8')).trim().split(':').map(Number);
      assert.deepEqual(h.sandbox.ioDevice, { major, minor, name: 'vda' });
    });

    it('holds 8 MiB of direct writes to about 2 MiB/s (wbps), and not without the limit', async (t) => {
      const free = await timedWrite({});
      const throttled = await timedWrite({ ioWriteBytesPerSecond: 2 * MiB });
      t.diagnostic(`8 MiB O_DIRECT: ${free} s unthrottled, ${throttled} s at wbps=2 MiB/s`);
      // 8 MiB at 2 MiB/s is 4 s; blk-throttle lets the first slice through, so allow down to 3 s.
      assert.ok(throttled >= 3, `8 MiB at wbps=2 MiB/s took ${throttled} s (unthrottled: ${free} s)`);
      assert.ok(free < throttled / 2, `unthrottled ${free} s, throttled ${throttled} s`);
    });
  },
);
