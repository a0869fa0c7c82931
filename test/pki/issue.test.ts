// The building blocks under the commands: CA creation, loading a CA from PEM, issuing with
// explicit validity, key PEM round trips, and name parsing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { createCa } from '../../src/pki/ca.js';
import {
  PkiInvalidArgumentError,
  PkiInvalidMaterialError,
  PkiInvalidNameError,
} from '../../src/pki/errors.js';
import {
  issueCertificate,
  issueClientCertificate,
  issueServerCertificate,
  loadCa,
} from '../../src/pki/issue.js';
import { exportPrivateKeyPem, generateKeyPair, importPrivateKeyPem } from '../../src/pki/keys.js';
import { tlsLayout } from '../../src/pki/layout.js';
import { parseServerName, serverNames, validateClientName } from '../../src/pki/names.js';
import { randomSerialHex } from '../../src/pki/validity.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('CA and issuing', () => {
  test('loadCa round-trips a CA from PEM and signs with it', async () => {
    const created = await createCa({ kind: 'client' });
    const loaded = await loadCa(created.certPem, created.keyPem, { kind: 'client' });
    assert.equal(loaded.keyId, created.keyId);
    const issued = await issueClientCertificate(loaded, { name: 'alice', role: 'user' });
    const leaf = new X509Certificate(issued.certPem);
    assert.ok(leaf.checkIssued(new X509Certificate(created.certPem)));
    assert.ok(leaf.verify(new X509Certificate(created.certPem).publicKey));
    assert.ok(leaf.checkPrivateKey(createPrivateKey(issued.keyPem)));
  });

  test('loadCa refuses a CA of the other side, a leaf, a foreign key and garbage', async () => {
    const serverCa = await createCa({ kind: 'server' });
    const clientCa = await createCa({ kind: 'client' });
    await assert.rejects(
      loadCa(serverCa.certPem, serverCa.keyPem, { kind: 'client', certPath: '/x/server-ca.crt' }),
      (err: unknown) =>
        err instanceof PkiInvalidMaterialError &&
        /\/x\/server-ca\.crt: this CA is not for client certificates/.test(err.message),
    );
    const leaf = await issueClientCertificate(clientCa, { name: 'alice', role: 'user' });
    await assert.rejects(loadCa(leaf.certPem, leaf.keyPem, { kind: 'client' }), /not a CA/);
    await assert.rejects(
      loadCa(clientCa.certPem, serverCa.keyPem, { kind: 'client' }),
      /this key is not the key of the CA/,
    );
    await assert.rejects(loadCa('hello', clientCa.keyPem, { kind: 'client' }), PkiInvalidMaterialError);
    await assert.rejects(loadCa(clientCa.certPem, 'hello', { kind: 'client' }), /not a usable private key/);
  });

  test('loadCa refuses an expired CA', async () => {
    const now = Date.now();
    const old = await createCa({
      kind: 'client',
      validity: { notBefore: new Date(now - 10 * DAY_MS), notAfter: new Date(now - DAY_MS) },
    });
    await assert.rejects(loadCa(old.certPem, old.keyPem, { kind: 'client' }), /this CA expired/);
  });

  test('a CA signs only its own side', async () => {
    const serverCa = await createCa({ kind: 'server' });
    await assert.rejects(
      issueClientCertificate(serverCa, { name: 'alice', role: 'user' }),
      PkiInvalidArgumentError,
    );
    await assert.rejects(
      issueCertificate(serverCa, { kind: 'client', subject: { commonName: 'x' } }),
      /does not sign client/,
    );
  });

  test('explicit validity is honoured; an empty or inverted one is refused', async () => {
    const ca = await createCa({ kind: 'client' });
    const notBefore = new Date(Date.UTC(2020, 0, 1));
    const notAfter = new Date(Date.UTC(2020, 0, 2));
    const issued = await issueClientCertificate(ca, {
      name: 'old',
      role: 'user',
      validity: { notBefore, notAfter },
    });
    assert.equal(issued.cert.notBefore.getTime(), notBefore.getTime());
    assert.equal(issued.cert.notAfter.getTime(), notAfter.getTime());
    await assert.rejects(
      issueClientCertificate(ca, {
        name: 'x',
        role: 'user',
        validity: { notBefore: notAfter, notAfter: notBefore },
      }),
      PkiInvalidArgumentError,
    );
  });

  test('server certificates carry the default names plus extra ones, deduplicated', async () => {
    const ca = await createCa({ kind: 'server' });
    const issued = await issueServerCertificate(ca, {
      extraNames: ['LOCALHOST', '127.0.0.1', 'Build-01.internal.'],
    });
    assert.equal(
      new X509Certificate(issued.certPem).subjectAltName,
      'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:build-01.internal',
    );
  });
});

