// Real mutual TLS 1.3 on 127.0.0.1: a grpc-js server with createServerCredentials, the generated
// JobService with stub handlers, the real client credentials, and raw node:tls probes for what must
// be refused. Every refusal test runs the same probe with a good certificate too (a control), so a
// probe that cannot tell acceptance from refusal would fail the control.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import {
  Job,
  JobServiceClient,
  JobServiceService,
  type JobServiceServer,
} from '../../src/gen/workernator/v1/workernator.js';
import { certsInit } from '../../src/pki/commands.js';
import { issueClientCertificate, loadCa } from '../../src/pki/issue.js';
import { readIdentity, type Identity } from '../../src/pki/identity.js';
import { tlsLayout, type TlsLayout } from '../../src/pki/layout.js';
import { PkiInvalidMaterialError, PkiMissingError, PkiUnreadableError } from '../../src/pki/errors.js';
import {
  clientTlsPaths,
  createClientCredentials,
  loadClientTls,
  type TlsMaterial,
} from '../../src/pki/client-credentials.js';
import { TLS_CIPHER_SUITES } from '../../src/pki/tls-policy.js';
import { createServerCredentials, loadServerTls } from '../../src/server/tls.js';
import { makeTempDir } from '../pki/helpers.js';

const DAY_MS = 24 * 60 * 60 * 1000;

interface Pem {
  readonly cert: string;
  readonly key: string;
}

async function readPair(certPath: string, keyPath: string): Promise<Pem> {
  return { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') };
}

type ProbeResult =
  | { readonly accepted: true; readonly protocol: string | null; readonly cipher: string }
  | {
      readonly accepted: false;
      /** Whether the client saw its handshake complete (TLS 1.3 client-cert failures come after that). */
      readonly handshakeCompleted: boolean;
      readonly code: string | undefined;
      readonly message: string;
    };

// The HTTP/2 client connection preface followed by an empty SETTINGS frame (RFC 9113 §3.4).
const H2_PREFACE = Buffer.concat([
  Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'),
  Buffer.from([0, 0, 0, 0x04, 0, 0, 0, 0, 0]),
]);
const H2_SETTINGS = 0x04;

/**
 * Connects with node:tls (ALPN h2), sends the HTTP/2 preface, and reports `accepted` only once the
 * server has sent an HTTP/2 SETTINGS frame: proof that it took the connection past TLS and started
 * speaking gRPC's transport. An error or a close before that is a refusal.
 */
function probe(port: number, options: tls.ConnectionOptions): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    let handshakeCompleted = false;
    let settled = false;
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ALPNProtocols: ['h2'],
      ...options,
    });
    const finish = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => {
      settled = true;
      socket.destroy();
      reject(new Error('probe timed out: neither accepted nor refused'));
    }, 5000);
    socket.on('secureConnect', () => {
      handshakeCompleted = true;
      socket.write(H2_PREFACE);
    });
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 9 && received[3] === H2_SETTINGS) {
        finish({ accepted: true, protocol: socket.getProtocol(), cipher: socket.getCipher().standardName });
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) =>
      finish({ accepted: false, handshakeCompleted, code: err.code, message: err.message }),
    );
    socket.on('close', () =>
      finish({ accepted: false, handshakeCompleted, code: undefined, message: 'closed by the server' }),
    );
  });
}

/** The server refused with this TLS alert. */
function assertAlert(result: ProbeResult, expectedCode: string): void {
  assert.equal(result.accepted, false, `expected a refusal, the server accepted: ${JSON.stringify(result)}`);
  if (!result.accepted) assert.equal(result.code, expectedCode, result.message);
}

/**
 * The server cut the connection right after the handshake, before any HTTP/2 frame. This is how Node
 * rejects a client certificate that fails verification: OpenSSL completes the handshake, then Node
 * sees the verify error and destroys the socket without an alert (only a missing certificate gets
 * one). The client sees a close, or a reset if its HTTP/2 preface was still unread.
 */
function assertCut(result: ProbeResult): void {
  assert.equal(result.accepted, false, `expected a refusal, the server accepted: ${JSON.stringify(result)}`);
  if (result.accepted) return;
  assert.ok(
    result.code === undefined || result.code === 'ECONNRESET' || result.code === 'EPIPE',
    `unexpected error ${result.code ?? ''}: ${result.message}`,
  );
}

