/**
 * Where a wait-then-send job may connect. It runs on the host's network for every user, so without a
 * check it could POST to the host's own services (127.0.0.1, ::1), the cloud metadata endpoint
 * (169.254.169.254, fd00:ec2::254) and anything on the private network. By default it reaches only
 * public addresses; the one who starts the job (the server, when its operator allows the URL) can
 * allow the rest.
 *
 * The check is made on the address the connection actually goes to, inside the socket's own DNS
 * lookup, so a name that resolves to 127.0.0.1 is caught and DNS cannot answer differently between
 * a check and the connect. Runs in the job's process: node: modules only.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** The kinds of address a job may reach only when allowed: every address that is not public. */
export type NonPublicKind =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared (carrier-grade NAT)'
  | 'link-local'
  | 'multicast'
  | 'reserved';

/** Each kind's networks. IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) match their IPv4 network. */
const NETWORKS: readonly (readonly [NonPublicKind, string, number, 'ipv4' | 'ipv6'])[] = [
  ['unspecified', '0.0.0.0', 8, 'ipv4'], // "this network": 0.0.0.0 reaches the host itself on Linux
  ['unspecified', '::', 128, 'ipv6'],
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  ['loopback', '::1', 128, 'ipv6'],
  ['private', '10.0.0.0', 8, 'ipv4'], // RFC 1918
  ['private', '172.16.0.0', 12, 'ipv4'],
  ['private', '192.168.0.0', 16, 'ipv4'],
  ['private', 'fc00::', 7, 'ipv6'], // unique local addresses (AWS's metadata endpoint fd00:ec2::254)
  ['private', 'fec0::', 10, 'ipv6'], // site-local, deprecated but still routed by some
  ['shared (carrier-grade NAT)', '100.64.0.0', 10, 'ipv4'], // RFC 6598; Alibaba's metadata service
  ['link-local', '169.254.0.0', 16, 'ipv4'], // the cloud metadata endpoint 169.254.169.254
  ['link-local', 'fe80::', 10, 'ipv6'],
  ['multicast', '224.0.0.0', 4, 'ipv4'],
  ['multicast', 'ff00::', 8, 'ipv6'],
  ['reserved', '240.0.0.0', 4, 'ipv4'], // and the broadcast address 255.255.255.255
  ['reserved', '::', 96, 'ipv6'], // IPv4-compatible, deprecated (::1 and :: are matched above)
];

const BLOCK_LISTS: readonly (readonly [NonPublicKind, BlockList])[] = (() => {
  const lists = new Map<NonPublicKind, BlockList>();
  for (const [kind, network, prefix, family] of NETWORKS) {
    const list = lists.get(kind) ?? new BlockList();
    list.addSubnet(network, prefix, family);
    lists.set(kind, list);
  }
  return [...lists];
})();

/** The well-known NAT64 prefix 64:ff9b::/96 carries an IPv4 address in its last 32 bits. */
function nat64Embedded(address: string): string | undefined {
  // The URL parser writes IPv6 in its canonical compressed form: 64:ff9b::a9fe:a9fe.
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const match = /^64:ff9b::(?:([0-9a-f]{1,4}):)?([0-9a-f]{1,4})?$/.exec(canonical);
  if (match === null) return undefined;
  const value = parseInt(match[1] ?? '0', 16) * 0x10000 + parseInt(match[2] ?? '0', 16);
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.');
}

/** What kind of non-public address `address` (an IP literal) is, or undefined for a public one. */
export function nonPublicKind(address: string): NonPublicKind | undefined {
  const family = isIP(address);
  if (family === 0) throw new TypeError(`not an IP address: ${address}`);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [kind, list] of BLOCK_LISTS) {
    if (list.check(address, type)) return kind;
  }
  const embedded = family === 6 ? nat64Embedded(address) : undefined;
  return embedded === undefined ? undefined : nonPublicKind(embedded);
}

/** A connection to an address the job may not reach; the message says how an operator allows it. */
export class DestinationRefusedError extends Error {
  override readonly name = 'DestinationRefusedError';
  readonly code = 'WN_DESTINATION_REFUSED';
  constructor(
    /** The URL's host: a name, or the address itself. */
    readonly host: string,
    readonly address: string,
    readonly kind: NonPublicKind,
  ) {
    const where = host === address ? address : `${host} (${address})`;
    const article = kind === 'unspecified' ? 'an' : 'a';
    super(
      `refused to connect to ${where}, ${article} ${kind} address: wait-then-send jobs reach only public ` +
        "addresses unless the server's operator allows the URL (setting allowedUrlPrefixes, " +
        'flag --allowed-url-prefix)',
    );
  }
}

/** The host of a URL as a socket sees it: [::1] without its brackets. */
function socketHost(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * Refuses a URL whose host is itself a non-public address. Node does no DNS lookup for an IP
 * literal, so the lookup hook below never sees those: this catches them before the request.
 */
export function checkLiteralDestination(url: URL): void {
  const host = socketHost(url);
  if (isIP(host) === 0) return;
  const kind = nonPublicKind(host);
  if (kind !== undefined) throw new DestinationRefusedError(host, host, kind);
}

type Resolve = (
  hostname: string,
  options: LookupOptions & { all: true },
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * A `lookup` for http.request and net.connect that answers with the public addresses of a name
 * only, and fails with DestinationRefusedError when it has none. A socket connects only to what its
 * lookup answered, so the job cannot reach the others. `resolve` is for tests (dns.lookup).
 */
export function publicAddressLookup(resolve: Resolve = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error !== null) {
        callback(error, '');
        return;
      }
      const allowed = addresses.filter(({ address }) => nonPublicKind(address) === undefined);
      const first = allowed[0];
      if (first === undefined) {
        const refused = addresses[0];
        const failure =
          refused === undefined
            ? Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' })
            : new DestinationRefusedError(
                hostname,
                refused.address,
                nonPublicKind(refused.address) ?? 'reserved',
              );
        callback(failure, '');
        return;
      }
      if (options.all === true) callback(null, allowed);
      else callback(null, first.address, first.family);
    });
  };
}
