/**
 * Reload (SIGHUP): a new server certificate and client CA for new connections while live streams
 * keep flowing, the deny-list of client serials and names, new admission limits, and a bad reload
 * that changes nothing. In-process through WorkernatorServer.reload, and once through a real SIGHUP.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tls from 'node:tls';
import type { ClientReadableStream, ServiceError } from '@grpc/grpc-js';
import { JobServiceClient, JobType, type TailJobResponse } from '../../src/gen/workernator/v1/workernator.js';
import { certsInit } from '../../src/pki/commands.js';
import { createClientCredentials } from '../../src/pki/client-credentials.js';
import { issueServerCertificate, loadCa } from '../../src/pki/issue.js';
import { tlsLayout } from '../../src/pki/layout.js';
import { normalizeSerial, parseCertificateSerial } from '../../src/server/config/values.js';
import { assertStatus, eventually, GrpcCode } from './helpers/assertions.js';
import { RpcClient } from './helpers/rpc-client.js';
import { startServerProcess } from './helpers/server-process.js';
import { clientFor, startTestServer, type TestServer } from './helpers/test-server.js';
import { tempDir } from '../helpers/temp-dir.js';

const TICKER = {
  type: JobType.JOB_TYPE_COMMAND,
  args: {
    kind: {
      $case: 'command' as const,
      value: {
        executable: '/bin/sh',
        args: ['-c', 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.02; done'],
        env: {},
      },
    },
  },
};

/** The serial of the certificate the server presents to a new connection (normalized). */
async function presentedSerial(tlsDir: string, port: number, name = 'admin'): Promise<string> {
  const layout = tlsLayout(tlsDir);
  const socket = tls.connect({
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    ALPNProtocols: ['h2'],
    ca: await readFile(layout.serverCaCert),
    cert: await readFile(layout.client(name).cert),
    key: await readFile(layout.client(name).key),
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    return normalizeSerial(socket.getPeerCertificate().serialNumber)!;
  } finally {
    socket.destroy();
  }
}

/** Issues a new server certificate from the server CA into server.crt and server.key; returns its serial. */
async function rotateServerCertificate(tlsDir: string): Promise<string> {
  const layout = tlsLayout(tlsDir);
  const ca = await loadCa(
    await readFile(layout.serverCaCert, 'utf8'),
    await readFile(layout.serverCaKey, 'utf8'),
    {
      kind: 'server',
    },
  );
  const issued = await issueServerCertificate(ca);
  await writeFile(layout.serverKey, issued.keyPem, { mode: 0o600 });
  await writeFile(layout.serverCert, issued.certPem);
  return normalizeSerial(new X509Certificate(issued.certPem).serialNumber)!;
}

async function clientSerial(tlsDir: string, name: string): Promise<string> {
  return normalizeSerial(
    new X509Certificate(await readFile(tlsLayout(tlsDir).client(name).cert)).serialNumber,
  )!;
}

/** Counts the bytes of a live Tail stream and remembers how it ended. */
function follow(stream: ClientReadableStream<TailJobResponse>) {
  const seen = { bytes: 0, error: undefined as ServiceError | undefined, ended: false };
  stream.on('data', (message: TailJobResponse) => (seen.bytes += message.data.length));
  stream.on('error', (error: ServiceError) => (seen.error = error));
  stream.on('end', () => (seen.ended = true));
  return seen;
}

describe('reload', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it('swaps the server certificate for new connections while a live Tail keeps flowing', async () => {
    const oldSerial = await presentedSerial(t.tlsDir, t.port);
    const job = await t.as.alice.start(TICKER);
    const stream = t.as.alice.tailStream({ id: job.id });
    const seen = follow(stream);
    await eventually(() => seen.bytes > 0, 5_000, 'the first output');

    const newSerial = await rotateServerCertificate(t.tlsDir);
    assert.notEqual(newSerial, oldSerial);
    const result = await t.server.reload(t.config);
    assert.equal(normalizeSerial(result.serverCertSerial!), newSerial);
    assert.deepEqual(result.needRestart, []);

    const atReload = seen.bytes;
    await eventually(() => seen.bytes > atReload + 100, 5_000, 'output to keep flowing after the reload');
    assert.equal(seen.error, undefined, 'the live stream was not ended');
    assert.equal(seen.ended, false);
    assert.equal(
      await presentedSerial(t.tlsDir, t.port),
      newSerial,
      'a new connection gets the new certificate',
    );

    // A fresh gRPC client (new connection) is served with the new certificate...
    const fresh = new RpcClient(await clientFor(t.tlsDir, 'alice', t.port));
    try {
      assert.equal((await fresh.status(job.id)).id, job.id);
    } finally {
      fresh.raw.close();
    }
    // ...and the reloaded context still allows TLS 1.3 only.
    const layout = tlsLayout(t.tlsDir);
    const old = tls.connect({
      host: '127.0.0.1',
      port: t.port,
      servername: 'localhost',
      maxVersion: 'TLSv1.2',
      ca: await readFile(layout.serverCaCert),
      cert: await readFile(layout.client('admin').cert),
      key: await readFile(layout.client('admin').key),
    });
    const refusal = await new Promise<Error>((resolve) => old.once('error', resolve));
    old.destroy();
    assert.match(String((refusal as NodeJS.ErrnoException).code), /ALERT_PROTOCOL_VERSION/);

    stream.cancel();
    await t.as.admin.stop({ id: job.id, gracePeriod: { seconds: 0 } });
  });

  it('refuses a client by certificate serial after reload, ending its live streams, and lets it back in', async () => {
    const job = await t.as.bob.start(TICKER);
    const bobStream = follow(t.as.bob.tailStream({ id: job.id }));
    await eventually(() => bobStream.bytes > 0, 5_000, "bob's Tail");

    const serial = await clientSerial(t.tlsDir, 'bob');
    // Written as openssl prints it: with colons.
    const colons = serial.replace(/(..)(?=.)/g, '$1:');
    const result = await t.server.reload({
      ...t.config,
      deniedClientSerials: [parseCertificateSerial(colons)],
    });
    assert.equal(result.endedTails, 1);

    await eventually(() => bobStream.error !== undefined, 5_000, "bob's live Tail to end");
    assert.equal(bobStream.error?.code, GrpcCode.UNAUTHENTICATED);
    await assertStatus(
      t.as.bob.status(job.id),
      GrpcCode.UNAUTHENTICATED,
      new RegExp(`^the client certificate with serial ${serial} has been revoked`),
    );
    await t.as.alice.list(); // others are served

    await t.server.reload(t.config);
    await t.as.bob.list();
    await t.as.admin.stop({ id: job.id, gracePeriod: { seconds: 0 } });
  });

  it('refuses an identity by name after reload, whatever certificate it holds', async () => {
    await t.server.reload({ ...t.config, deniedClientNames: ['vera'] });
    await assertStatus(
      t.as.vera.list(),
      GrpcCode.UNAUTHENTICATED,
      /^the identity "vera" is refused by this server's deny-list/,
    );
    await t.as.bob.list();
    const refused = t.logs.filter(
      (l) => l.msg === 'rpc' && l.identity === 'vera' && l.code === 'UNAUTHENTICATED',
    );
    assert.equal(refused.length, 1, 'the refusal is logged with the identity');
    await t.server.reload(t.config);
    await t.as.vera.list();
  });

  it('applies new admission limits', async () => {
    await t.server.reload({ ...t.config, maxRunningJobsPerIdentity: 1 });
    const job = await t.as.alice.start(TICKER);
    await assertStatus(
      t.as.alice.start(TICKER),
      GrpcCode.RESOURCE_EXHAUSTED,
      /the limit is 1 \(maxRunningJobsPerIdentity\)/,
    );
    await t.server.reload(t.config);
    const second = await t.as.alice.start(TICKER);
    await Promise.all([job, second].map((j) => t.as.admin.stop({ id: j.id, gracePeriod: { seconds: 0 } })));
  });

  it('trusts a new client CA after reload (a CA bundle, for rotation)', async () => {
    const other = join(t.dir, 'other-pki');
    await certsInit({ tlsDir: other });
    const outsider = async () => {
      const layout = tlsLayout(other);
      return new RpcClient(
        new JobServiceClient(
          `localhost:${t.port}`,
          createClientCredentials({
            caPem: await readFile(tlsLayout(t.tlsDir).serverCaCert),
            certPem: await readFile(layout.client('admin').cert),
            keyPem: await readFile(layout.client('admin').key),
          }),
        ),
      );
    };
    const before = await outsider();
    try {
      await assertStatus(before.list({}, { deadline: Date.now() + 3_000 }), GrpcCode.UNAVAILABLE);
    } finally {
      before.raw.close();
    }
    const caPath = tlsLayout(t.tlsDir).clientCaCert;
    const original = await readFile(caPath, 'utf8');
    await writeFile(caPath, original + (await readFile(tlsLayout(other).clientCaCert, 'utf8')));
    try {
      await t.server.reload(t.config);
      const afterReload = await outsider();
      try {
        await afterReload.list();
      } finally {
        afterReload.raw.close();
      }
      await t.as.alice.list(); // the old CA's clients still get in
    } finally {
      await writeFile(caPath, original);
      await t.server.reload(t.config);
    }
  });

  it('changes nothing when the new TLS material is bad, and says which file', async () => {
    const serial = await presentedSerial(t.tlsDir, t.port);
    const layout = tlsLayout(t.tlsDir);
    const key = await readFile(layout.serverKey, 'utf8');
    await writeFile(layout.serverKey, await readFile(layout.client('alice').key, 'utf8'));
    try {
      await assert.rejects(t.server.reload({ ...t.config, deniedClientNames: ['alice'] }), (error: Error) => {
        assert.match(error.message, /this key is not the key of/);
        return true;
      });
      assert.equal(await presentedSerial(t.tlsDir, t.port), serial);
      await t.as.alice.list(); // the deny-list of the failed reload was not applied either
    } finally {
      await writeFile(layout.serverKey, key, { mode: 0o600 });
    }
  });

  it('names the settings that changed but need a restart', async () => {
    const result = await t.server.reload({ ...t.config, stopGrace: 1_000, handshakeTimeout: 1_000 });
    assert.deepEqual(result.needRestart, ['stopGrace', 'handshakeTimeout']);
    await t.server.reload(t.config);
  });
});

