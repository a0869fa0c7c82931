/**
 * The C shim, driven directly through its CLI and fd-3 protocol (native/README.md): real namespaces,
 * real cgroups, as root on this host. Every test cleans up what it made, on every path.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it, type TestContext } from 'node:test';
import { hostPidsWithCmdline, JOB_ENV, NATIVE_DIR, runShim, SHIM_PATH, ShimRun } from './run-shim.js';

const NOBODY = 65534;
const CGROUP2_SUPER_MAGIC = 0x63677270;

let markerCount = 0;
/** A string no other process on the host has in its command line; also a valid `sleep` argument. */
function uniqueMarker(): string {
  return `9999.${process.pid}${++markerCount}`;
}

/** A fresh root-owned directory with the given mode, removed when the test ends. */
function tempDir(t: TestContext, mode = 0o700): string {
  // Not under /tmp: jobs get a private /tmp and would not see it.
  const dir = mkdtempSync('/var/tmp/wn-shim-test-');
  chmodSync(dir, mode);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The test process's own cgroup path in the hierarchy of `controller` (v1) or the unified one (''). */
function ownCgroup(controller: string): string {
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')) {
    const [, controllers, path] = line.split(':');
    if (controllers !== undefined && controllers.split(',').includes(controller)) return path ?? '/';
    if (controller === '' && controllers === '') return path ?? '/';
  }
  throw new Error(`no ${controller || 'unified'} line in /proc/self/cgroup`);
}

/** A child cgroup of our own, removed when the test ends (by then the shim has exited: it is empty). */
function tempCgroup(t: TestContext, mount: string, ownPath: string): { dir: string; path: string } {
  const path = join(ownPath, `workernator-shimtest-${process.pid}`);
  const dir = join(mount, path);
  mkdirSync(dir);
  t.after(() => rmdirSync(dir));
  return { dir, path };
}

/** Shims still running when a test ends (a failed assertion) are killed, so nothing outlives it. */
const running = new Set<ShimRun>();
function startShim(args: readonly string[], env?: Readonly<Record<string, string>>): ShimRun {
  const run = new ShimRun(args, env);
  running.add(run);
  void run.done.finally(() => running.delete(run));
  return run;
}

before(() => {
  execFileSync('make', ['-s', '-C', NATIVE_DIR], { stdio: 'inherit' });
  assert.ok(existsSync(SHIM_PATH), `the shim was not built at ${SHIM_PATH}`);
  assert.equal(process.getuid?.(), 0, 'the shim tests must run as root');
});

afterEach(async () => {
  const left = [...running];
  for (const run of left) run.kill('SIGKILL');
  await Promise.all(left.map((run) => run.done.catch(() => undefined)));
});

after(() => assert.equal(running.size, 0));

describe('running a job', () => {
  it('runs the executable, passes its output and reports running then exit 0', async () => {
    const result = await runShim(['--job-id', 'ECHO01', '--', '/bin/echo', 'hi']);
    assert.equal(result.stdout, 'hi\n');
    assert.equal(result.stderr, '');
    assert.equal(result.statusLines.length, 2);
    assert.match(result.statusLines[0]!, /^running \d+$/);
    assert.equal(result.statusLines[1], 'exit 0');
    assert.equal(result.exitCode, 0);
  });

  it('passes the exit code through', async () => {
    const result = await runShim(['--job-id', 'EXIT07', '--', 'sh', '-c', 'exit 7']);
    assert.equal(result.statusLines.at(-1), 'exit 7');
    assert.equal(result.exitCode, 0);
  });

  it('reports a death by signal', async () => {
    const result = await runShim(['--job-id', 'KILL09', '--', 'sh', '-c', 'kill -9 $$']);
    assert.match(result.statusLines[0]!, /^running \d+$/);
    assert.equal(result.statusLines[1], 'signal 9');
  });

  it('merges stderr into stdout, and stdin is what the shim got', async () => {
    const result = await runShim([
      '--job-id',
      'STDIO1',
      '--',
      'sh',
      '-c',
      'echo out; echo err >&2; readlink /proc/self/fd/0',
    ]);
    assert.equal(result.stdout, 'out\nerr\n/dev/null\n');
    assert.equal(result.stderr, '');
  });

  it("gives the job exactly the shim's environment", async () => {
    const env = { PATH: '/usr/bin:/bin', WN_TEST: 'a b=c', EMPTY: '' };
    const result = await runShim(['--job-id', 'ENV001', '--', 'env'], env);
    assert.deepEqual(result.stdout.trim().split('\n').sort(), [
      'EMPTY=',
      'PATH=/usr/bin:/bin',
      'WN_TEST=a b=c',
    ]);
  });

  it("does not let the job's LD_PRELOAD into the root shim (it is static)", async () => {
    const result = await runShim(['--job-id', 'PRELD1', '--', '/bin/echo', 'hi'], {
      ...JOB_ENV,
      LD_PRELOAD: '/nonexistent/workernator-preload.so',
    });
    // The job's own loader complains (so the variable did reach it); the shim's stderr stays empty.
    assert.match(result.stdout, /workernator-preload\.so/);
    assert.match(result.stdout, /^hi$/m);
    assert.equal(result.stderr, '');
  });

  it('leaves the job only fds 0, 1 and 2 (3 is the one ls opens)', async () => {
    const result = await runShim(['--job-id', 'FDS001', '--', 'ls', '/proc/self/fd']);
    assert.deepEqual(result.stdout.trim().split('\n'), ['0', '1', '2', '3']);
  });
});