describe('keys', () => {
  test('PKCS#8 PEM round trip, and SEC1 PEM is accepted on import', async () => {
    const { privateKey } = await generateKeyPair();
    const pem = await exportPrivateKeyPem(privateKey);
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END PRIVATE KEY-----/);
    const node = createPrivateKey(pem);
    assert.equal(node.asymmetricKeyType, 'ec');
    assert.equal(node.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal((await importPrivateKeyPem(pem)).type, 'private');
    const sec1 = node.export({ format: 'pem', type: 'sec1' }).toString();
    assert.equal((await importPrivateKeyPem(sec1)).type, 'private');
  });

  test('refuses keys that are not P-256', async () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    await assert.rejects(
      importPrivateKeyPem(p384, '/k.key'),
      /\/k\.key: not a usable private key: .*secp384r1/,
    );
    const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    await assert.rejects(importPrivateKeyPem(ed), /ed25519 key, not ECDSA P-256/);
  });
});

describe('names and serials', () => {
  test('client names', () => {
    for (const ok of ['a', 'alice', 'Alice.B_c-1', 'a.', '-x', 'x'.repeat(64)])
      assert.equal(validateClientName(ok), ok);
    for (const bad of ['', '.', '..', '../x', '.x', 'x'.repeat(65), 'a b', 'a/b', 'a\\b', 'é', 'a:b']) {
      assert.throws(() => validateClientName(bad), PkiInvalidNameError, JSON.stringify(bad));
    }
  });

  test('the layout refuses a client name that is not a safe file name', () => {
    const layout = tlsLayout('/etc/workernator/tls');
    assert.deepEqual(layout.client('alice'), {
      cert: '/etc/workernator/tls/clients/alice.crt',
      key: '/etc/workernator/tls/clients/alice.key',
    });
    assert.throws(() => layout.client('../server'), PkiInvalidNameError);
  });

  test('server names: IPs are detected, DNS names checked and lowercased, wildcards refused', () => {
    assert.deepEqual(parseServerName('10.0.0.1'), { type: 'ip', value: '10.0.0.1' });
    assert.deepEqual(parseServerName('fe80::1'), { type: 'ip', value: 'fe80::1' });
    assert.deepEqual(parseServerName('Worker-1.Example.COM'), { type: 'dns', value: 'worker-1.example.com' });
    for (const bad of [
      '',
      '*.example.com',
      'a..b',
      '-a.com',
      'a-.com',
      'a b',
      'x'.repeat(64) + '.com',
      '1.2.3.4/24',
    ]) {
      assert.throws(() => parseServerName(bad), PkiInvalidArgumentError, JSON.stringify(bad));
    }
    assert.equal(serverNames().length, 3);
  });

  test('serials are 16 bytes, positive, without a leading zero byte', () => {
    for (let i = 0; i < 200; i++) {
      const hex = randomSerialHex();
      assert.match(hex, /^[0-7][0-9a-f]{31}$/);
      assert.notEqual(hex.slice(0, 2), '00');
    }
  });
});