describe('SIGHUP', () => {
  it('makes a running workernatord re-read its config file and TLS directory; a bad file changes nothing', async () => {
    const temp = await tempDir('workernator-sighup-');
    const configFile = join(temp.path, 'workernatord.json');
    await writeFile(configFile, '{}');
    const server = await startServerProcess(['--config', configFile]);
    const alice = new RpcClient(await clientFor(server.tlsDir, 'alice', server.port));
    const reloads = () =>
      server.logs.filter((l) => l.msg === 'reloaded' || String(l.msg).startsWith('reload failed'));
    const hangUp = async () => {
      const before = reloads().length;
      server.child.kill('SIGHUP');
      await eventually(() => reloads().length > before, 5_000, 'the reload to be logged');
      return reloads().at(-1)!;
    };
    try {
      await alice.list();
      await writeFile(configFile, JSON.stringify({ deniedClientNames: ['alice'] }));
      const newSerial = await rotateServerCertificate(server.tlsDir);
      const line = await hangUp();
      assert.equal(line.msg, 'reloaded');
      assert.equal(normalizeSerial(String(line.serverCertSerial)), newSerial);
      assert.equal(await presentedSerial(server.tlsDir, server.port), newSerial);
      await assertStatus(alice.list(), GrpcCode.UNAUTHENTICATED, /"alice" is refused/);

      await writeFile(configFile, '{"deniedClientNames": ["alice"], "typo": 1}');
      const failed = await hangUp();
      assert.match(String(failed.msg), /^reload failed; the server keeps its previous settings/);
      await assertStatus(alice.list(), GrpcCode.UNAUTHENTICATED, /"alice" is refused/);
      assert.equal(server.child.exitCode, null, 'still running');
    } finally {
      alice.raw.close();
      await server.close();
      await temp.remove();
    }
  });
});
