import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CGROUP2_SUPER_MAGIC,
  detectCgroups,
  parseMountInfo,
  parseProcCgroup,
  TMPFS_MAGIC,
} from '../../../src/sandbox/cgroups/detect.js';
import { SandboxUnavailableError } from '../../../src/sandbox/errors.js';

// This host's layout (hybrid: v1 controllers, memory nested, a controller-less cgroup2 tree).
const HYBRID_MOUNTINFO = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw
`;
const HYBRID_CGROUP = `9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
4:memory:/process_api/6d74
3:cpuset:/
1:cpu,cpuacct:/
0::/
`;

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'wn-detect-'));
});
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function fakeProc(name: string, mountinfo: string, cgroup: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'mountinfo'), mountinfo);
  writeFileSync(join(dir, 'cgroup'), cgroup);
  return dir;
}

const statfsOf = (type: number) => () => Promise.resolve({ type });

describe('parsers', () => {
  test('parseMountInfo handles optional fields and octal escapes', () => {
    const [a, b] = parseMountInfo(
      '41 31 0:38 / /sys/fs/cgroup/unified rw shared:9 master:2 - cgroup2 cgroup2 rw,nsdelegate\n' +
        '50 1 0:40 /sub /mnt/with\\040space rw - cgroup cgroup rw,cpu,cpuacct\n',
    );
    assert.deepEqual(a, {
      root: '/',
      mountPoint: '/sys/fs/cgroup/unified',
      fsType: 'cgroup2',
      source: 'cgroup2',
      superOptions: ['rw', 'nsdelegate'],
    });
    assert.equal(b?.mountPoint, '/mnt/with space');
    assert.equal(b?.root, '/sub');
  });

  test('parseProcCgroup', () => {
    assert.deepEqual(parseProcCgroup('1:cpu,cpuacct:/a\n0::/b/c\n9:name=systemd:/\n'), [
      { hierarchyId: 1, controllers: ['cpu', 'cpuacct'], path: '/a' },
      { hierarchyId: 0, controllers: [], path: '/b/c' },
      { hierarchyId: 9, controllers: ['name=systemd'], path: '/' },
    ]);
  });
});

describe('detectCgroups', () => {
  test('v1 / hybrid: each controller mount, comounted cpu,cpuacct, the own path, the unified tree', async () => {
    const layout = await detectCgroups({
      procSelfDir: fakeProc('hybrid', HYBRID_MOUNTINFO, HYBRID_CGROUP),
      statfs: statfsOf(TMPFS_MAGIC),
    });
    assert.equal(layout.version, 1);
    assert.ok(layout.version === 1);
    assert.equal(layout.hierarchies.memory.ownDir, '/sys/fs/cgroup/memory/process_api/6d74');
    assert.equal(layout.hierarchies.memory.ownPath, '/process_api/6d74');
    assert.equal(layout.hierarchies.cpu.ownDir, '/sys/fs/cgroup/cpu,cpuacct');
    assert.equal(layout.hierarchies.cpuacct.ownDir, '/sys/fs/cgroup/cpu,cpuacct');
    assert.deepEqual(layout.hierarchies.cpu.controllers, ['cpu', 'cpuacct']);
    assert.equal(layout.hierarchies.freezer.ownDir, '/sys/fs/cgroup/freezer');
    assert.deepEqual(layout.unified, {
      mountPoint: '/sys/fs/cgroup/unified',
      ownPath: '/',
      ownDir: '/sys/fs/cgroup/unified',
    });
  });

  test('v1: a missing controller is named', async () => {
    const mountinfo = HYBRID_MOUNTINFO.split('\n')
      .filter((l) => !l.includes('freezer') && !l.includes('blkio'))
      .join('\n');
    await assert.rejects(
      detectCgroups({
        procSelfDir: fakeProc('nofreezer', mountinfo, HYBRID_CGROUP),
        statfs: statfsOf(TMPFS_MAGIC),
      }),
      (err: unknown) => {
        assert.ok(err instanceof SandboxUnavailableError);
        assert.match(err.message, /controller\(s\) not mounted: blkio, freezer/);
        assert.equal(err.missing, 'controller:blkio,freezer');
        return true;
      },
    );
  });

  test('v1 in a container: the mount shows a subtree of the hierarchy', async () => {
    const mountinfo = HYBRID_MOUNTINFO.replace(
      ' / /sys/fs/cgroup/memory',
      ' /docker/abc /sys/fs/cgroup/memory',
    );
    const cgroup = HYBRID_CGROUP.replace('memory:/process_api/6d74', 'memory:/docker/abc/inner');
    const layout = await detectCgroups({
      procSelfDir: fakeProc('container', mountinfo, cgroup),
      statfs: statfsOf(TMPFS_MAGIC),
    });
    assert.ok(layout.version === 1);
    assert.equal(layout.hierarchies.memory.ownDir, '/sys/fs/cgroup/memory/inner');

    const outside = HYBRID_CGROUP.replace('memory:/process_api/6d74', 'memory:/elsewhere');
    await assert.rejects(
      detectCgroups({ procSelfDir: fakeProc('outside', mountinfo, outside), statfs: statfsOf(TMPFS_MAGIC) }),
      /memory cgroup \/elsewhere is not visible under \/sys\/fs\/cgroup\/memory/,
    );
  });

  test('v2: the own cgroup and its available controllers, from a fake tree', async () => {
    const mount = join(tmp, 'v2');
    mkdirSync(join(mount, 'srv', 'app'), { recursive: true });
    writeFileSync(join(mount, 'srv', 'app', 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
    const proc = fakeProc(
      'v2proc',
      `30 23 0:26 / ${mount} rw - cgroup2 cgroup2 rw,nsdelegate\n`,
      '0::/srv/app\n',
    );
    const layout = await detectCgroups({
      procSelfDir: proc,
      cgroupMount: mount,
      statfs: statfsOf(CGROUP2_SUPER_MAGIC),
    });
    assert.deepEqual(layout, {
      version: 2,
      mountPoint: mount,
      ownPath: '/srv/app',
      ownDir: join(mount, 'srv', 'app'),
      controllers: ['cpuset', 'cpu', 'io', 'memory', 'pids'],
    });

    writeFileSync(join(mount, 'srv', 'app', 'cgroup.controllers'), 'cpu memory\n');
    await assert.rejects(
      detectCgroups({ procSelfDir: proc, cgroupMount: mount, statfs: statfsOf(CGROUP2_SUPER_MAGIC) }),
      /controller\(s\) io, pids not available to the server's cgroup .*Delegate=yes/,
    );
  });

  test('no cgroup filesystem', async () => {
    const proc = fakeProc('none', '', '');
    await assert.rejects(
      detectCgroups({ procSelfDir: proc, cgroupMount: join(tmp, 'missing') }),
      /no cgroup filesystem: cannot stat .*missing: ENOENT/,
    );
    await assert.rejects(
      detectCgroups({ procSelfDir: proc, cgroupMount: tmp, statfs: statfsOf(0xef53) }),
      /no cgroup filesystem at .* \(filesystem type 0xef53\)/,
    );
    await assert.rejects(
      detectCgroups({ procSelfDir: proc, statfs: statfsOf(TMPFS_MAGIC) }),
      /no cgroup v1 hierarchy is mounted/,
    );
  });

  test('this host', async () => {
    const layout = await detectCgroups();
    if (layout.version === 2) {
      assert.ok(existsSync(layout.ownDir));
      return;
    }
    const own = parseProcCgroup(readFileSync('/proc/self/cgroup', 'utf8'));
    for (const [controller, h] of Object.entries(layout.hierarchies)) {
      assert.ok(existsSync(h.ownDir), h.ownDir);
      assert.equal(h.ownPath, own.find((e) => e.controllers.includes(controller))?.path);
    }
  });
});
