/**
 * Issue 8, point 7: secrets stay secret. Jobs of every role (a user's, an admin's, an admin's
 * run_as_root job) run in the real sandbox and try to read the server's TLS keys, the job store and
 * another user's job log, to connect to the server's port (loopback and the host's other addresses;
 * the server listens on every address here), and to see host processes. Each attempt is a shell
 * script whose output the test reads back through the API.
 *
 * The server's TLS and data directories are under /var/tmp, not /tmp: a job has a private /tmp, so
 * under /tmp they would be hidden by that alone, as with /etc/workernator and /var/lib/workernator
 * in production. What keeps a job out: the files' owners and modes and the job user, and for every
 * job, root or not, the masks the sandbox mounts over those directories (the server passes them, as
 * workernatord does: src/server/launcher.ts); and the namespaces.
 *
 * The root job test proves that root in the sandbox is not root on the host: it gets past file
 * modes (CAP_DAC_OVERRIDE) but not the masks, and it has no CAP_SYS_ADMIN to unmount them or its
 * /proc (native/README.md, "What a job gets").
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nonPublicKind } from '../../src/core/jobs/destinations.js';
import { JobStatus, JobType, NetworkMode, type Job } from '../../src/gen/workernator/v1/workernator.js';
import type { RpcClient } from '../server/helpers/rpc-client.js';
import { jobCgroups, startSandboxedTestServer, type SandboxedTestServer } from './helpers/server.js';

const SECRET = `secret-of-bob-${process.pid}`;
let server: SandboxedTestServer;
let savedTmpdir: string | undefined;
let bobJob: Job;

/** Runs `script` with /bin/sh in a job and returns its output and final record. */
async function runScript(
  client: RpcClient,
  script: string,
  options: { runAsRoot?: boolean; network?: NetworkMode } = {},
): Promise<{ output: string; job: Job }> {
  const job = await client.start({
    type: JobType.JOB_TYPE_COMMAND,
    args: {
      kind: {
        $case: 'command',
        value: { executable: '/bin/sh', args: ['-c', script], env: { PATH: '/usr/bin:/bin' } },
      },
    },
    runAsRoot: options.runAsRoot ?? false,
    network: options.network ?? NetworkMode.NETWORK_MODE_UNSPECIFIED,
  });
  const output = (await client.tail({ id: job.id })).data.toString();
  return { output, job: await client.status(job.id) };
}

/** The host's addresses other than loopback (IPv4), where the server also listens. */
function hostAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
}

before(async () => {
  savedTmpdir = process.env.TMPDIR;
  process.env.TMPDIR = '/var/tmp';
  server = await startSandboxedTestServer({ listen: '0.0.0.0:0' });
  process.env.TMPDIR = savedTmpdir;
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  assert.ok(server.dir.startsWith('/var/tmp/'));
  // Bob's job writes a secret to its log, and keeps running while the others try to read it.
  bobJob = await server.as.bob.start({
    type: JobType.JOB_TYPE_COMMAND,
    args: {
      kind: {
        $case: 'command',
        value: {
          executable: '/bin/sh',
          args: ['-c', `echo ${SECRET}; exec sleep 1000`],
          env: { PATH: '/usr/bin:/bin', BOB_SECRET: SECRET },
        },
      },
    },
  });
  await server.as.bob.tail({ id: bobJob.id, noFollow: true });
});

after(async () => {
  if (bobJob !== undefined) await server?.as.bob.stop({ id: bobJob.id, gracePeriod: { seconds: 0 } });
  await server?.close();
});