describe('what the job sees', () => {
  it('sees only the processes of its own PID namespace', async () => {
    const result = await runShim(['--job-id', 'PIDNS1', '--', 'ls', '/proc']);
    const pids = result.stdout.split('\n').filter((name) => /^\d+$/.test(name));
    assert.deepEqual(pids, ['1', '2']);
  });

  it('has only lo, and it is up', async () => {
    const result = await runShim([
      '--job-id',
      'NETNS1',
      '--',
      'sh',
      '-c',
      'cat /proc/net/dev; echo ---; /usr/sbin/ip -o link',
    ]);
    const [dev, links] = result.stdout.split('---\n');
    assert.deepEqual(interfaces(dev!), ['lo']);
    const lines = links!.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^1: lo: <[^>]*\bUP\b[^>]*>/);
  });

  it('shares the host network with --net host', async () => {
    const result = await runShim(['--job-id', 'NETHST', '--net', 'host', '--', 'cat', '/proc/net/dev']);
    assert.deepEqual(interfaces(result.stdout), interfaces(readFileSync('/proc/net/dev', 'utf8')));
  });

  it('has its own PID, mount, network, UTS and IPC namespaces', async () => {
    const kinds = ['pid', 'mnt', 'net', 'uts', 'ipc'];
    const script = kinds.map((kind) => `readlink /proc/self/ns/${kind}`).join('; ');
    const isolated = await runShim(['--job-id', 'NSPACE', '--', 'sh', '-c', script]);
    const host = kinds.map((kind) => readlinkSync(`/proc/self/ns/${kind}`));
    const seen = isolated.stdout.trim().split('\n');
    assert.equal(seen.length, kinds.length);
    seen.forEach((link, i) => assert.notEqual(link, host[i], kinds[i]));
    const hostNet = await runShim([
      '--job-id',
      'NSPAC2',
      '--net',
      'host',
      '--',
      'readlink',
      '/proc/self/ns/net',
    ]);
    assert.equal(hostNet.stdout.trim(), readlinkSync('/proc/self/ns/net'));
  });

  it('has the job ID as its hostname', async () => {
    const result = await runShim(['--job-id', 'HOST42', '--', 'hostname']);
    assert.equal(result.stdout, 'HOST42\n');
  });

  it('gets an empty private tmpfs on /tmp of the requested size, and starts there', async (t) => {
    const hostTmp = mkdtempSync('/tmp/wn-shim-test-');
    t.after(() => rmSync(hostTmp, { recursive: true, force: true }));
    const result = await runShim([
      '--job-id',
      'TMPFS1',
      '--tmp-size',
      String(8 << 20),
      '--',
      'sh',
      '-c',
      'ls -A /tmp | wc -l; stat -f -c "%T %b %S" /tmp; stat -c %a /tmp; pwd',
    ]);
    const [count, fs, mode, cwd] = result.stdout.trim().split('\n');
    assert.equal(count, '0');
    const [type, blocks, blockSize] = fs!.split(' ');
    assert.equal(type, 'tmpfs');
    assert.equal(Number(blocks) * Number(blockSize), 8 << 20);
    assert.equal(mode, '1777');
    assert.equal(cwd, '/tmp');
  });

  it('gets a private /dev/shm', async (t) => {
    const hostFile = `/dev/shm/wn-shim-test-${process.pid}`;
    writeFileSync(hostFile, 'host');
    t.after(() => rmSync(hostFile, { force: true }));
    const result = await runShim([
      '--job-id',
      'DEVSHM',
      '--',
      'sh',
      '-c',
      'ls -A /dev/shm | wc -l; stat -f -c %T /dev/shm',
    ]);
    assert.equal(result.stdout, '0\ntmpfs\n');
  });

  it('runs as nobody, without supplementary groups, with no_new_privs', async () => {
    const result = await runShim([
      '--job-id',
      'NOBODY',
      '--',
      'sh',
      '-c',
      'id -u; id -g; id -G; grep -E "^(NoNewPrivs|Groups):" /proc/self/status',
    ]);
    assert.match(
      result.stdout,
      new RegExp(`^${NOBODY}\n${NOBODY}\n${NOBODY}\nGroups:\\s*\nNoNewPrivs:\t1\n$`),
    );
  });

  it('runs as root with --root, and as the given numeric user and group', async () => {
    const root = await runShim(['--job-id', 'ROOT01', '--root', '--', 'sh', '-c', 'id -u; id -g']);
    assert.equal(root.stdout, '0\n0\n');
    const other = await runShim(['--job-id', 'NUMID1', '--user', '1234', '--group', '4321', '--', 'id']);
    assert.match(other.stdout, /^uid=1234 gid=4321 groups=4321$/m);
  });

  it('keeps the mounts of a job from the host and from a concurrent job', async () => {
    // A job cannot mount (a root job has no CAP_SYS_ADMIN: confinement.test.ts), so the mounts are
    // the shim's own: its /tmp and /dev/shm, of a size no other mount here has.
    const kib = 7000 * 4 + (process.pid % 1000) * 4;
    const marker = `size=${kib}k(,|$)`;
    const first = startShim([
      '--job-id',
      'MOUNT1',
      '--tmp-size',
      String(kib * 1024),
      '--',
      'sh',
      '-c',
      `grep -cE '${marker}' /proc/self/mountinfo && echo ready && exec sleep 1000`,
    ]);
    await first.waitForOutput('ready');

    const second = await runShim(['--job-id', 'MOUNT2', '--', 'grep', '-cE', marker, '/proc/self/mountinfo']);
    assert.equal(second.stdout, '0\n');
    assert.equal(second.statusLines.at(-1), 'exit 1');
    assert.doesNotMatch(readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(marker, 'm'));

    first.kill('SIGTERM');
    const result = await first.done;
    assert.equal(result.stdout, '2\nready\n');
    assert.equal(result.statusLines.at(-1), 'signal 15');
  });

  it('cannot write /proc/sys, even as root', async () => {
    const result = await runShim([
      '--job-id',
      'PROCRO',
      '--root',
      '--',
      'sh',
      '-c',
      'echo evil > /proc/sys/kernel/hostname',
    ]);
    assert.match(result.stdout, /Read-only file system/);
    assert.equal(result.statusLines.at(-1), 'exit 2');
    assert.notEqual(readFileSync('/proc/sys/kernel/hostname', 'utf8').trim(), 'evil');
  });
});