describe('mutual TLS 1.3 server credentials', () => {
  let tmp: { path: string; remove: () => Promise<void> };
  let layout: TlsLayout;
  let otherLayout: TlsLayout;
  let server: grpc.Server;
  let port: number;
  let serverCaPem: string;
  let admin: Pem;
  let expired: Pem;
  let adminMaterial: TlsMaterial;
  const seen: Identity[] = [];

  const handlers: JobServiceServer = {
    status(call, callback) {
      try {
        const identity = readIdentity(call.getAuthContext().sslPeerCertificate);
        seen.push(identity);
        callback(null, Job.fromPartial({ id: call.request.id, owner: identity.name }));
      } catch (err) {
        callback({ code: grpc.status.UNAUTHENTICATED, details: (err as Error).message });
      }
    },
    start: (_call, callback) => callback({ code: grpc.status.UNIMPLEMENTED }),
    stop: (_call, callback) => callback({ code: grpc.status.UNIMPLEMENTED }),
    list: (_call, callback) => callback({ code: grpc.status.UNIMPLEMENTED }),
    tail: (call) => {
      call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'unimplemented' });
    },
  };

  before(async () => {
    tmp = await makeTempDir('tls');
    layout = tlsLayout(join(tmp.path, 'tls'));
    otherLayout = tlsLayout(join(tmp.path, 'other-tls'));
    await certsInit({ tlsDir: layout.dir });
    await certsInit({ tlsDir: otherLayout.dir });

    serverCaPem = await readFile(layout.serverCaCert, 'utf8');
    admin = await readPair(layout.client('admin').cert, layout.client('admin').key);
    adminMaterial = await loadClientTls(clientTlsPaths(layout.dir), layout.dir);

    // A client certificate from the right CA whose lifetime ended yesterday.
    const clientCa = await loadCa(
      await readFile(layout.clientCaCert, 'utf8'),
      await readFile(layout.clientCaKey, 'utf8'),
      { kind: 'client' },
    );
    const now = Date.now();
    const old = await issueClientCertificate(clientCa, {
      name: 'old',
      role: 'admin',
      validity: { notBefore: new Date(now - 30 * DAY_MS), notAfter: new Date(now - DAY_MS) },
    });
    expired = { cert: old.certPem, key: old.keyPem };

    server = new grpc.Server();
    server.addService(JobServiceService, handlers);
    const credentials = createServerCredentials(await loadServerTls(layout.dir));
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))),
    );
  });

  after(async () => {
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    await tmp.remove();
  });

  function client(material: TlsMaterial, target = `localhost:${port}`, options: grpc.ClientOptions = {}) {
    return new JobServiceClient(target, createClientCredentials(material), options);
  }

  function status(c: JobServiceClient, id: string): Promise<Job> {
    return new Promise((resolve, reject) =>
      c.status({ id }, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (err, job) =>
        err ? reject(err) : resolve(job),
      ),
    );
  }

  /** A gRPC call with this client certificate fails UNAVAILABLE and never reaches a handler. */
  async function assertCallRefused(pair: Pem): Promise<void> {
    const before = seen.length;
    const c = client({ caPem: serverCaPem, certPem: pair.cert, keyPem: pair.key });
    try {
      await assert.rejects(
        status(c, 'XE38YM'),
        (err: grpc.ServiceError) => err.code === grpc.status.UNAVAILABLE,
      );
      assert.equal(seen.length, before, 'a handler ran');
    } finally {
      c.close();
    }
  }

  test('a client with the admin certificate is served, and the handler reads its identity', async () => {
    const c = client(adminMaterial);
    try {
      const job = await status(c, 'XE38YM');
      assert.equal(job.id, 'XE38YM');
      assert.equal(job.owner, 'admin');
      assert.deepEqual(seen.at(-1), { name: 'admin', role: 'admin' });
    } finally {
      c.close();
    }
  });

  test('the good client negotiates TLS 1.3 with an allowed suite (control for every refusal below)', async () => {
    const r = await probe(port, { ca: serverCaPem, cert: admin.cert, key: admin.key });
    assert.equal(r.accepted, true, JSON.stringify(r));
    if (!r.accepted) return;
    assert.equal(r.protocol, 'TLSv1.3');
    assert.ok(TLS_CIPHER_SUITES.split(':').includes(r.cipher), r.cipher);
  });

  test('each of the three allowed suites is accepted', async () => {
    for (const suite of TLS_CIPHER_SUITES.split(':')) {
      const r = await probe(port, { ca: serverCaPem, cert: admin.cert, key: admin.key, ciphers: suite });
      assert.equal(r.accepted, true, `${suite}: ${JSON.stringify(r)}`);
      if (r.accepted) assert.equal(r.cipher, suite);
    }
  });

  test('a TLS 1.2 client is refused during the handshake', async () => {
    const r = await probe(port, { ca: serverCaPem, cert: admin.cert, key: admin.key, maxVersion: 'TLSv1.2' });
    assertAlert(r, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
    assert.equal(r.accepted || r.handshakeCompleted, false);
  });

  test('a TLS 1.3 suite outside the list (AES-128-CCM) is refused', async () => {
    const r = await probe(port, {
      ca: serverCaPem,
      cert: admin.cert,
      key: admin.key,
      minVersion: 'TLSv1.3',
      ciphers: 'TLS_AES_128_CCM_SHA256',
    });
    assertAlert(r, 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE');
    assert.equal(r.accepted || r.handshakeCompleted, false);
  });

  test('a client without a certificate is refused', async () => {
    const r = await probe(port, { ca: serverCaPem });
    assertAlert(r, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  });

  test('a client certificate from another PKI is refused', async () => {
    const other = await readPair(otherLayout.client('admin').cert, otherLayout.client('admin').key);
    assertCut(await probe(port, { ca: serverCaPem, cert: other.cert, key: other.key }));
    await assertCallRefused(other);
  });

  test('an expired client certificate is refused', async () => {
    assertCut(await probe(port, { ca: serverCaPem, cert: expired.cert, key: expired.key }));
    await assertCallRefused(expired);
  });

  test('the server certificate presented as a client certificate is refused', async () => {
    // Signed by the server CA, which the server does not trust for clients, and EKU serverAuth only.
    const serverPair = await readPair(layout.serverCert, layout.serverKey);
    assertCut(await probe(port, { ca: serverCaPem, cert: serverPair.cert, key: serverPair.key }));
    await assertCallRefused(serverPair);
  });

  test('a gRPC call without a client certificate fails with UNAVAILABLE and reaches no handler', async () => {
    const before = seen.length;
    const c = new JobServiceClient(
      `localhost:${port}`,
      grpc.credentials.createFromSecureContext(
        tls.createSecureContext({ ca: serverCaPem, minVersion: 'TLSv1.3' }),
      ),
    );
    try {
      await assert.rejects(
        status(c, 'XE38YM'),
        (err: grpc.ServiceError) => err.code === grpc.status.UNAVAILABLE,
      );
      assert.equal(seen.length, before);
    } finally {
      c.close();
    }
  });

  test('the client refuses a server its server CA did not sign', async () => {
    const otherCa = await readFile(otherLayout.serverCaCert, 'utf8');
    const c = client({ ...adminMaterial, caPem: otherCa });
    try {
      await assert.rejects(
        status(c, 'XE38YM'),
        (err: grpc.ServiceError) => err.code === grpc.status.UNAVAILABLE,
      );
    } finally {
      c.close();
    }
  });

  test('the client checks the server name: 127.0.0.1 is in the SANs, another name is not', async () => {
    const byIp = client(adminMaterial, `127.0.0.1:${port}`);
    try {
      assert.equal((await status(byIp, 'XE38YM')).id, 'XE38YM');
    } finally {
      byIp.close();
    }
    const wrongName = client(adminMaterial, `localhost:${port}`, {
      'grpc.ssl_target_name_override': 'not-the-server.example',
    });
    try {
      await assert.rejects(
        status(wrongName, 'XE38YM'),
        (err: grpc.ServiceError) => err.code === grpc.status.UNAVAILABLE,
      );
    } finally {
      wrongName.close();
    }
  });
});

describe('loadServerTls', () => {
  test('names the missing file and says how to create the TLS directory', async () => {
    const tmp = await makeTempDir('tls-missing');
    try {
      await assert.rejects(loadServerTls(tmp.path), (err: unknown) => {
        assert.ok(err instanceof PkiMissingError);
        assert.equal(err.code, 'WN_PKI_MISSING');
        assert.equal(err.path, tlsLayout(tmp.path).clientCaCert);
        assert.match(err.message, /client-ca\.crt does not exist/);
        assert.match(err.message, new RegExp(`workernatord certs init --tls-dir ${tmp.path}`));
        return true;
      });
    } finally {
      await tmp.remove();
    }
  });

  test('names a file that cannot be read', async () => {
    const tmp = await makeTempDir('tls-unreadable');
    try {
      const a = tlsLayout(join(tmp.path, 'a'));
      await certsInit({ tlsDir: a.dir });
      await rm(a.serverKey);
      await mkdir(a.serverKey);
      await assert.rejects(loadServerTls(a.dir), (err: unknown) => {
        assert.ok(err instanceof PkiUnreadableError);
        assert.equal(err.code, 'WN_PKI_UNREADABLE');
        assert.equal(err.message, `cannot read the server key ${a.serverKey}: it is a directory`);
        return true;
      });
    } finally {
      await tmp.remove();
    }
  });

  test('refuses a server key that does not belong to the server certificate', async () => {
    const tmp = await makeTempDir('tls-mismatch');
    try {
      const a = tlsLayout(join(tmp.path, 'a'));
      await certsInit({ tlsDir: a.dir });
      // Replace the server key with the admin client key: valid PEM, wrong key.
      await rm(a.serverKey);
      await copyFile(a.client('admin').key, a.serverKey);
      await assert.rejects(loadServerTls(a.dir), (err: unknown) => {
        assert.ok(err instanceof PkiInvalidMaterialError);
        assert.equal(err.path, a.serverKey);
        return true;
      });
    } finally {
      await tmp.remove();
    }
  });
});
