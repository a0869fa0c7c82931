import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  blockDeviceOfPath,
  parseBlockDevice,
  splitDev,
  wholeDisk,
} from '../../../src/sandbox/cgroups/block-device.js';
import { SandboxUnavailableError } from '../../../src/sandbox/errors.js';

let tmp: string;
let sysDir: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'wn-blk-'));
  // A fake /sys: disk sda (8:0) with partition sda1 (8:1), as sysfs lays them out.
  sysDir = join(tmp, 'sys');
  const sda = join(sysDir, 'devices', 'pci0', 'block', 'sda');
  mkdirSync(join(sda, 'sda1'), { recursive: true });
  writeFileSync(join(sda, 'dev'), '8:0\n');
  writeFileSync(join(sda, 'sda1', 'dev'), '8:1\n');
  writeFileSync(join(sda, 'sda1', 'partition'), '1\n');
  mkdirSync(join(sysDir, 'dev', 'block'), { recursive: true });
  symlinkSync('../../devices/pci0/block/sda', join(sysDir, 'dev', 'block', '8:0'));
  symlinkSync('../../devices/pci0/block/sda/sda1', join(sysDir, 'dev', 'block', '8:1'));
});
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('block devices', () => {
  test('splitDev decodes glibc dev_t encoding', () => {
    assert.deepEqual(splitDev(65024n), { major: 254, minor: 0 });
    assert.deepEqual(splitDev((259n << 8n) | 5n), { major: 259, minor: 5 });
    // Large minor numbers use the high bits.
    assert.deepEqual(splitDev((0x12345n & 0xffn) | ((0x12345n & ~0xffn) << 12n) | (8n << 8n)), {
      major: 8,
      minor: 0x12345,
    });
  });

  test('a partition resolves to its whole disk; a disk to itself; an unknown device to nothing', async () => {
    assert.deepEqual(await wholeDisk(8, 1, { sysDir }), { major: 8, minor: 0, name: 'sda' });
    assert.deepEqual(await wholeDisk(8, 0, { sysDir }), { major: 8, minor: 0, name: 'sda' });
    assert.equal(await wholeDisk(9, 9, { sysDir }), undefined);
  });

  test('parseBlockDevice: MAJ:MIN and errors', async () => {
    assert.deepEqual(await parseBlockDevice('8:1', { sysDir }), { major: 8, minor: 0, name: 'sda' });
    await assert.rejects(parseBlockDevice('9:9', { sysDir }), /no block device 9:9/);
    await assert.rejects(parseBlockDevice('vda'), /expected MAJ:MIN .* or a device path/);
    await assert.rejects(parseBlockDevice('/dev/null'), /\/dev\/null is not a block device/);
    await assert.rejects(parseBlockDevice('/dev/nope'), /\/dev\/nope: ENOENT/);
  });

  test(
    'parseBlockDevice: a device node of this host',
    { skip: !existsSync('/dev/vda') && 'no /dev/vda' },
    async () => {
      const disk = await parseBlockDevice('/dev/vda');
      assert.equal(disk.name, 'vda');
      assert.equal(`${disk.major}:${disk.minor}`, readFileSync('/sys/block/vda/dev', 'utf8').trim());
    },
  );

  test('the disk that holds the temp directory (on this host: a block device)', async (t) => {
    let disk;
    try {
      disk = await blockDeviceOfPath(tmp);
    } catch (err) {
      if (!(err instanceof SandboxUnavailableError)) throw err;
      t.skip(`temp dir is not on a block device: ${err.message}`);
      return;
    }
    const sys = readFileSync(`/sys/dev/block/${disk.major}:${disk.minor}/dev`, 'utf8').trim();
    assert.equal(sys, `${disk.major}:${disk.minor}`);
    assert.equal(existsSync(`/sys/dev/block/${disk.major}:${disk.minor}/partition`), false);
  });

  test('a path on tmpfs or proc gets a clear error', async () => {
    await assert.rejects(blockDeviceOfPath('/proc/self'), (err: unknown) => {
      assert.ok(err instanceof SandboxUnavailableError);
      assert.equal(err.message, 'io limits need the data directory on a block device; /proc/self is on proc');
      return true;
    });
    if (existsSync('/dev/shm')) {
      await assert.rejects(blockDeviceOfPath('/dev/shm'), /\/dev\/shm is on tmpfs$/);
    }
  });
});
