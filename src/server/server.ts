/**
 * A running workernatord: the job manager, the gRPC server over mutual TLS with the JobService and
 * the health service, admission control, the optional metrics endpoint, reload on SIGHUP, and the
 * orderly way down. main.ts builds one from the configuration; tests build one in-process with their
 * own launcher and logger.
 */
import { X509Certificate } from 'node:crypto';
import type { Http2Session } from 'node:http2';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { Server, type ServerCredentials } from '@grpc/grpc-js';
import { JobManager, type BuiltinRunner } from '../core/job-manager.js';
import type { Launcher } from '../core/launcher.js';
import { JobServiceService } from '../gen/workernator/v1/workernator.js';
import { Admission, type AdmissionLimits } from './admission.js';
import { SETTING_LIST, type ServerConfig } from './config/settings.js';
import { DenyList } from './deny-list.js';
import { ServerShuttingDownError, ServerStartError } from './errors.js';
import { ServingStatus } from './health/health-codec.js';
import { HealthServiceDefinition, HealthStatus } from './health/health-service.js';
import type { Logger } from './logger.js';
import { MetricsEndpoint } from './metrics/http.js';
import { ServerMetrics } from './metrics/metrics.js';
import { startProcessMetrics } from './metrics/process.js';
import { createHealthService, createJobService } from './service.js';
import { TailRegistry } from './tail-registry.js';
import { createServerCredentials, loadServerTls, ReloadableServerCredentials } from './tls.js';
import { withTolerantDecoding } from './tolerant-decoding.js';
import { withTailResponseEncoding } from './wire/tail-response.js';

export interface ServerOptions {
  readonly config: ServerConfig;
  readonly launcher: Launcher;
  readonly logger: Logger;
  /** Called once the job manager is closed, to release the launcher. */
  readonly closeLauncher?: () => Promise<void>;
  readonly builtinRunner?: BuiltinRunner;
  /** Server credentials; by default read from config.tlsDir (only those can be reloaded). */
  readonly credentials?: ServerCredentials;
}

/** What a reload did. */
export interface ReloadResult {
  /** The serial of the server certificate new connections get, when the TLS material was reloaded. */
  readonly serverCertSerial: string | undefined;
  /** Live Tail streams ended because their client is now on the deny-list. */
  readonly endedTails: number;
  /** Settings whose new value needs a restart; they keep their old value until then. */
  readonly needRestart: readonly string[];
}

const JOB_SERVICE_NAME = 'workernator.v1.JobService';

/** The server's mutable state, shared with the RPC frame. */
interface ServerState {
  shuttingDown: boolean;
  denyList: DenyList;
}

function admissionLimits(config: ServerConfig): AdmissionLimits {
  return {
    maxRunningJobs: config.maxRunningJobs,
    maxRunningJobsPerIdentity: config.maxRunningJobsPerIdentity,
    maxTailsPerIdentity: config.maxTailsPerIdentity,
  };
}

/**
 * Closes every connection that has not finished its setup (the TLS handshake, then the client's
 * HTTP/2 preface and first SETTINGS frame) `timeoutMs` after it was accepted. Node's TLS
 * handshakeTimeout covers only the handshake: a client with a valid certificate that then sent
 * nothing, or only the start of the preface, was held open for good (grpc-js starts its idle timer
 * too, but that one is minutes). Bytes that cannot begin a preface are refused by HTTP/2 at once.
 *
 * grpc-js does not expose its HTTP/2 servers, so they are read from its private `http2Servers` map,
 * after the bind and before any call. Returns false when that map is not there: grpc-js has changed,
 * and the caller says so (the connections test fails then too). Servers without TLS (credentials
 * given in code) are left alone.
 */
