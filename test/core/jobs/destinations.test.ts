import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { describe, it } from 'node:test';
import {
  checkLiteralDestination,
  DestinationRefusedError,
  nonPublicKind,
  publicAddressLookup,
} from '../../../src/core/jobs/destinations.js';

describe('nonPublicKind', () => {
  const cases: [string, string | undefined][] = [
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fd00:ec2::254', 'private'],
    ['fc00::1', 'private'],
    ['FD12:3456::1', 'private'],
    ['fec0::1', 'private'],
    ['100.64.0.1', 'shared (carrier-grade NAT)'],
    ['100.100.100.200', 'shared (carrier-grade NAT)'],
    ['169.254.169.254', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['::127.0.0.1', 'reserved'],
    // NAT64 (64:ff9b::/96) is judged by the IPv4 address it carries.
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::', 'unspecified'],
    ['64:ff9b::808:808', undefined],
    // Public.
    ['8.8.8.8', undefined],
    ['1.1.1.1', undefined],
    ['172.32.0.1', undefined],
    ['172.15.255.255', undefined],
    ['100.128.0.1', undefined],
    ['169.255.0.1', undefined],
    ['11.0.0.1', undefined],
    ['2001:4860:4860::8888', undefined],
    ['::ffff:8.8.8.8', undefined],
    ['64:ff9b:1::a9fe:a9fe', undefined],
  ];
  for (const [address, kind] of cases) {
    it(`${address}: ${kind ?? 'public'}`, () => assert.equal(nonPublicKind(address), kind));
  }

  it('refuses something that is not an address', () => {
    assert.throws(() => nonPublicKind('localhost'), TypeError);
  });
});

describe('checkLiteralDestination', () => {
  it('refuses a URL whose host is a non-public address, and says how an operator allows it', () => {
    assert.throws(
      () => checkLiteralDestination(new URL('http://169.254.169.254/latest/meta-data/')),
      (error) => {
        assert.ok(error instanceof DestinationRefusedError);
        assert.equal(error.address, '169.254.169.254');
        assert.equal(error.kind, 'link-local');
        assert.equal(
          error.message,
          'refused to connect to 169.254.169.254, a link-local address: wait-then-send jobs reach only ' +
            "public addresses unless the server's operator allows the URL (setting allowedUrlPrefixes, " +
            'flag --allowed-url-prefix)',
        );
        return true;
      },
    );
    assert.throws(() => checkLiteralDestination(new URL('http://[::1]:8080/')), {
      address: '::1',
      kind: 'loopback',
    });
    assert.throws(() => checkLiteralDestination(new URL('http://0.0.0.0/')), {
      message: /^refused to connect to 0\.0\.0\.0, an unspecified address/,
    });
    // The URL parser turns every spelling of an IPv4 address into the dotted one.
    assert.throws(() => checkLiteralDestination(new URL('http://2130706433/')), { address: '127.0.0.1' });
    assert.throws(() => checkLiteralDestination(new URL('http://0x7f.1/')), { address: '127.0.0.1' });
  });

  it('lets public addresses and names through (names are checked when they resolve)', () => {
    checkLiteralDestination(new URL('https://8.8.8.8/'));
    checkLiteralDestination(new URL('https://[2001:4860:4860::8888]/'));
    checkLiteralDestination(new URL('http://localhost/'));
  });
});

describe('publicAddressLookup', () => {
  /** A lookup over a fixed answer, as dns.lookup with { all: true } gives it. */
  const lookupOver = (addresses: LookupAddress[], error: NodeJS.ErrnoException | null = null) =>
    publicAddressLookup((_hostname, options, callback) => {
      assert.equal(options.all, true);
      callback(error, addresses);
    });

  const call = (
    lookup: ReturnType<typeof publicAddressLookup>,
    all: boolean,
  ): Promise<{ error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }> =>
    new Promise((resolve) =>
      lookup('hooks.example', { all }, (error, address, family) => resolve({ error, address, family })),
    );

  it('answers with the public addresses of a name only', async () => {
    const lookup = lookupOver([
      { address: '10.0.0.5', family: 4 },
      { address: '93.184.215.14', family: 4 },
      { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
    ]);
    assert.deepEqual(await call(lookup, true), {
      error: null,
      address: [
        { address: '93.184.215.14', family: 4 },
        { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
      ],
      family: undefined,
    });
    assert.deepEqual(await call(lookup, false), { error: null, address: '93.184.215.14', family: 4 });
  });

  it('fails with DestinationRefusedError, naming the name and its address, when none is public', async () => {
    const { error } = await call(
      lookupOver([
        { address: '127.0.0.1', family: 4 },
        { address: '::1', family: 6 },
      ]),
      true,
    );
    assert.ok(error instanceof DestinationRefusedError);
    assert.equal(error.host, 'hooks.example');
    assert.match(error.message, /^refused to connect to hooks\.example \(127\.0\.0\.1\), a loopback address/);
  });

  it('passes DNS failures on unchanged', async () => {
    const failure = Object.assign(new Error('getaddrinfo ENOTFOUND hooks.example'), { code: 'ENOTFOUND' });
    const { error } = await call(lookupOver([], failure), true);
    assert.equal(error, failure);
  });
});