describe('start failures', () => {
  it('reports a missing executable as error exec ENOENT, and runs nothing', async () => {
    const result = await runShim(['--job-id', 'NOPE01', '--', '/usr/bin/nope']);
    assert.deepEqual(result.statusLines, ['error exec 2 /usr/bin/nope']);
    assert.equal(result.stdout, '');
    assert.equal(result.exitCode, 125);
    assert.match(result.stderr, /exec: No such file or directory: \/usr\/bin\/nope/);
  });

  it('searches the PATH of the job environment, ENOENT when nothing is found', async () => {
    const found = await runShim(['--job-id', 'PATH01', '--', 'echo', 'found'], { PATH: '/nonexistent:/bin' });
    assert.equal(found.stdout, 'found\n');
    const missing = await runShim(['--job-id', 'PATH02', '--', 'nope-workernator']);
    assert.deepEqual(missing.statusLines, ['error exec 2 nope-workernator']);
  });

  it('reports a file that is not executable as EACCES, by path and through PATH', async (t) => {
    const dir = tempDir(t, 0o755);
    const script = join(dir, 'wn-not-executable');
    writeFileSync(script, '#!/bin/sh\necho should-not-run\n', { mode: 0o644 });
    const byPath = await runShim(['--job-id', 'NOEXE1', '--root', '--', script]);
    assert.deepEqual(byPath.statusLines, [`error exec 13 ${script}`]);
    const byName = await runShim(['--job-id', 'NOEXE2', '--root', '--', 'wn-not-executable'], {
      PATH: `/bin:${dir}`,
    });
    assert.deepEqual(byName.statusLines, ['error exec 13 wn-not-executable']);
    assert.equal(byPath.stdout + byName.stdout, '');
  });

  it('reports a working directory the job user cannot enter as error chdir EACCES', async (t) => {
    const dir = tempDir(t, 0o700);
    const result = await runShim(['--job-id', 'CHDIR1', '--cwd', dir, '--', 'pwd']);
    assert.deepEqual(result.statusLines, [`error chdir 13 ${dir}`]);
    assert.equal(result.stdout, '');
  });

  it('escapes details so they stay one token on one line', async () => {
    const result = await runShim(['--job-id', 'ESCAP1', '--', '/no such/dir%\n']);
    assert.deepEqual(result.statusLines, ['error exec 2 /no%20such/dir%25%0A']);
  });

  it('rejects bad usage with error usage 22 and exit code 125', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--', 'true'], /missing%20--job-id/],
      [['--job-id', 'USAGE1', 'true'], /missing%20--%20before%20EXECUTABLE:%20true/],
      [['--job-id', 'USAGE1', 'true', '--'], /missing%20--%20before%20EXECUTABLE:%20true/],
      [['--job-id', 'USAGE1', '--'], /missing%20EXECUTABLE/],
      [['--job-id', 'USAGE1', '--bogus', 'x', '--', 'true'], /unknown%20option%20--bogus/],
      [['--job-id', 'USAGE1', '--net', 'wide', '--', 'true'], /--net/],
      [['--job-id', 'USAGE1', '--tmp-size', '1k', '--', 'true'], /--tmp-size/],
      [['--job-id', 'X'.repeat(65), '--', 'true'], /longer%20than%2064/],
    ];
    for (const [args, message] of cases) {
      const result = await runShim(args);
      assert.equal(result.statusLines.length, 1, args.join(' '));
      assert.match(result.statusLines[0]!, /^error usage 22 /);
      assert.match(result.statusLines[0]!, message);
      assert.equal(result.exitCode, 125);
    }
  });

  it('reports an unknown user or group', async () => {
    const user = await runShim(['--job-id', 'USER01', '--user', 'no-such-user-wn', '--', 'true']);
    assert.deepEqual(user.statusLines, ['error user 2 no-such-user-wn']);
    const group = await runShim(['--job-id', 'GROUP1', '--group', 'no-such-group-wn', '--', 'true']);
    assert.deepEqual(group.statusLines, ['error group 2 no-such-group-wn']);
  });
});

