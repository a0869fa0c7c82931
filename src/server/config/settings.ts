/**
 * Every setting of workernatord, defined once: its config-file key, flag, env var, parser, default
 * and description. The flags, the env vars, the config file and docs/server.md all come from this
 * table, so none of them can drift from the others.
 */
import type { ResourceLimits } from '../../core/types.js';
import {
  parseAddress,
  parseBoolean,
  parseBytes,
  parseCertificateSerial,
  parseChoice,
  parseClientName,
  parseDuration,
  parseDurationWithin,
  parseLimits,
  parseList,
  parsePath,
  parsePositiveCount,
  parseString,
  parseUrlPrefix,
  LONGEST_TIMEOUT_MS,
  type ValueOrigin,
} from './values.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const SHUTDOWN_JOBS = ['stop', 'leave'] as const;

/** The merged configuration. Durations are in milliseconds and sizes in bytes once parsed. */
export interface ServerConfig {
  readonly listen: string;
  readonly dataDir: string;
  readonly tlsDir: string;
  readonly logLevel: LogLevel;
  readonly jobDefaults: ResourceLimits;
  readonly jobMaxima: ResourceLimits;
  readonly jobUser: string | undefined;
  readonly jobGroup: string | undefined;
  readonly denyCommandJobsForUsers: boolean;
  readonly allowedUrlPrefixes: readonly string[];
  readonly outputCap: number;
  readonly retentionMaxAge: number | undefined;
  readonly retentionMaxBytes: number | undefined;
  readonly stopGrace: number;
  readonly shutdownJobs: (typeof SHUTDOWN_JOBS)[number];
  readonly shutdownGrace: number | undefined;
  readonly shutdownTimeout: number;
  readonly maxRunningJobs: number;
  readonly maxRunningJobsPerIdentity: number;
  readonly maxTailsPerIdentity: number;
  readonly maxRequestSize: number;
  readonly handshakeTimeout: number;
  readonly connectionIdleTimeout: number;
  readonly keepaliveInterval: number;
  readonly keepaliveTimeout: number;
  readonly deniedClientSerials: readonly string[];
  readonly deniedClientNames: readonly string[];
  readonly metricsListen: string | undefined;
  readonly metricsAllowNonLoopback: boolean;
  readonly keepOwnCgroup: boolean;
  readonly unsafeNoSandbox: boolean;
}

export interface Setting<K extends keyof ServerConfig> {
  readonly key: K;
  /** The flag as commander declares it, e.g. "--listen <host:port>". */
  readonly flag: string;
  readonly env: string;
  /** A flag given several times adds up (a list, or limits name by name). */
  readonly repeatable?: boolean;
  readonly parse: (value: unknown, origin: ValueOrigin) => NonNullable<ServerConfig[K]>;
  readonly default: ServerConfig[K];
  /** The default as docs and --help show it. */
  readonly shownDefault?: string;
  readonly description: string;
  /** SIGHUP applies a new value to the running server; other settings need a restart. */
  readonly reloadable?: boolean;
}

type SettingTable = { readonly [K in keyof ServerConfig]-?: Setting<K> };

const env = (name: string) => `WORKERNATORD_${name}`;

