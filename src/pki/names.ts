/**
 * The names the PKI accepts: client names (a file name and a certificate CN), roles (a subject OU),
 * and server names (SubjectAltName entries). Each check is strict and ASCII-only, so a name can be
 * neither a path trick nor a look-alike of another name.
 */
import { isIP } from 'node:net';
import { PkiInvalidArgumentError, PkiInvalidNameError } from './errors.js';

export const ROLES = ['admin', 'user', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const CLIENT_NAME_MAX_LENGTH = 64;
const CLIENT_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Why `name` is not a valid client name, or undefined when it is. */
export function clientNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > CLIENT_NAME_MAX_LENGTH) {
    return `it has ${name.length} characters, at most ${CLIENT_NAME_MAX_LENGTH} are allowed`;
  }
  // No leading dot: it rules out '.', '..' and hidden files in clients/.
  if (name.startsWith('.')) return "it starts with '.'";
  if (!CLIENT_NAME.test(name)) return 'only letters A-Z a-z, digits, and . _ - are allowed';
  return undefined;
}

/** Returns `name` if it is a valid client name: 1-64 of [A-Za-z0-9._-], not starting with '.'. */
export function validateClientName(name: string): string {
  const problem = clientNameProblem(name);
  if (problem !== undefined) throw new PkiInvalidNameError(name, problem);
  return name;
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function validateRole(value: string): Role {
  if (!isRole(value)) {
    throw new PkiInvalidArgumentError('role', `${JSON.stringify(value)} is not one of ${ROLES.join(', ')}`);
  }
  return value;
}

/** A SubjectAltName entry of a server certificate. */
export interface ServerName {
  readonly type: 'dns' | 'ip';
  readonly value: string;
}

/** The names every server certificate carries: the CLI dials localhost by default. */
export const DEFAULT_SERVER_NAMES: readonly ServerName[] = [
  { type: 'dns', value: 'localhost' },
  { type: 'ip', value: '127.0.0.1' },
  { type: 'ip', value: '::1' },
];

const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/**
 * Classifies a `--server-name` value: an IPv4/IPv6 address becomes an IP SAN, anything else must be
 * a plain DNS name (no wildcard: a worker is one host, and a wildcard would let any host under the
 * domain pose as it). DNS names are lowercased, as name matching is case-insensitive anyway.
 */
export function parseServerName(raw: string): ServerName {
  const value = raw.trim();
  if (isIP(value) !== 0) return { type: 'ip', value };
  const dns = value.endsWith('.') ? value.slice(0, -1) : value;
  if (dns.length === 0 || dns.length > 253 || !dns.split('.').every((label) => DNS_LABEL.test(label))) {
    throw new PkiInvalidArgumentError(
      'server name',
      `${JSON.stringify(raw)} is neither an IP address nor a DNS name (letters, digits and '-' in dot-separated labels)`,
    );
  }
  return { type: 'dns', value: dns.toLowerCase() };
}

/** The default names plus `extra`, parsed, without duplicates, in a stable order. */
export function serverNames(extra: readonly string[] = []): ServerName[] {
  const out: ServerName[] = [...DEFAULT_SERVER_NAMES];
  for (const raw of extra) {
    const name = parseServerName(raw);
    if (!out.some((n) => n.type === name.type && n.value === name.value)) out.push(name);
  }
  return out;
}