describe('signals and the end of a job', () => {
  it('forwards SIGTERM to the job, and running names the host pid of the namespace init', async () => {
    const run = startShim([
      '--job-id',
      'TERM01',
      '--',
      'sh',
      '-c',
      'trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 0.1; done',
    ]);
    await run.waitForOutput('ready');
    const pid = Number((await run.waitForStatus('running ')).split(' ')[1]);
    assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), new RegExp(`^NSpid:\\t${pid}\\t1$`, 'm'));
    run.kill('SIGTERM');
    const result = await run.done;
    assert.equal(result.stdout, 'ready\ngot-term\n');
    assert.deepEqual(result.statusLines, [`running ${pid}`, 'exit 3']);
    assert.equal(result.exitCode, 0);
  });

  it('ends a daemonized grandchild with the job', async () => {
    const marker = uniqueMarker();
    const result = await runShim([
      '--job-id',
      'DAEMON',
      '--',
      'sh',
      '-c',
      `(setsid sleep ${marker} &); until pgrep -f '^sleep ${marker}$' >/dev/null; do :; done; echo up`,
    ]);
    assert.equal(result.stdout, 'up\n');
    assert.equal(result.statusLines.at(-1), 'exit 0');
    assert.deepEqual(hostPidsWithCmdline(`sleep\0${marker}`), []);
  });

  it('ends the whole job when the shim is killed', async () => {
    const marker = uniqueMarker();
    const run = startShim([
      '--job-id',
      'SKILL1',
      '--',
      'sh',
      '-c',
      `sleep ${marker} & until pgrep -f '^sleep ${marker}$' >/dev/null; do :; done; echo ready; wait`,
    ]);
    await run.waitForOutput('ready');
    assert.equal(hostPidsWithCmdline(`sleep\0${marker}`).length, 1);
    run.kill('SIGKILL');
    // `done` waits for the output pipe to close, which the job holds until it is gone.
    const result = await run.done;
    assert.equal(result.signal, 'SIGKILL');
    assert.deepEqual(hostPidsWithCmdline(`sleep\0${marker}`), []);
  });
});

