/**
 * A running workernatord: the job manager, the gRPC server over mutual TLS with the JobService and
 * the health service, and the orderly way down. main.ts builds one from the configuration; tests
 * build one in-process with their own launcher and logger.
 */
import { Server, type ServerCredentials } from '@grpc/grpc-js';
import { JobManager, type BuiltinRunner } from '../core/job-manager.js';
import type { Launcher } from '../core/launcher.js';
import { JobServiceService } from '../gen/workernator/v1/workernator.js';
import type { ServerConfig } from './config/settings.js';
import { ServerStartError } from './errors.js';
import { ServingStatus } from './health/health-codec.js';
import { HealthServiceDefinition, HealthStatus } from './health/health-service.js';
import type { Logger } from './logger.js';
import { createHealthService, createJobService } from './service.js';
import { TailRegistry } from './tail-registry.js';
import { createServerCredentials, loadServerTls } from './tls.js';

export interface ServerOptions {
  readonly config: ServerConfig;
  readonly launcher: Launcher;
  readonly logger: Logger;
  /** Called once the job manager is closed, to release the launcher. */
  readonly closeLauncher?: () => Promise<void>;
  readonly builtinRunner?: BuiltinRunner;
  /** Server credentials; by default read from config.tlsDir. */
  readonly credentials?: ServerCredentials;
}

const JOB_SERVICE_NAME = 'workernator.v1.JobService';

export class WorkernatorServer {
  readonly #grpc: Server;
  readonly #manager: JobManager;
  readonly #tails: TailRegistry;
  readonly #health: HealthStatus;
  readonly #options: ServerOptions;
  readonly #port: number;
  /** Shared with the RPC frame, which refuses new calls once it is set. */
  readonly #state: { shuttingDown: boolean };
  #shutdown: Promise<void> | undefined;

  private constructor(parts: {
    grpc: Server;
    manager: JobManager;
    tails: TailRegistry;
    health: HealthStatus;
    options: ServerOptions;
    port: number;
    state: { shuttingDown: boolean };
  }) {
    this.#state = parts.state;
    this.#grpc = parts.grpc;
    this.#manager = parts.manager;
    this.#tails = parts.tails;
    this.#health = parts.health;
    this.#options = parts.options;
    this.#port = parts.port;
  }

  /** Opens the data directory, binds the address and reports SERVING; throws naming what failed. */
  static async start(options: ServerOptions): Promise<WorkernatorServer> {
    const { config, logger } = options;
    const credentials = options.credentials ?? createServerCredentials(await loadServerTls(config.tlsDir));
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

    const tails = new TailRegistry();
    const health = new HealthStatus([JOB_SERVICE_NAME]);
    const grpc = new Server();
    const state = { shuttingDown: false };
    const frame = { logger, isShuttingDown: () => state.shuttingDown };
    grpc.addService(
      JobServiceService,
      createJobService(frame, {
        manager,
        tails,
        startPolicy: {
          denyCommandJobsForUsers: config.denyCommandJobsForUsers,
          allowedUrlPrefixes: config.allowedUrlPrefixes,
        },
        limitDefaults: config.jobDefaults,
        limitMaxima: config.jobMaxima,
      }),
    );
    grpc.addService(HealthServiceDefinition, createHealthService(frame, health));

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
    const server = new WorkernatorServer({ grpc, manager, tails, health, options, port, state });
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
  }

  async #shutDown(): Promise<void> {
    const { config, logger } = this.#options;
    logger.info({ shutdownJobs: config.shutdownJobs }, 'shutting down');
    this.#state.shuttingDown = true;
    this.#health.setAll(ServingStatus.NOT_SERVING);
    this.#health.endWatches();
    const tailsEnded = this.#tails.close();
    // Stopping jobs also ends the Stop calls that wait for them, so it runs alongside the drain.
    const jobsDone = this.#manager.close({
      leaveRunning: config.shutdownJobs === 'leave',
      ...(config.shutdownGrace === undefined ? {} : { graceMs: config.shutdownGrace }),
    });
    await Promise.all([tailsEnded, this.#drain(config.shutdownTimeout), jobsDone]);
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
