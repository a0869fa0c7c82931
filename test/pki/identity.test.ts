// readIdentity: the one function that turns a verified peer certificate into { name, role }. The
// malformed certificates are real ones, made with the issue functions and signed by a real CA.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createCa, type CreatedCa } from '../../src/pki/ca.js';
import { PkiIdentityError } from '../../src/pki/errors.js';
import { issueCertificate, issueClientCertificate } from '../../src/pki/issue.js';
import { readIdentity } from '../../src/pki/identity.js';
import type { SubjectFields } from '../../src/pki/profile.js';

describe('readIdentity', () => {
  let ca: CreatedCa;

  before(async () => {
    ca = await createCa({ kind: 'client' });
  });

  async function withSubject(subject: SubjectFields): Promise<X509Certificate> {
    const issued = await issueCertificate(ca, { kind: 'client', subject });
    return new X509Certificate(issued.certPem);
  }

  function assertRefused(source: Parameters<typeof readIdentity>[0], message: RegExp): void {
    assert.throws(
      () => readIdentity(source),
      (err: unknown) => {
        assert.ok(err instanceof PkiIdentityError, String(err));
        assert.equal(err.code, 'WN_PKI_BAD_IDENTITY');
        assert.match(err.message, message);
        return true;
      },
    );
  }

  test('reads name and role from every accepted certificate form', async () => {
    for (const role of ['admin', 'user', 'viewer'] as const) {
      const issued = await issueClientCertificate(ca, { name: `n-${role}`, role });
      const node = new X509Certificate(issued.certPem);
      assert.deepEqual(readIdentity(node), { name: `n-${role}`, role });
      // tls.PeerCertificate (what grpc-js's getAuthContext().sslPeerCertificate is) carries the DER in raw.
      assert.deepEqual(readIdentity({ raw: node.raw }), { name: `n-${role}`, role });
      assert.deepEqual(readIdentity(issued.cert), { name: `n-${role}`, role });
    }
  });

  test('the subject is read from the DER, not from pre-parsed fields a caller might pass along', async () => {
    const node = new X509Certificate(
      (await issueClientCertificate(ca, { name: 'alice', role: 'viewer' })).certPem,
    );
    const forged = { raw: node.raw, subject: { CN: 'root', OU: 'admin' } };
    assert.deepEqual(readIdentity(forged), { name: 'alice', role: 'viewer' });
  });

  test('refuses a missing certificate (grpc-js gives undefined or {} when there is no verified one)', () => {
    assertRefused(undefined, /no verified client certificate/);
    assertRefused(null, /no verified client certificate/);
    assertRefused({}, /no verified client certificate/);
    assertRefused({ raw: Buffer.alloc(0) }, /no verified client certificate/);
  });

  test('refuses bytes that are not a certificate', () => {
    assertRefused({ raw: Buffer.from('not a certificate') }, /cannot be parsed/);
  });

  test('refuses a certificate without an OU', async () => {
    assertRefused(await withSubject({ commonName: 'alice' }), /exactly one subject OU .*it has 0/);
  });

  test('refuses a certificate with two OUs, even if both are roles', async () => {
    assertRefused(
      await withSubject({ commonName: 'alice', organizationalUnits: ['viewer', 'admin'] }),
      /exactly one subject OU .*it has 2/,
    );
  });

  test("refuses an OU that is not a role ('root', 'Admin')", async () => {
    assertRefused(
      await withSubject({ commonName: 'alice', organizationalUnits: ['root'] }),
      /OU "root" is not a role/,
    );
    assertRefused(
      await withSubject({ commonName: 'alice', organizationalUnits: ['Admin'] }),
      /OU "Admin" is not a role/,
    );
  });

  test('refuses a certificate without a CN', async () => {
    assertRefused(await withSubject({ organizationalUnits: ['admin'] }), /exactly one subject CN .*it has 0/);
  });

  test('refuses a CN with characters a name may not have', async () => {
    for (const cn of [
      '../etc',
      'alice bob',
      'alice\u0000',
      'ädmin',
      '.hidden',
      'a'.repeat(65),
      'a,OU=admin',
    ]) {
      assertRefused(
        await withSubject({ commonName: cn, organizationalUnits: ['user'] }),
        /subject CN .* is not a valid name/,
      );
    }
  });
});

describe('readIdentity cache', () => {
  test('returns the same frozen identity for the same certificate, and distinct ones for others', async () => {
    const ca = await createCa({ kind: 'client' });
    const a = new X509Certificate((await issueClientCertificate(ca, { name: 'a', role: 'user' })).certPem);
    const b = new X509Certificate((await issueClientCertificate(ca, { name: 'b', role: 'viewer' })).certPem);
    const first = readIdentity({ raw: a.raw });
    assert.equal(readIdentity({ raw: Buffer.from(a.raw) }), first);
    assert.ok(Object.isFrozen(first));
    assert.deepEqual(readIdentity(b), { name: 'b', role: 'viewer' });
    // More certificates than the cache holds: still correct, memory stays bounded.
    const der = Buffer.from(a.raw);
    for (let i = 0; i < 1100; i++) {
      // Distinct bytes that are not a certificate are refused and never cached.
      assert.throws(() => readIdentity({ raw: Buffer.concat([der, Buffer.from([i & 0xff, i >> 8])]) }));
    }
    assert.deepEqual(readIdentity(a), { name: 'a', role: 'user' });
  });
});