describe('root-opened files', () => {
  it('runs an executable from a directory the job user cannot read with --open-exec', async (t) => {
    const dir = tempDir(t, 0o700);
    const echo = join(dir, 'echo');
    copyFileSync('/bin/echo', echo);
    chmodSync(echo, 0o755);
    const denied = await runShim(['--job-id', 'OPENX1', '--', echo, 'hi']);
    assert.deepEqual(denied.statusLines, [`error exec 13 ${echo}`]);
    const opened = await runShim(['--job-id', 'OPENX2', '--open-exec', '--', echo, 'hi']);
    assert.equal(opened.stdout, 'hi\n');
    assert.equal(opened.statusLines.at(-1), 'exit 0');
  });

  it('feeds a file the job user cannot read as stdin with --stdin-file', async (t) => {
    const dir = tempDir(t, 0o700);
    const secret = join(dir, 'secret');
    writeFileSync(secret, 'secret-data\n', { mode: 0o600 });
    const denied = await runShim(['--job-id', 'STDIN1', '--', 'cat', secret]);
    assert.equal(denied.statusLines.at(-1), 'exit 1');
    const fed = await runShim(['--job-id', 'STDIN2', '--stdin-file', secret, '--', 'cat']);
    assert.equal(fed.stdout, 'secret-data\n');
    const missing = await runShim(['--job-id', 'STDIN3', '--stdin-file', join(dir, 'none'), '--', 'cat']);
    assert.deepEqual(missing.statusLines, [`error open-stdin 2 ${join(dir, 'none')}`]);
  });

  it('runs node as nobody on a bundle only root can read (how built-in jobs run)', async (t) => {
    const dir = tempDir(t, 0o700);
    const bundle = join(dir, 'bundle.mjs');
    writeFileSync(bundle, 'console.log("bundle", process.getuid());\n', { mode: 0o600 });
    const result = await runShim([
      '--job-id',
      'NODE01',
      '--open-exec',
      '--stdin-file',
      bundle,
      '--',
      process.execPath,
      '--input-type=module',
      '-',
    ]);
    assert.equal(result.stdout, `bundle ${NOBODY}\n`);
  });
});

describe('cgroups', () => {
  it('places the job in every --cgroup (v1) before it runs', async (t) => {
    const pids = tempCgroup(t, '/sys/fs/cgroup/pids', ownCgroup('pids'));
    const memory = tempCgroup(t, '/sys/fs/cgroup/memory', ownCgroup('memory'));
    const result = await runShim([
      '--job-id',
      'CGRP01',
      '--cgroup',
      pids.dir,
      '--cgroup',
      memory.dir,
      '--',
      'cat',
      '/proc/self/cgroup',
    ]);
    assert.match(result.stdout, new RegExp(`^\\d+:pids:${pids.path}$`, 'm'));
    assert.match(result.stdout, new RegExp(`^\\d+:memory:${memory.path}$`, 'm'));
  });

  it('places the job in a --cgroup2 directory', async (t) => {
    const mount = '/sys/fs/cgroup/unified';
    if (!existsSync(mount) || statfsSync(mount).type !== CGROUP2_SUPER_MAGIC) {
      t.skip('no cgroup2 hierarchy at /sys/fs/cgroup/unified');
      return;
    }
    const v2 = tempCgroup(t, mount, ownCgroup(''));
    const result = await runShim([
      '--job-id',
      'CGRP02',
      '--cgroup2',
      v2.dir,
      '--',
      'cat',
      '/proc/self/cgroup',
    ]);
    assert.match(result.stdout, new RegExp(`^0::${v2.path}$`, 'm'));
  });

  it('sets up inside the cgroup: a pids.max of 1 makes the fork of the job fail', async (t) => {
    const pids = tempCgroup(t, '/sys/fs/cgroup/pids', ownCgroup('pids'));
    writeFileSync(join(pids.dir, 'pids.max'), '1');
    const result = await runShim(['--job-id', 'CGRP04', '--cgroup', pids.dir, '--', '/bin/echo', 'ran']);
    assert.deepEqual(result.statusLines, ['error fork 11']);
    assert.equal(result.stdout, '');
  });

  it('reports a cgroup it cannot join and runs nothing', async () => {
    const dir = `/sys/fs/cgroup/pids/workernator-shimtest-missing-${process.pid}`;
    const result = await runShim(['--job-id', 'CGRP03', '--cgroup', dir, '--', '/bin/echo', 'ran']);
    assert.deepEqual(result.statusLines, [`error cgroup-procs 2 ${dir}/cgroup.procs`]);
    assert.equal(result.stdout, '');
  });
});

/** Interface names from /proc/net/dev, sorted. */
function interfaces(procNetDev: string): string[] {
  return procNetDev
    .split('\n')
    .slice(2)
    .map((line) => line.split(':')[0]!.trim())
    .filter((name) => name !== '')
    .sort();
}