/** Resolves once a TCP connection to host:port opens (and closes it). */
function connects(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

/** A line per path: "<path>: readable" or "<path>: denied" (contents never printed). */
function tryRead(paths: string[]): string {
  return paths
    .map(
      (p) => `if head -c1 '${p}' >/dev/null 2>&1; then echo '${p}: readable'; else echo '${p}: denied'; fi`,
    )
    .join('\n');
}

function secretPaths(): string[] {
  const tls = server.tlsDir;
  return [
    join(tls, 'server.key'),
    join(tls, 'server-ca.key'),
    join(tls, 'client-ca.key'),
    join(tls, 'clients', 'alice.key'),
    join(tls, 'clients', 'bob.key'),
    join(server.dataDir, 'jobs.db'),
    join(server.dataDir, 'jobs.db-wal'),
    join(server.dataDir, 'output', `${bobJob.id}.log`),
  ];
}

for (const role of ['alice', 'admin'] as const) {
  describe(`a job of ${role === 'alice' ? 'a user' : 'an admin (not root)'}`, () => {
    it('cannot read the TLS keys, the store, or another job’s log', async () => {
      const paths = secretPaths();
      const { output } = await runScript(
        server.as[role],
        `${tryRead(paths)}\nls '${server.dataDir}' 2>&1 | head -3`,
      );
      for (const path of paths) assert.ok(output.includes(`${path}: denied`), `${path} in:\n${output}`);
      assert.ok(!output.includes(SECRET), 'the secret leaked');
      assert.match(output, /Permission denied/, 'the data directory cannot be listed');
    });

    it('cannot reach the server’s port, on loopback or on the host’s addresses', async () => {
      const targets = ['127.0.0.1', ...hostAddresses()];
      const script = targets
        .map(
          (host) =>
            `if bash -c 'exec 3<>/dev/tcp/${host}/${server.port}' 2>/dev/null; then echo '${host}: connected'; else echo '${host}: unreachable'; fi`,
        )
        .join('\n');
      const { output } = await runScript(server.as[role], script);
      for (const host of targets) assert.ok(output.includes(`${host}: unreachable`), output);
      // From the host the port is there: the job, not the port, is what is cut off.
      for (const host of targets) await connects(host, server.port);
    });

    it('cannot see host processes, nor bob’s job, nor signal the server', async () => {
      const script = [
        `echo "pids: $(ls /proc | grep -E '^[0-9]+$' | tr '\\n' ' ')"`,
        `if kill -0 ${process.pid} 2>/dev/null; then echo 'server: visible'; else echo 'server: invisible'; fi`,
        `grep -l ${SECRET} /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null || echo 'bob: invisible'`,
        `echo "init: $(tr '\\0' ' ' < /proc/1/cmdline | cut -c1-200)"`,
      ].join('\n');
      const { output } = await runScript(server.as[role], script);
      const pids = /pids: ([\d ]*)/.exec(output)?.[1]?.trim().split(/\s+/).map(Number) ?? [];
      // The job's PID namespace: its init (1), the shell, and the commands it runs; nothing else.
      assert.ok(pids.includes(1) && pids.every((pid) => pid < 100), output);
      assert.ok(!pids.includes(process.pid), output);
      assert.match(output, /server: invisible/);
      assert.match(output, /bob: invisible/);
      assert.match(output, /init: \S*workernator-shim/, 'PID 1 is the job’s own init');
    });
  });
}

it('the probe works: an admin job on the host network (admins only) does reach the port', async () => {
  const probe = `if bash -c 'exec 3<>/dev/tcp/127.0.0.1/${server.port}' 2>/dev/null; then echo connected; else echo unreachable; fi`;
  const { output } = await runScript(server.as.admin, probe, { network: NetworkMode.NETWORK_MODE_HOST });
  assert.equal(output, 'connected\n');
  await assert.rejects(
    runScript(server.as.alice, probe, { network: NetworkMode.NETWORK_MODE_HOST }),
    /PERMISSION_DENIED/,
  );
});

it('a user’s wait-then-send job (host network, by design) reaches neither the host’s own ports nor the metadata endpoint', async () => {
  // The server has no allowedUrlPrefixes: wait-then-send reaches public addresses only. It is
  // refused before it connects, on the address it would connect to (a name for loopback too).
  for (const [url, refused] of [
    [`http://127.0.0.1:${server.port}/`, '127.0.0.1, a loopback address'],
    [`https://localhost:${server.port}/`, 'localhost ('],
    [`http://[::1]:${server.port}/`, '::1, a loopback address'],
    // The host's own addresses, where they are private (a public one is reachable from anywhere anyway).
    ...hostAddresses()
      .filter((address) => nonPublicKind(address) !== undefined)
      .map((address) => [`http://${address}:${server.port}/`, `${address}, a `] as const),
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254, a link-local address'],
  ] as const) {
    const job = await server.as.alice.start({
      type: JobType.JOB_TYPE_WAIT_THEN_SEND,
      args: { kind: { $case: 'waitThenSend', value: { url, waitSeconds: 0 } } },
    });
    const output = (await server.as.alice.tail({ id: job.id })).data.toString();
    assert.ok(output.includes(`[ERROR] refused to connect to ${refused}`), `${url}:\n${output}`);
    assert.match(output, /unless the server's operator allows the URL \(setting allowedUrlPrefixes/);
    assert.equal((await server.as.alice.status(job.id)).status, JobStatus.JOB_STATUS_FAILED);
  }
});

it('a root job (run_as_root, admins only) cannot read them either, nor see host processes, nor reach the port', async () => {
  const paths = secretPaths();
  const script = [
    // Its way around file modes (CAP_DAC_OVERRIDE) meets masks: the directories are empty mounts.
    tryRead(paths),
    `echo "tls entries: $(ls -A '${server.tlsDir}' | wc -l)"`,
    `echo "data entries: $(ls -A '${server.dataDir}' | wc -l)"`,
    // Nor the raw disk beneath them: its /dev has no block devices.
    `echo "disks: $(ls /dev | grep -cE '^(sd|vd|xvd|nvme|mmcblk|dm-|loop|md)')"`,
    `if bash -c 'exec 3<>/dev/tcp/127.0.0.1/${server.port}' 2>/dev/null; then echo 'port: connected'; else echo 'port: unreachable'; fi`,
    // Without CAP_SYS_ADMIN it can undo neither its /proc nor a mask.
    `umount -l /proc 2>/dev/null && echo 'proc: unmounted' || echo 'proc: kept'`,
    `umount -l '${server.tlsDir}' 2>/dev/null && echo 'tls mask: unmounted' || echo 'tls mask: kept'`,
    tryRead(paths.slice(0, 1)).replace(': readable', ': readable after umount'),
    `echo "pids: $(ls /proc | grep -E '^[0-9]+$' | tr '\\n' ' ')"`,
    `if kill -0 ${process.pid} 2>/dev/null; then echo 'server: visible'; else echo 'server: invisible'; fi`,
    `grep -l ${SECRET} /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null || echo 'bob: invisible'`,
    `echo "uid: $(id -u)"`,
    `grep -E '^(CapBnd|NoNewPrivs):' /proc/self/status`,
  ].join('\n');
  const { output, job } = await runScript(server.as.admin, script, { runAsRoot: true });
  assert.equal(job.runAsRoot, true);
  assert.match(output, /^uid: 0$/m);
  for (const path of paths) assert.ok(output.includes(`${path}: denied`), `${path} in:\n${output}`);
  assert.ok(!output.includes(SECRET), 'the secret leaked');
  assert.match(output, /^tls entries: 0$/m);
  assert.match(output, /^data entries: 0$/m);
  assert.match(output, /^disks: 0$/m);
  assert.match(output, /^port: unreachable$/m);
  assert.match(output, /^proc: kept$/m);
  assert.match(output, /^tls mask: kept$/m);
  assert.doesNotMatch(output, /readable after umount/);
  const pids = /pids: ([\d ]*)/.exec(output)?.[1]?.trim().split(/\s+/).map(Number) ?? [];
  assert.ok(pids.includes(1) && pids.every((pid) => pid < 100), output);
  assert.match(output, /^server: invisible$/m);
  assert.match(output, /^bob: invisible$/m);
  // Root, with Docker's default capabilities less MKNOD (no CAP_SYS_ADMIN, bit 21) and no_new_privs.
  assert.match(output, /^CapBnd:\s*00000000a00425fb$/m);
  assert.match(output, /^NoNewPrivs:\s*1$/m);
  // A user cannot ask for it.
  await assert.rejects(runScript(server.as.alice, 'true', { runAsRoot: true }), /PERMISSION_DENIED/);
});

it('leaves nothing behind', async () => {
  await server.as.bob.stop({ id: bobJob.id, gracePeriod: { seconds: 0 } });
  assert.equal((await server.as.bob.status(bobJob.id)).status, JobStatus.JOB_STATUS_STOPPED);
  assert.deepEqual(await jobCgroups(server.cgroupRootName), []);
});