export const SETTINGS: SettingTable = {
  listen: {
    key: 'listen',
    flag: '--listen <host:port>',
    env: env('LISTEN'),
    parse: parseAddress,
    default: '127.0.0.1:50051',
    description: 'address to serve on (port 0: any free port)',
  },
  dataDir: {
    key: 'dataDir',
    flag: '--data-dir <dir>',
    env: env('DATA_DIR'),
    parse: parsePath,
    default: '/var/lib/workernator',
    description: "the job store and every job's output (created 0700)",
  },
  tlsDir: {
    key: 'tlsDir',
    flag: '--tls-dir <dir>',
    env: env('TLS_DIR'),
    parse: parsePath,
    default: '/etc/workernator/tls',
    reloadable: true,
    description:
      'TLS material as `workernatord certs init` writes it (SIGHUP re-reads the server certificate, key and client CA)',
  },
  logLevel: {
    key: 'logLevel',
    flag: '--log-level <level>',
    env: env('LOG_LEVEL'),
    parse: parseChoice(LOG_LEVELS),
    default: 'info',
    description: `one of ${LOG_LEVELS.join(', ')}`,
  },
  jobDefaults: {
    key: 'jobDefaults',
    flag: '--job-default <limit=value>',
    env: env('JOB_DEFAULTS'),
    repeatable: true,
    parse: parseLimits,
    // A job that asks for nothing is still confined: one core, 512 MiB, 1024 processes.
    default: { cpuMillicores: 1000, memoryBytes: 512 * 1024 * 1024, pids: 1024 },
    shownDefault: 'cpu=1000, memory=512MiB, pids=1024',
    description:
      'limit a job gets when it asks for none: cpu (millicores), memory, io-read-bps, io-write-bps, io-read-iops, io-write-iops, pids',
  },
  jobMaxima: {
    key: 'jobMaxima',
    flag: '--job-max <limit=value>',
    env: env('JOB_MAXIMA'),
    repeatable: true,
    parse: parseLimits,
    default: {},
    shownDefault: 'none',
    description:
      'cap on a limit: a request above it is refused (INVALID_ARGUMENT); a job that asks for none gets the cap',
  },
  jobUser: {
    key: 'jobUser',
    flag: '--job-user <user>',
    env: env('JOB_USER'),
    parse: parseString,
    default: undefined,
    shownDefault: 'nobody',
    description: 'unprivileged user jobs run as (sandbox only)',
  },
  jobGroup: {
    key: 'jobGroup',
    flag: '--job-group <group>',
    env: env('JOB_GROUP'),
    parse: parseString,
    default: undefined,
    shownDefault: 'nogroup',
    description: 'group jobs run as (sandbox only)',
  },
  denyCommandJobsForUsers: {
    key: 'denyCommandJobsForUsers',
    flag: '--deny-command-jobs-for-users',
    env: env('DENY_COMMAND_JOBS_FOR_USERS'),
    parse: parseBoolean,
    default: false,
    description: 'only admins may start command jobs',
  },
  allowedUrlPrefixes: {
    key: 'allowedUrlPrefixes',
    flag: '--allowed-url-prefix <url>',
    env: env('ALLOWED_URL_PREFIXES'),
    repeatable: true,
    parse: parseList(parseUrlPrefix),
    default: [],
    shownDefault: 'any URL, public addresses only',
    description:
      'a wait-then-send URL must start with one of these (end each with / to pin the host); a job reaches public addresses only, except at a URL under a listed prefix',
  },
  outputCap: {
    key: 'outputCap',
    flag: '--output-cap <bytes>',
    env: env('OUTPUT_CAP'),
    parse: parseBytes,
    default: 1024 ** 3,
    shownDefault: '1GiB',
    description: 'a job whose output passes this is stopped',
  },
  retentionMaxAge: {
    key: 'retentionMaxAge',
    flag: '--retention-max-age <duration>',
    env: env('RETENTION_MAX_AGE'),
    parse: parseDuration,
    default: undefined,
    shownDefault: 'keep forever',
    description: 'remove an ended job (record and output) this long after it ended',
  },
  retentionMaxBytes: {
    key: 'retentionMaxBytes',
    flag: '--retention-max-bytes <bytes>',
    env: env('RETENTION_MAX_BYTES'),
    parse: parseBytes,
    default: undefined,
    shownDefault: 'no limit',
    description: 'remove the oldest ended jobs while all output is above this',
  },
  stopGrace: {
    key: 'stopGrace',
    flag: '--stop-grace <duration>',
    env: env('STOP_GRACE'),
    parse: parseDuration,
    default: 10_000,
    shownDefault: '10s',
    description: 'time between SIGTERM and kill when Stop gives no grace period',
  },
  shutdownJobs: {
    key: 'shutdownJobs',
    flag: '--shutdown-jobs <stop|leave>',
    env: env('SHUTDOWN_JOBS'),
    parse: parseChoice(SHUTDOWN_JOBS),
    default: 'stop',
    description: 'at shutdown, stop running jobs, or leave them (they are marked LOST at the next start)',
  },
  shutdownGrace: {
    key: 'shutdownGrace',
    flag: '--shutdown-grace <duration>',
    env: env('SHUTDOWN_GRACE'),
    parse: parseDuration,
    default: undefined,
    shownDefault: 'the stop grace',
    description: 'grace period of the jobs stopped at shutdown',
  },
  shutdownTimeout: {
    key: 'shutdownTimeout',
    flag: '--shutdown-timeout <duration>',
    env: env('SHUTDOWN_TIMEOUT'),
    parse: parseDuration,
    default: 5_000,
    shownDefault: '5s',
    description: 'how long calls in flight may finish at shutdown before they are cut',
  },
  maxRunningJobs: {
    key: 'maxRunningJobs',
    flag: '--max-running-jobs <n>',
    env: env('MAX_RUNNING_JOBS'),
    parse: parsePositiveCount,
    default: 256,
    reloadable: true,
    description: 'jobs running (or starting) at once, of all identities; past it Start is RESOURCE_EXHAUSTED',
  },
  maxRunningJobsPerIdentity: {
    key: 'maxRunningJobsPerIdentity',
    flag: '--max-running-jobs-per-identity <n>',
    env: env('MAX_RUNNING_JOBS_PER_IDENTITY'),
    parse: parsePositiveCount,
    default: 64,
    reloadable: true,
    description: 'jobs one identity may have running (or starting) at once',
  },
  maxTailsPerIdentity: {
    key: 'maxTailsPerIdentity',
    flag: '--max-tails-per-identity <n>',
    env: env('MAX_TAILS_PER_IDENTITY'),
    parse: parsePositiveCount,
    default: 128,
    reloadable: true,
    description: 'Tail streams one identity may have open at once',
  },
  maxRequestSize: {
    key: 'maxRequestSize',
    flag: '--max-request-size <bytes>',
    env: env('MAX_REQUEST_SIZE'),
    parse: parseBytes,
    default: 4 * 1024 ** 2,
    shownDefault: '4MiB',
    description: 'largest request message; gRPC refuses a larger one (RESOURCE_EXHAUSTED) before reading it',
  },
  handshakeTimeout: {
    key: 'handshakeTimeout',
    flag: '--handshake-timeout <duration>',
    env: env('HANDSHAKE_TIMEOUT'),
    // Not 0: Node reads a handshake timeout of 0 as none at all.
    parse: parseDurationWithin(100, LONGEST_TIMEOUT_MS, { min: '100ms', max: '24d' }),
    default: 10_000,
    shownDefault: '10s',
    description:
      'a connection that has not finished its TLS handshake and sent the HTTP/2 preface this long after it was accepted is closed',
  },
  connectionIdleTimeout: {
    key: 'connectionIdleTimeout',
    flag: '--connection-idle-timeout <duration>',
    env: env('CONNECTION_IDLE_TIMEOUT'),
    // At least 1 s: shorter would make a client reconnect (a new TLS handshake) between every two
    // calls. At most 24 days: Node's longest timer.
    parse: parseDurationWithin(1_000, LONGEST_TIMEOUT_MS, { min: '1s', max: '24d' }),
    default: 5 * 60_000,
    shownDefault: '5m',
    description:
      'a connection with no call or stream open for this long is closed with GOAWAY (never one with a call or Tail open); the client reconnects on its next call',
  },
  keepaliveInterval: {
    key: 'keepaliveInterval',
    flag: '--keepalive-interval <duration>',
    env: env('KEEPALIVE_INTERVAL'),
    // One PING and its ACK (about 80 bytes with TLS) per connection per interval, against how long a
    // vanished client holds its calls and Tail slots: at most keepaliveInterval + keepaliveTimeout.
    // At least 1 s; at most 24 days, Node's longest timer (grpc-js pings only below 2^31 - 1 ms).
    parse: parseDurationWithin(1_000, LONGEST_TIMEOUT_MS, { min: '1s', max: '24d' }),
    default: 60_000,
    shownDefault: '1m',
    description:
      'the server pings every connection (HTTP/2 PING) this long after it opened and after each answer, whether or not calls are open',
  },
  keepaliveTimeout: {
    key: 'keepaliveTimeout',
    flag: '--keepalive-timeout <duration>',
    env: env('KEEPALIVE_TIMEOUT'),
    // gRPC's own default. At least 1 s: a ping must have time to cross the network and back.
    parse: parseDurationWithin(1_000, LONGEST_TIMEOUT_MS, { min: '1s', max: '24d' }),
    default: 20_000,
    shownDefault: '20s',
    description:
      "a connection that has not answered the server's ping within this is closed: its calls end and its Tail streams give back their slots",
  },
  deniedClientSerials: {
    key: 'deniedClientSerials',
    flag: '--deny-client-serial <hex>',
    env: env('DENIED_CLIENT_SERIALS'),
    repeatable: true,
    parse: parseList(parseCertificateSerial),
    default: [],
    shownDefault: 'none',
    reloadable: true,
    description: 'client certificates refused by serial number (UNAUTHENTICATED), e.g. after a key leaked',
  },
  deniedClientNames: {
    key: 'deniedClientNames',
    flag: '--deny-client-name <name>',
    env: env('DENIED_CLIENT_NAMES'),
    repeatable: true,
    parse: parseList(parseClientName),
    default: [],
    shownDefault: 'none',
    reloadable: true,
    description: 'identities (certificate CNs) refused whatever certificate they present (UNAUTHENTICATED)',
  },
  metricsListen: {
    key: 'metricsListen',
    flag: '--metrics-listen <host:port>',
    env: env('METRICS_LISTEN'),
    parse: parseAddress,
    default: undefined,
    shownDefault: 'off',
    description: 'serve Prometheus metrics over plain HTTP at /metrics here; loopback addresses only',
  },
  metricsAllowNonLoopback: {
    key: 'metricsAllowNonLoopback',
    flag: '--metrics-allow-non-loopback',
    env: env('METRICS_ALLOW_NON_LOOPBACK'),
    parse: parseBoolean,
    default: false,
    description: 'let metricsListen be a non-loopback address (the metrics have no authentication)',
  },
  keepOwnCgroup: {
    key: 'keepOwnCgroup',
    flag: '--keep-own-cgroup',
    env: env('KEEP_OWN_CGROUP'),
    parse: parseBoolean,
    default: false,
    description:
      "cgroup v2: refuse to start, rather than move the processes of the server's own cgroup into a leaf " +
      '(<own>/workernator-supervisor), when that cgroup has processes and so cannot enable controllers for jobs',
  },
  unsafeNoSandbox: {
    key: 'unsafeNoSandbox',
    flag: '--unsafe-no-sandbox',
    env: env('UNSAFE_NO_SANDBOX'),
    parse: parseBoolean,
    default: false,
    description:
      'DEVELOPMENT ONLY: run jobs as plain child processes, without cgroups, namespaces or a user switch',
  },
};

export const SETTING_LIST: readonly Setting<keyof ServerConfig>[] = Object.values(SETTINGS);

/** The env var that names the config file (it cannot come from the file itself). */
export const CONFIG_ENV = env('CONFIG');
