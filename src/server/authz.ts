/**
 * Authorization, in one place for every method. The table maps each full method name to what each
 * role may do with it; a method missing from the table is refused (deny by default), and a test
 * checks that the table covers exactly the generated services' methods. The role comes from the
 * client certificate's subject OU (see src/pki/identity.ts).
 *
 *   all  - the call is allowed on every job
 *   own  - the call is allowed on the caller's own jobs only; another owner's job answers NOT_FOUND
 *          with the same text as a missing job, so IDs of other people's jobs cannot be probed
 *   none - PERMISSION_DENIED
 */
import { JobNotFoundError, InvalidArgumentError } from '../core/errors.js';
import type { Job, JobArguments } from '../core/types.js';
import { JobServiceService } from '../gen/workernator/v1/workernator.js';
import type { Identity } from '../pki/identity.js';
import type { Role } from '../pki/names.js';
import { PermissionDeniedError } from './errors.js';
import { HEALTH_CHECK_PATH, HEALTH_WATCH_PATH } from './health/health-service.js';
import type { StartRequest } from './wire/requests.js';

export type Access = 'all' | 'own' | 'none';
type MethodPath = (typeof JobServiceService)[keyof typeof JobServiceService]['path'];

const READ = { admin: 'all', user: 'own', viewer: 'all' } as const;
const CHANGE = { admin: 'all', user: 'own', viewer: 'none' } as const;
const ANYONE = { admin: 'all', user: 'all', viewer: 'all' } as const;

export const METHOD_RULES: Readonly<Record<string, Readonly<Record<Role, Access>>>> = {
  [JobServiceService.start.path]: CHANGE,
  [JobServiceService.stop.path]: CHANGE,
  [JobServiceService.status.path]: READ,
  [JobServiceService.tail.path]: READ,
  [JobServiceService.list.path]: READ,
  // Health says nothing about jobs; any verified client may ask it.
  [HEALTH_CHECK_PATH]: ANYONE,
  [HEALTH_WATCH_PATH]: ANYONE,
} satisfies Record<MethodPath | typeof HEALTH_CHECK_PATH | typeof HEALTH_WATCH_PATH, Record<Role, Access>>;

const ARTICLE: Readonly<Record<Role, string>> = { admin: 'an admin', user: 'a user', viewer: 'a viewer' };

/** What `identity` may do with `method`: 'all' or 'own'; throws PermissionDeniedError otherwise. */
export function authorizeMethod(method: string, identity: Identity): Exclude<Access, 'none'> {
  const access = Object.hasOwn(METHOD_RULES, method) ? METHOD_RULES[method]?.[identity.role] : undefined;
  if (access === undefined || access === 'none') {
    const name = method.slice(method.lastIndexOf('/') + 1);
    const hint = identity.role === 'viewer' ? ' (a viewer may only read jobs: Status, Tail and List)' : '';
    throw new PermissionDeniedError(method, `${ARTICLE[identity.role]} may not call ${name}${hint}`);
  }
  return access;
}

/** Throws JobNotFoundError, exactly as for a missing job, when `access` is 'own' and the job is not the caller's. */
export function assertJobVisible(access: Exclude<Access, 'none'>, identity: Identity, job: Job): void {
  if (access === 'own' && job.owner !== identity.name) throw new JobNotFoundError(job.id);
}

/** The owner filter a List runs with: the caller's own name for 'own' access. */
export function listOwner(
  method: string,
  access: Exclude<Access, 'none'>,
  identity: Identity,
  requested: string | undefined,
): string | undefined {
  if (access === 'all') return requested;
  if (requested !== undefined && requested !== identity.name) {
    throw new PermissionDeniedError(
      method,
      `${ARTICLE[identity.role]} may list only their own jobs; leave owner empty or set it to ${JSON.stringify(identity.name)}`,
    );
  }
  return identity.name;
}

/** The server's start policy, from its configuration. */
export interface StartPolicy {
  readonly denyCommandJobsForUsers: boolean;
  /**
   * When non-empty, a wait-then-send URL must start with one of these (normalized URLs), and a URL
   * that does may reach addresses that are not public (see allowsPrivateDestinations).
   */
  readonly allowedUrlPrefixes: readonly string[];
}

/**
 * Whether a wait-then-send job may connect to loopback, private, link-local, multicast or unspecified
 * addresses: only when its URL is under a prefix the operator listed in allowedUrlPrefixes. Such a
 * prefix always names its host (a normalized URL has a "/" after the host), so listing it is the
 * operator vouching for that host, wherever it resolves. With no prefixes (the default: any URL),
 * the job reaches public addresses only; the check is made in the job's process, on the address
 * it connects to (src/core/jobs/destinations.ts).
 */
export function allowsPrivateDestinations(args: JobArguments, policy: StartPolicy): boolean {
  return (
    args.type === 'wait-then-send' && policy.allowedUrlPrefixes.some((prefix) => args.url.startsWith(prefix))
  );
}

/**
 * The rights a Start needs beyond calling the method: root and the host network are an admin's
 * (wait-then-send always gets the network, since its code is ours and needs it), command jobs are
 * a user's unless the server denies them, and a wait-then-send URL must be under an allowed prefix.
 */
export function authorizeStart(
  method: string,
  identity: Identity,
  request: StartRequest,
  policy: StartPolicy,
): void {
  const { args } = request;
  const admin = identity.role === 'admin';
  if (request.runAsRoot && !admin) {
    throw new PermissionDeniedError(
      method,
      `run_as_root: only an admin may run a job as root, and you are ${ARTICLE[identity.role]}`,
    );
  }
  if (args.type === 'wait-then-send') {
    if (request.network === 'isolated') {
      throw new InvalidArgumentError(
        'network',
        'a wait-then-send job needs the network to reach its URL; leave network unset',
      );
    }
    const prefixes = policy.allowedUrlPrefixes;
    if (prefixes.length > 0 && !prefixes.some((prefix) => args.url.startsWith(prefix))) {
      throw new PermissionDeniedError(
        method,
        `url: ${args.url} is not under a prefix this server allows (${prefixes.join(', ')})`,
      );
    }
  } else if (request.network === 'host' && !admin) {
    throw new PermissionDeniedError(
      method,
      `network: only an admin may give a job the host network, and you are ${ARTICLE[identity.role]}`,
    );
  }
  if (args.type === 'command' && identity.role === 'user' && policy.denyCommandJobsForUsers) {
    throw new PermissionDeniedError(
      method,
      'this server does not let users start command jobs; ask an admin',
    );
  }
}