function closeUnfinishedConnections(grpc: Server, timeoutMs: number): boolean {
  const servers: unknown = Reflect.get(grpc, 'http2Servers');
  if (!(servers instanceof Map)) return false;
  const tlsServers = [...(servers as Map<unknown, unknown>).keys()].filter(
    (server): server is TlsServer => server instanceof TlsServer,
  );
  for (const server of tlsServers) {
    /** When each connection was accepted, by its address pair (unique among open connections). */
    const acceptedAt = new Map<string, number>();
    const key = (socket: Socket) =>
      `${socket.remoteAddress}|${socket.remotePort}|${socket.localAddress}|${socket.localPort}`;
    server.on('connection', (socket: Socket) => {
      const at = key(socket);
      acceptedAt.set(at, performance.now());
      // A connection that gets no session (its handshake failed or timed out) is forgotten anyway.
      setTimeout(() => acceptedAt.delete(at), timeoutMs).unref();
    });
    server.on('session', (session: Http2Session) => {
      const at = key(session.socket);
      const accepted = acceptedAt.get(at) ?? performance.now();
      acceptedAt.delete(at);
      const timer = setTimeout(
        () => {
          if (!session.destroyed) session.destroy();
        },
        Math.max(0, accepted + timeoutMs - performance.now()),
      );
      timer.unref();
      const settled = () => clearTimeout(timer);
      session.once('remoteSettings', settled);
      session.once('close', settled);
    });
  }
  return true;
}

export class WorkernatorServer {
  readonly #grpc: Server;
  readonly #manager: JobManager;
  readonly #tails: TailRegistry;
  readonly #health: HealthStatus;
  readonly #options: ServerOptions;
  readonly #port: number;
  /** Shared with the RPC frame: it refuses new calls once shuttingDown is set, and reads the deny-list. */
  readonly #state: ServerState;
  readonly #admission: Admission;
  readonly #credentials: ServerCredentials;
  readonly #metricsEndpoint: MetricsEndpoint | undefined;
  /** The settings in force: those of the start, with the reloadable ones as last reloaded. */
  #config: ServerConfig;
  /** Reloads run one after another; this is the last one's end. */
  #reloading: Promise<unknown> = Promise.resolve();
  #shutdown: Promise<void> | undefined;

  private constructor(parts: {
    grpc: Server;
    manager: JobManager;
    tails: TailRegistry;
    health: HealthStatus;
    options: ServerOptions;
    port: number;
    state: ServerState;
    admission: Admission;
    credentials: ServerCredentials;
    metricsEndpoint: MetricsEndpoint | undefined;
  }) {
    this.#state = parts.state;
    this.#grpc = parts.grpc;
    this.#manager = parts.manager;
    this.#tails = parts.tails;
    this.#health = parts.health;
    this.#options = parts.options;
    this.#port = parts.port;
    this.#admission = parts.admission;
    this.#credentials = parts.credentials;
    this.#metricsEndpoint = parts.metricsEndpoint;
    this.#config = parts.options.config;
  }

