/**
 * What confines a job beyond its namespaces (native/README.md, "What a job gets"): masked paths
 * (`--mask` and the defaults), a read-only /sys, a minimal /dev, and for a root job Docker's default
 * capability set less MKNOD, with no_new_privs, so that it cannot undo any of it. Driven through the
 * shim's CLI, as root, for a root job (`--root`) and a nobody job alike.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it, type TestContext } from 'node:test';
import { NATIVE_DIR, runShim, SHIM_PATH } from './run-shim.js';

/** Docker's default set less MKNOD: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
 * NET_BIND_SERVICE NET_RAW SYS_CHROOT AUDIT_WRITE SETFCAP. */
const ROOT_CAPS = 0xa00425fbn;
const CAP_SYS_ADMIN = 21n;

const AS = { root: ['--root'], nobody: [] } as const;

before(() => {
  execFileSync('make', ['-s', '-C', NATIVE_DIR], { stdio: 'inherit' });
  assert.ok(existsSync(SHIM_PATH), `the shim was not built at ${SHIM_PATH}`);
  assert.equal(process.getuid?.(), 0, 'the shim tests must run as root');
});

/**
 * A directory (not under /tmp: jobs have a private /tmp) that every user may read, with a readable
 * file in it, and a readable file beside it: only the mask keeps a job out.
 */
function secrets(t: TestContext): { dir: string; file: string; loose: string } {
  const base = mkdtempSync('/var/tmp/wn-confine-test-');
  chmodSync(base, 0o755);
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const dir = join(base, 'secrets');
  mkdirSync(dir, { mode: 0o755 });
  const file = join(dir, 'server.key');
  writeFileSync(file, 'the-key\n', { mode: 0o644 });
  const loose = join(base, 'config.json');
  writeFileSync(loose, 'the-config\n', { mode: 0o644 });
  return { dir, file, loose };
}

/** The capability lines and NoNewPrivs of /proc/self/status, as numbers. */
function statusOf(text: string): Record<string, bigint> {
  const fields: Record<string, bigint> = {};
  for (const [, name, value] of text.matchAll(/^(Cap\w+|NoNewPrivs):\s*([0-9a-f]+)$/gm)) {
    fields[name!] = name === 'NoNewPrivs' ? BigInt(value!) : BigInt(`0x${value!}`);
  }
  return fields;
}

describe('masked paths', () => {
  for (const [who, flags] of Object.entries(AS)) {
    it(`hide a directory and a file from a ${who} job`, async (t) => {
      const { dir, file, loose } = secrets(t);
      // Without the mask, the job reads both: the modes let it.
      const open = await runShim(['--job-id', 'MASK00', ...flags, '--', 'cat', file, loose]);
      assert.equal(open.stdout, 'the-key\nthe-config\n');

      const script = [
        `echo "entries: $(ls -A '${dir}' | wc -l)"`,
        `cat '${file}' || echo 'key: unreadable'`,
        `echo "loose: [$(cat '${loose}')]"`,
        `touch '${dir}/new' 2>/dev/null || echo 'dir: read-only'`,
      ].join('\n');
      const result = await runShim([
        '--job-id',
        'MASK01',
        ...flags,
        '--mask',
        dir,
        '--mask',
        loose,
        '--',
        'sh',
        '-c',
        script,
      ]);
      assert.match(result.stdout, /^entries: 0$/m);
      assert.match(result.stdout, /^key: unreadable$/m);
      assert.match(result.stdout, /^loose: \[\]$/m);
      assert.match(result.stdout, /^dir: read-only$/m);
      assert.ok(!result.stdout.includes('the-key') && !result.stdout.includes('the-config'), result.stdout);
      assert.equal(result.statusLines.at(-1), 'exit 0');
      // Nothing changed on the host.
      assert.equal(readFileSync(file, 'utf8'), 'the-key\n');
    });
  }

  it('skip a path that does not exist, and refuse a relative one', async () => {
    const missing = await runShim(['--job-id', 'MASK02', '--mask', '/nonexistent/wn-mask', '--', 'true']);
    assert.equal(missing.statusLines.at(-1), 'exit 0');
    const relative = await runShim(['--job-id', 'MASK03', '--mask', 'relative/dir', '--', 'true']);
    assert.equal(relative.statusLines.length, 1);
    assert.match(relative.statusLines[0]!, /^error usage 22 --mask%20needs%20an%20absolute%20path/);
  });

  it('hide kernel memory, keys and timers, firmware tables and the cgroup file systems by default', async () => {
    const script = [
      'for f in /proc/kcore /proc/keys /proc/timer_list; do [ -e $f ] && echo "$f: $(wc -c < $f)"; done',
      'for d in /sys/firmware /sys/fs/cgroup; do [ -d $d ] && echo "$d: $(ls -A $d | wc -l)"; done',
      'mkdir /sys/fs/cgroup/wn-escape 2>/dev/null || echo "cgroup: read-only"',
    ].join('\n');
    const result = await runShim(['--job-id', 'MASK04', '--root', '--', 'sh', '-c', script]);
    for (const line of result.stdout.trim().split('\n')) {
      if (line.startsWith('/')) assert.match(line, /: 0$/, result.stdout);
    }
    assert.match(result.stdout, /^\/sys\/fs\/cgroup: 0$/m);
    assert.match(result.stdout, /^cgroup: read-only$/m);
  });
});

