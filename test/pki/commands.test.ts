// certsInit and certsIssue on disk: the files, their modes, and what openssl (an independent
// implementation) says about the certificates in them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { certsInit, certsIssue, type InitResult } from '../../src/pki/commands.js';
import {
  PkiExistsError,
  PkiInvalidArgumentError,
  PkiInvalidNameError,
  PkiMissingError,
} from '../../src/pki/errors.js';
import { tlsLayout, type TlsLayout } from '../../src/pki/layout.js';
import { readIdentity } from '../../src/pki/identity.js';
import { makeTempDir, openssl, opensslVerify } from './helpers.js';

const DAY_MS = 24 * 60 * 60 * 1000;

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

async function cert(path: string): Promise<X509Certificate> {
  return new X509Certificate(await readFile(path));
}

function assertVerifies(r: { status: number | null; stdout: string; stderr: string }, what: string): void {
  assert.equal(r.status, 0, `${what}: ${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /: OK$/m);
}

function assertDoesNotVerify(
  r: { status: number | null; stdout: string; stderr: string },
  what: string,
): void {
  assert.notEqual(r.status, 0, `${what} verified: ${r.stdout}`);
}

describe('certsInit', () => {
  let tmp: { path: string; remove: () => Promise<void> };
  let layout: TlsLayout;
  let result: InitResult;
  const startedAt = Date.now();

  before(async () => {
    tmp = await makeTempDir('pki-init');
    // A directory that does not exist yet, two levels deep: init creates both with mode 0700.
    layout = tlsLayout(join(tmp.path, 'etc', 'tls'));
    result = await certsInit({
      tlsDir: layout.dir,
      serverNames: ['worker.example.com', '10.1.2.3', 'fd00::7'],
    });
  });
  after(() => tmp.remove());

  test('writes every file of the layout, keys 0600, certificates 0644, directories 0700', async () => {
    const admin = layout.client('admin');
    assert.deepEqual(result.files, [
      layout.serverCaKey,
      layout.serverCaCert,
      layout.clientCaKey,
      layout.clientCaCert,
      layout.serverKey,
      layout.serverCert,
      admin.key,
      admin.cert,
    ]);
    for (const key of [layout.serverCaKey, layout.clientCaKey, layout.serverKey, admin.key]) {
      assert.equal(await mode(key), 0o600, key);
      assert.match(await readFile(key, 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);
    }
    for (const crt of [layout.serverCaCert, layout.clientCaCert, layout.serverCert, admin.cert]) {
      assert.equal(await mode(crt), 0o644, crt);
    }
    for (const dir of [join(tmp.path, 'etc'), layout.dir, layout.clientsDir])
      assert.equal(await mode(dir), 0o700, dir);
    // No temporary file is left behind.
    assert.deepEqual((await readdir(layout.dir)).sort(), [
      'client-ca.crt',
      'client-ca.key',
      'clients',
      'server-ca.crt',
      'server-ca.key',
      'server.crt',
      'server.key',
    ]);
    assert.deepEqual((await readdir(layout.clientsDir)).sort(), ['admin.crt', 'admin.key']);
  });

  test('keys are ECDSA P-256 and certificates are signed with ECDSA SHA-256', () => {
    for (const crt of [
      layout.serverCaCert,
      layout.clientCaCert,
      layout.serverCert,
      layout.client('admin').cert,
    ]) {
      const text = openssl('x509', '-in', crt, '-noout', '-text').stdout;
      assert.match(text, /Public Key Algorithm: id-ecPublicKey/, crt);
      assert.match(text, /NIST CURVE: P-256/, crt);
      assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/, crt);
      assert.match(text, /Subject Key Identifier/, crt);
      assert.match(text, /Authority Key Identifier/, crt);
    }
  });

  test('each certificate verifies against its own CA, for its own purpose', () => {
    assertVerifies(opensslVerify(layout.serverCaCert, layout.serverCert, 'sslserver'), 'server cert');
    assertVerifies(
      opensslVerify(layout.clientCaCert, layout.client('admin').cert, 'sslclient'),
      'admin cert',
    );
    assertVerifies(opensslVerify(layout.serverCaCert, layout.serverCaCert), 'server CA');
    assertVerifies(opensslVerify(layout.clientCaCert, layout.clientCaCert), 'client CA');
  });

  test('the server certificate does not verify against the client CA, nor the client certificate against the server CA', () => {
    assertDoesNotVerify(opensslVerify(layout.clientCaCert, layout.serverCert), 'server cert via client CA');
    assertDoesNotVerify(
      opensslVerify(layout.serverCaCert, layout.client('admin').cert),
      'admin cert via server CA',
    );
  });

  test('a certificate is not valid for the other side, even with both CAs trusted', async () => {
    const bundle = join(tmp.path, 'both-cas.pem');
    await writeFile(
      bundle,
      (await readFile(layout.serverCaCert, 'utf8')) + (await readFile(layout.clientCaCert, 'utf8')),
    );
    assertVerifies(opensslVerify(bundle, layout.serverCert, 'sslserver'), 'server cert as server');
    assertDoesNotVerify(opensslVerify(bundle, layout.serverCert, 'sslclient'), 'server cert as client');
    assertVerifies(opensslVerify(bundle, layout.client('admin').cert, 'sslclient'), 'admin cert as client');
    assertDoesNotVerify(
      opensslVerify(bundle, layout.client('admin').cert, 'sslserver'),
      'admin cert as server',
    );
  });

  test('the CAs: critical CA:TRUE pathlen 0, critical keyCertSign+cRLSign, EKU of their side, 5 years', async () => {
    for (const [path, eku] of [
      [layout.serverCaCert, 'TLS Web Server Authentication'],
      [layout.clientCaCert, 'TLS Web Client Authentication'],
    ] as const) {
      const text = openssl('x509', '-in', path, '-noout', '-text').stdout;
      assert.match(text, /X509v3 Basic Constraints: critical\n\s+CA:TRUE, pathlen:0/, path);
      assert.match(
        text,
        /X509v3 Key Usage: critical\n\s+Digital Signature, Certificate Sign, CRL Sign/,
        path,
      );
      assert.match(text, new RegExp(`X509v3 Extended Key Usage: \\n\\s+${eku}\\n`), path);
      const c = await cert(path);
      assert.equal(c.ca, true);
      assertLifetime(c, 5 * 365);
    }
  });

  test('the server certificate: SANs (defaults and extra names), EKU serverAuth, CA:FALSE, 1 year', async () => {
    const c = await cert(layout.serverCert);
    assert.equal(
      c.subjectAltName,
      'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:worker.example.com, IP Address:10.1.2.3, IP Address:FD00:0:0:0:0:0:0:7',
    );
    assert.deepEqual(c.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.equal(c.ca, false);
    assert.equal(c.checkHost('localhost'), 'localhost');
    assert.equal(c.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(c.checkHost('worker.example.com'), 'worker.example.com');
    assert.equal(c.checkHost('other.example.com'), undefined);
    const text = openssl('x509', '-in', layout.serverCert, '-noout', '-text').stdout;
    assert.match(text, /X509v3 Basic Constraints: critical\n\s+CA:FALSE/);
    assert.match(text, /X509v3 Key Usage: critical\n\s+Digital Signature\n/);
    assert.match(text, /X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication\n/);
    assertLifetime(c, 365);
    assert.deepEqual(
      result.server.serverNames.map((n) => `${n.type}:${n.value}`),
      ['dns:localhost', 'ip:127.0.0.1', 'ip:::1', 'dns:worker.example.com', 'ip:10.1.2.3', 'ip:fd00::7'],
    );
  });

  test('the admin certificate: CN admin, OU admin, EKU clientAuth, 90 days', async () => {
    const c = await cert(layout.client('admin').cert);
    assert.equal(c.subject, 'O=Workernator\nOU=admin\nCN=admin');
    assert.deepEqual(c.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    assert.equal(c.subjectAltName, undefined);
    assert.match(
      openssl('x509', '-in', layout.client('admin').cert, '-noout', '-text').stdout,
      /X509v3 Extended Key Usage: \n\s+TLS Web Client Authentication\n/,
    );
    assertLifetime(c, 90);
    assert.deepEqual(readIdentity(c), { name: 'admin', role: 'admin' });
    assert.deepEqual({ name: result.admin.name, role: result.admin.role }, { name: 'admin', role: 'admin' });
  });

  test('serials are random, positive, 16 bytes, and distinct', async () => {
    const serials = new Set<string>();
    for (const crt of [
      layout.serverCaCert,
      layout.clientCaCert,
      layout.serverCert,
      layout.client('admin').cert,
    ]) {
      const serial = (await cert(crt)).serialNumber;
      assert.match(serial, /^[0-7][0-9A-F]{31}$/, serial);
      serials.add(serial);
    }
    assert.equal(serials.size, 4);
  });

  test('refuses to overwrite an existing PKI, naming the file, and changes nothing', async () => {
    const before = await readFile(layout.serverCaKey, 'utf8');
    await assert.rejects(certsInit({ tlsDir: layout.dir }), (err: unknown) => {
      assert.ok(err instanceof PkiExistsError);
      assert.equal(err.code, 'WN_PKI_EXISTS');
      assert.equal(err.path, layout.serverCaKey);
      assert.match(err.message, /server-ca\.key already exists/);
      return true;
    });
    assert.equal(await readFile(layout.serverCaKey, 'utf8'), before);
  });

  test('refuses when only one file of the layout exists, and writes nothing', async () => {
    const t = await makeTempDir('pki-partial');
    try {
      const l = tlsLayout(t.path);
      await mkdir(l.clientsDir);
      await writeFile(l.client('admin').cert, 'keep me');
      await assert.rejects(
        certsInit({ tlsDir: l.dir }),
        (err: unknown) => err instanceof PkiExistsError && err.path === l.client('admin').cert,
      );
      assert.deepEqual((await readdir(l.dir)).sort(), ['clients']);
      assert.equal(await readFile(l.client('admin').cert, 'utf8'), 'keep me');
    } finally {
      await t.remove();
    }
  });

  test('force replaces everything with new material (keys still 0600)', async () => {
    const t = await makeTempDir('pki-force');
    try {
      const l = tlsLayout(t.path);
      const first = await certsInit({ tlsDir: l.dir });
      const second = await certsInit({ tlsDir: l.dir, force: true });
      assert.notEqual(first.serverCa.serial, second.serverCa.serial);
      assert.equal(
        (await cert(l.serverCaCert)).serialNumber.toLowerCase(),
        second.serverCa.serial.toLowerCase(),
      );
      assert.equal(await mode(l.serverKey), 0o600);
      assertVerifies(opensslVerify(l.clientCaCert, l.client('admin').cert, 'sslclient'), 'new admin cert');
    } finally {
      await t.remove();
    }
  });

  test('refuses a bad server name before writing anything', async () => {
    const t = await makeTempDir('pki-badname');
    try {
      const dir = join(t.path, 'tls');
      await assert.rejects(
        certsInit({ tlsDir: dir, serverNames: ['bad name!'] }),
        (err: unknown) => err instanceof PkiInvalidArgumentError && err.code === 'WN_PKI_INVALID_ARGUMENT',
      );
      await assert.rejects(
        certsInit({ tlsDir: dir, serverNames: ['*.example.com'] }),
        PkiInvalidArgumentError,
      );
      await assert.rejects(stat(dir), { code: 'ENOENT' });
    } finally {
      await t.remove();
    }
  });

  function assertLifetime(c: X509Certificate, days: number): void {
    const from = Date.parse(c.validFrom);
    const to = Date.parse(c.validTo);
    // notBefore is backdated 5 minutes from the moment of issue; second precision in the certificate.
    assert.ok(from <= startedAt - 5 * 60 * 1000 + 1000, `notBefore ${c.validFrom} is not backdated`);
    assert.ok(from >= startedAt - 5 * 60 * 1000 - 60 * 1000, `notBefore ${c.validFrom} is too early`);
    const lifetime = to - (from + 5 * 60 * 1000);
    assert.ok(
      Math.abs(lifetime - days * DAY_MS) < 60 * 1000,
      `lifetime ${lifetime / DAY_MS} days, expected ${days}`,
    );
  }
});

describe('certsIssue', () => {
  let tmp: { path: string; remove: () => Promise<void> };
  let layout: TlsLayout;

  before(async () => {
    tmp = await makeTempDir('pki-issue');
    layout = tlsLayout(tmp.path);
    await certsInit({ tlsDir: layout.dir });
  });
  after(() => tmp.remove());

  test('issues alice/user into clients/, signed by the client CA, valid for sslclient only', async () => {
    const r = await certsIssue({ tlsDir: layout.dir, name: 'alice', role: 'user' });
    assert.equal(r.certPath, join(layout.clientsDir, 'alice.crt'));
    assert.equal(r.keyPath, join(layout.clientsDir, 'alice.key'));
    assert.equal(await mode(r.keyPath), 0o600);
    assert.equal(await mode(r.certPath), 0o644);
    assertVerifies(opensslVerify(layout.clientCaCert, r.certPath, 'sslclient'), 'alice');
    assertDoesNotVerify(opensslVerify(layout.clientCaCert, r.certPath, 'sslserver'), 'alice as server');
    assertDoesNotVerify(opensslVerify(layout.serverCaCert, r.certPath), 'alice via server CA');
    const c = await cert(r.certPath);
    assert.equal(c.subject, 'O=Workernator\nOU=user\nCN=alice');
    assert.deepEqual(readIdentity(c), { name: 'alice', role: 'user' });
    assert.equal(c.serialNumber.toLowerCase(), r.serial.toLowerCase());
    const text = openssl('x509', '-in', r.certPath, '-noout', '-subject', '-ext', 'extendedKeyUsage').stdout;
    assert.match(text, /subject=O = Workernator, OU = user, CN = alice/);
    assert.match(text, /TLS Web Client Authentication/);
  });

  test('days sets the lifetime', async () => {
    const r = await certsIssue({ tlsDir: layout.dir, name: 'v.iewer_1-x', role: 'viewer', days: 7 });
    const c = await cert(r.certPath);
    const lifetime = Date.parse(c.validTo) - Date.parse(c.validFrom) - 5 * 60 * 1000;
    assert.ok(Math.abs(lifetime - 7 * DAY_MS) < 60 * 1000);
    assert.deepEqual(readIdentity(c), { name: 'v.iewer_1-x', role: 'viewer' });
  });

  test('refuses invalid names, before touching the disk', async () => {
    const before = (await readdir(layout.clientsDir)).sort();
    for (const name of ['../x', '', 'a'.repeat(65), '.hidden', 'a/b', 'al ice', 'é', 'x\u0000']) {
      await assert.rejects(certsIssue({ tlsDir: layout.dir, name, role: 'user' }), (err: unknown) => {
        assert.ok(err instanceof PkiInvalidNameError, `${JSON.stringify(name)}: ${String(err)}`);
        assert.equal(err.code, 'WN_PKI_INVALID_NAME');
        return true;
      });
    }
    assert.deepEqual((await readdir(layout.clientsDir)).sort(), before);
    // 64 characters is the limit, not beyond it.
    const r = await certsIssue({ tlsDir: layout.dir, name: 'b'.repeat(64), role: 'user' });
    assert.deepEqual(readIdentity(await cert(r.certPath)), { name: 'b'.repeat(64), role: 'user' });
  });

  test('refuses an unknown role and a bad lifetime', async () => {
    await assert.rejects(
      certsIssue({ tlsDir: layout.dir, name: 'root', role: 'root' }),
      (err: unknown) => err instanceof PkiInvalidArgumentError && err.field === 'role',
    );
    for (const days of [0, -1, 1.5, 3651, Number.NaN]) {
      await assert.rejects(
        certsIssue({ tlsDir: layout.dir, name: 'bob', role: 'user', days }),
        PkiInvalidArgumentError,
      );
    }
    await assert.rejects(stat(layout.client('root').key), { code: 'ENOENT' });
    await assert.rejects(stat(layout.client('bob').key), { code: 'ENOENT' });
  });

  test('refuses to overwrite an existing client certificate unless forced', async () => {
    const first = await certsIssue({ tlsDir: layout.dir, name: 'carol', role: 'user' });
    const keyBefore = await readFile(first.keyPath, 'utf8');
    await assert.rejects(certsIssue({ tlsDir: layout.dir, name: 'carol', role: 'admin' }), (err: unknown) => {
      assert.ok(err instanceof PkiExistsError);
      assert.equal(err.path, first.keyPath);
      return true;
    });
    assert.equal(await readFile(first.keyPath, 'utf8'), keyBefore);
    await assert.rejects(certsIssue({ tlsDir: layout.dir, name: 'admin', role: 'admin' }), PkiExistsError);

    const second = await certsIssue({ tlsDir: layout.dir, name: 'carol', role: 'admin', force: true });
    assert.notEqual(await readFile(second.keyPath, 'utf8'), keyBefore);
    assert.equal(await mode(second.keyPath), 0o600);
    assert.deepEqual(readIdentity(await cert(second.certPath)), { name: 'carol', role: 'admin' });
  });

  test('a TLS directory without a client CA: names the file and says how to create it', async () => {
    const t = await makeTempDir('pki-noca');
    try {
      await assert.rejects(certsIssue({ tlsDir: t.path, name: 'alice', role: 'user' }), (err: unknown) => {
        assert.ok(err instanceof PkiMissingError);
        assert.equal(err.code, 'WN_PKI_MISSING');
        assert.equal(err.path, tlsLayout(t.path).clientCaCert);
        assert.match(
          err.message,
          /client-ca\.crt does not exist; create it with: workernatord certs init --tls-dir /,
        );
        return true;
      });
    } finally {
      await t.remove();
    }
  });
});