  /** Opens the data directory, binds the address and reports SERVING; throws naming what failed. */
  static async start(options: ServerOptions): Promise<WorkernatorServer> {
    const { config, logger } = options;
    const credentials =
      options.credentials ??
      createServerCredentials(await loadServerTls(config.tlsDir), {
        handshakeTimeoutMs: config.handshakeTimeout,
      });
    const manager = await JobManager.open({
      dataDir: config.dataDir,
      launcher: options.launcher,
      outputCapBytes: config.outputCap,
      defaultGraceMs: config.stopGrace,
      retention: {
        ...(config.retentionMaxAge === undefined ? {} : { maxAgeMs: config.retentionMaxAge }),
        ...(config.retentionMaxBytes === undefined ? {} : { maxTotalBytes: config.retentionMaxBytes }),
      },
      logger,
      ...(options.builtinRunner === undefined ? {} : { builtinRunner: options.builtinRunner }),
    });

    const metrics = new ServerMetrics({
      jobsByStatus: () => manager.countByStatus(),
      liveTails: () => tails.size,
    });
    const admission = new Admission(admissionLimits(config), (limit) => metrics.admissionRefused(limit));
    const tails = new TailRegistry(admission);
    const health = new HealthStatus([JOB_SERVICE_NAME]);
    const grpc = new Server({
      // gRPC refuses a larger request from its length prefix, before it buffers the message.
      'grpc.max_receive_message_length': config.maxRequestSize,
      // A connection without a call or stream open for this long gets GOAWAY and is closed once
      // nothing is in flight; one with a call or a Tail open is never cut by it.
      'grpc.max_connection_idle_ms': config.connectionIdleTimeout,
      // Keepalive: grpc-js PINGs every connection (streams open or not) keepalive_time_ms after it
      // opened and after each ACK, and destroys the connection when no ACK comes within
      // keepalive_timeout_ms; its calls are cancelled, so a Tail of a client that vanished without
      // closing TCP (a follow on a quiet job sends nothing) gives back its slot. The client's HTTP/2
      // stack ACKs by itself. gRPC's ping policy (too_many_pings) is one servers apply to clients'
      // pings, never clients to a server's, and grpc-js's server enforces none: nobody is refused.
      'grpc.keepalive_time_ms': config.keepaliveInterval,
      'grpc.keepalive_timeout_ms': config.keepaliveTimeout,
    });
    const state: ServerState = { shuttingDown: false, denyList: new DenyList(config) };
    const frame = {
      logger,
      isShuttingDown: () => state.shuttingDown,
      denyList: () => state.denyList,
      onCallEnd: metrics.callEnded.bind(metrics),
    };
    grpc.addService(
      withTolerantDecoding(withTailResponseEncoding(JobServiceService)),
      createJobService(frame, {
        manager,
        tails,
        admission,
        metrics,
        startPolicy: {
          denyCommandJobsForUsers: config.denyCommandJobsForUsers,
          allowedUrlPrefixes: config.allowedUrlPrefixes,
        },
        limitDefaults: config.jobDefaults,
        limitMaxima: config.jobMaxima,
      }),
    );
    grpc.addService(withTolerantDecoding(HealthServiceDefinition), createHealthService(frame, health));

    let port: number;
    try {
      port = await new Promise<number>((resolve, reject) => {
        grpc.bindAsync(config.listen, credentials, (error, bound) =>
          error ? reject(error) : resolve(bound),
        );
      });
    } catch (error) {
      grpc.forceShutdown();
      await manager.close();
      throw new ServerStartError(`cannot listen on ${config.listen}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (!closeUnfinishedConnections(grpc, config.handshakeTimeout))
      logger.error(
        'cannot reach the HTTP/2 server inside grpc-js: a client that finishes TLS but never sends the HTTP/2 preface is closed only at connectionIdleTimeout',
      );
    let metricsEndpoint: MetricsEndpoint | undefined;
    if (config.metricsListen !== undefined) {
      try {
        startProcessMetrics();
        metricsEndpoint = await MetricsEndpoint.start({
          listen: config.metricsListen,
          allowNonLoopback: config.metricsAllowNonLoopback,
          metrics,
          logger,
        });
      } catch (error) {
        grpc.forceShutdown();
        await manager.close();
        throw error;
      }
    }
    const server = new WorkernatorServer({
      grpc,
      manager,
      tails,
      health,
      options,
      port,
      state,
      admission,
      credentials,
      metricsEndpoint,
    });
    health.setAll(ServingStatus.SERVING);
    logger.info({ listen: config.listen, port, dataDir: config.dataDir, tlsDir: config.tlsDir }, 'serving');
    return server;
  }

  /** The port bound (the one the system chose, for --listen host:0). */
  get port(): number {
    return this.#port;
  }

  /** How many Tail streams are being served now. */
  get liveTails(): number {
    return this.#tails.size;
  }

  /** Jobs admitted (starting or running) and not yet ended. */
  get runningJobs(): number {
    return this.#admission.runningJobs;
  }

  /** The port of the metrics endpoint, when it is on. */
  get metricsPort(): number | undefined {
    return this.#metricsEndpoint?.port;
  }

  /**
   * Applies the reloadable settings of `config` (SIGHUP): the server certificate, key and client CA
   * from its tlsDir, the deny-lists, and the admission limits. Everything is read and checked first
   * and applied only if all of it is good, so a bad file leaves the old settings serving; the
   * promise then rejects with what is wrong. New handshakes get the new certificate; connections and
   * streams already open keep theirs, except that the live Tail streams of a client that is now
   * denied are ended (UNAUTHENTICATED). Other settings need a restart; the result names those that
   * changed. Reloads run one at a time, in the order asked.
   */
  reload(config: ServerConfig): Promise<ReloadResult> {
    const result = this.#reloading.then(() => this.#reload(config));
    this.#reloading = result.catch(() => {});
    return result;
  }

  async #reload(config: ServerConfig): Promise<ReloadResult> {
    const { logger } = this.#options;
    if (this.#state.shuttingDown) throw new ServerShuttingDownError();
    const credentials =
      this.#credentials instanceof ReloadableServerCredentials ? this.#credentials : undefined;
    const material = credentials === undefined ? undefined : await loadServerTls(config.tlsDir);
    const denyList = new DenyList(config);

    // Everything is read and checked; from here on nothing awaits, so no call sees half a reload.
    if (material !== undefined) credentials?.reload(material);
    this.#state.denyList = denyList;
    this.#admission.setLimits(admissionLimits(config));
    const endedTails = this.#tails.endWhere((caller) => denyList.reason(caller));

    const needRestart: string[] = [];
    const applied: Record<string, unknown> = { ...this.#config };
    for (const setting of SETTING_LIST) {
      if (setting.reloadable === true) applied[setting.key] = config[setting.key];
      else if (JSON.stringify(config[setting.key]) !== JSON.stringify(this.#config[setting.key]))
        needRestart.push(setting.key);
    }
    this.#config = applied as unknown as ServerConfig;

    const serverCertSerial =
      material === undefined ? undefined : new X509Certificate(material.certPem).serialNumber;
    if (material === undefined)
      logger.warn('the server credentials were given in code, so TLS was not reloaded');
    if (needRestart.length > 0)
      logger.warn({ settings: needRestart }, 'these settings changed but take effect only at the next start');
    logger.info(
      {
        serverCertSerial,
        deniedClients: denyList.size,
        endedTails,
        limits: this.#admission.limits,
      },
      'reloaded',
    );
    return { serverCertSerial, endedTails, needRestart };
  }

  /**
   * The orderly way down: refuse new calls, report NOT_SERVING, end Tail and health Watch streams,
   * let unary calls in flight finish for up to shutdownTimeout (then cut them), stop running jobs with
   * their grace period (or leave them, per shutdownJobs), close the store and the launcher.
   * Idempotent: every call returns the same promise.
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.#shutDown();
    return this.#shutdown;
  }

  /** Cuts every connection at once (a second signal). The store is left for SQLite's journal to recover. */
  forceShutdown(): void {
    this.#state.shuttingDown = true;
    this.#grpc.forceShutdown();
    void this.#metricsEndpoint?.close();
  }

  async #shutDown(): Promise<void> {
    const { config, logger } = this.#options;
    logger.info({ shutdownJobs: config.shutdownJobs }, 'shutting down');
    this.#state.shuttingDown = true;
    // Scrapes stop first: they read the store, which closes below.
    const metricsClosed = this.#metricsEndpoint?.close();
    this.#health.setAll(ServingStatus.NOT_SERVING);
    this.#health.endWatches();
    const tailsEnded = this.#tails.close();
    // Stopping jobs also ends the Stop calls that wait for them, so it runs alongside the drain.
    const jobsDone = this.#manager.close({
      leaveRunning: config.shutdownJobs === 'leave',
      ...(config.shutdownGrace === undefined ? {} : { graceMs: config.shutdownGrace }),
    });
    await Promise.all([tailsEnded, this.#drain(config.shutdownTimeout), jobsDone, metricsClosed]);
    await this.#options.closeLauncher?.();
    logger.info('shut down');
  }

  /** tryShutdown, bounded: calls still running after `timeoutMs` are cut by forceShutdown. */
  #drain(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#options.logger.warn({ timeoutMs }, 'calls still running at the shutdown timeout were cut');
        this.#grpc.forceShutdown();
      }, timeoutMs);
      this.#grpc.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