describe('/sys and /dev', () => {
  it('give a root job a read-only /sys and a /dev without the host’s disks', async () => {
    const script = [
      'echo 1 > /sys/kernel/profiling 2>/dev/null || echo "sys: read-only"',
      'echo "dev: $(ls /dev | tr "\\n" " ")"',
      'echo "zero: $(head -c 5 /dev/zero | wc -c)"',
      'echo discarded > /dev/null && echo "null: ok"',
      'touch /dev/wn 2>/dev/null || echo "devdir: read-only"',
    ].join('\n');
    const result = await runShim(['--job-id', 'SYSDEV', '--root', '--', 'sh', '-c', script]);
    assert.match(result.stdout, /^sys: read-only$/m);
    const dev = /^dev: (.*)$/m.exec(result.stdout)?.[1]?.trim().split(' ') ?? [];
    // The host's nodes it has of these, and the links to /proc/self/fd.
    const nodes = ['full', 'null', 'random', 'tty', 'urandom', 'zero'].filter((n) => existsSync(`/dev/${n}`));
    assert.deepEqual(dev, [...nodes, 'fd', 'shm', 'stderr', 'stdin', 'stdout'].sort());
    assert.match(result.stdout, /^zero: 5$/m);
    assert.match(result.stdout, /^null: ok$/m);
    assert.match(result.stdout, /^devdir: read-only$/m);
  });
});

describe('a root job', () => {
  it('keeps only Docker’s default capabilities (less MKNOD), in every set, with no_new_privs', async () => {
    const result = await runShim(['--job-id', 'CAPS01', '--root', '--', 'cat', '/proc/self/status']);
    const status = statusOf(result.stdout);
    assert.equal(status.CapBnd, ROOT_CAPS);
    assert.equal(status.CapEff, ROOT_CAPS);
    assert.equal(status.CapPrm, ROOT_CAPS);
    assert.equal(status.CapInh, 0n);
    assert.equal(status.CapAmb, 0n);
    assert.equal(status.NoNewPrivs, 1n);
    assert.equal(((status.CapBnd ?? 0n) >> CAP_SYS_ADMIN) & 1n, 0n);
  });

  it('cannot unmount /proc or a mask, nor mount anything', async (t) => {
    const { dir, file } = secrets(t);
    const script = [
      'umount -l /proc; echo "umount proc: $?"',
      `umount -l '${dir}'; echo "umount mask: $?"`,
      'mount -t tmpfs wn /mnt; echo "mount: $?"',
      `echo "pids: $(ls /proc | grep -cE '^[0-9]+$')"`,
      `cat '${file}' 2>/dev/null || echo 'key: unreadable'`,
    ].join('\n');
    const result = await runShim(['--job-id', 'UMOUNT', '--root', '--mask', dir, '--', 'sh', '-c', script]);
    // umount(8) and mount(8) say EPERM in words and exit 32 ("mount failure").
    assert.match(result.stdout, /^umount proc: [1-9]\d*$/m);
    assert.match(result.stdout, /^umount mask: [1-9]\d*$/m);
    assert.match(result.stdout, /^mount: [1-9]\d*$/m);
    assert.match(result.stdout, /must be superuser|Operation not permitted|permission denied/i);
    const pids = Number(/^pids: (\d+)$/m.exec(result.stdout)?.[1]);
    assert.ok(pids > 0 && pids < 10, result.stdout);
    assert.match(result.stdout, /^key: unreadable$/m);
  });

  it('still does root things in its sandbox: chown in its /tmp, bind port 80 in its network namespace', async () => {
    const bind =
      "require('net').createServer().once('error', (e) => { console.log('bind: ' + e.code); process.exit(0); })" +
      ".listen(80, '127.0.0.1', () => { console.log('bind: ok'); process.exit(0); })";
    const script = [
      'touch /tmp/f && chown 1234:4321 /tmp/f && echo "owner: $(stat -c %u:%g /tmp/f)"',
      `'${process.execPath}' -e "${bind}"`,
    ].join('\n');
    const root = await runShim(['--job-id', 'ROOTOK', '--root', '--', 'sh', '-c', script]);
    assert.match(root.stdout, /^owner: 1234:4321$/m);
    assert.match(root.stdout, /^bind: ok$/m);
    const nobody = await runShim(['--job-id', 'NOBDOK', '--', 'sh', '-c', script]);
    assert.doesNotMatch(nobody.stdout, /^owner:/m);
    assert.match(nobody.stdout, /^bind: EACCES$/m);
  });
});

describe('a nobody job', () => {
  it('has no capabilities at all, not even in its bounding set, and no_new_privs', async () => {
    const result = await runShim(['--job-id', 'CAPS02', '--', 'cat', '/proc/self/status']);
    const status = statusOf(result.stdout);
    for (const set of ['CapBnd', 'CapEff', 'CapPrm', 'CapInh', 'CapAmb']) assert.equal(status[set], 0n, set);
    assert.equal(status.NoNewPrivs, 1n);
  });
});
