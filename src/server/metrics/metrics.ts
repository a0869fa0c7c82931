/**
 * The server's Prometheus metrics. The instruments always exist (counting is a few additions per
 * call); only the HTTP endpoint (http.ts) is optional. Each server has its own registry, so tests can
 * run several servers in one process; the process metrics (fds, RSS, CPU, heap, event-loop lag, GC)
 * describe the process, not a server, and come from one process-wide registry (process.ts).
 *
 * Label values come only from fixed sets (method paths of the served services, status names, job
 * types, outcome and limit names), never from a request: a client cannot grow the number of series.
 */
import { status as GrpcCode } from '@grpc/grpc-js';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { JOB_STATUSES, type JobStatus, type JobType } from '../../core/types.js';
import type { LimitName } from '../admission.js';
import { processMetricsText } from './process.js';

/** What a Start came to: running, refused before the job was created, or failed to launch. */
export type StartOutcome = 'started' | 'refused' | 'failed';

/** Read at scrape time. */
export interface MetricsSources {
  readonly jobsByStatus: () => Record<JobStatus, number>;
  readonly liveTails: () => number;
}

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

export class ServerMetrics {
  readonly #registry = new Registry();
  readonly #starts: Counter<'type' | 'outcome'>;
  readonly #startSeconds: Histogram<'type'>;
  readonly #rpcs: Counter<'method' | 'code'>;
  readonly #tailBytes: Counter;
  readonly #refusals: Counter<'limit'>;

  constructor(sources: MetricsSources) {
    const registers = [this.#registry];
    new Gauge({
      name: 'workernator_jobs',
      help: 'Jobs in the store, by state',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = sources.jobsByStatus();
        for (const state of JOB_STATUSES) this.set({ state }, counts[state]);
      },
    });
    new Gauge({
      name: 'workernator_live_tails',
      help: 'Tail streams being served now',
      registers,
      collect() {
        this.set(sources.liveTails());
      },
    });
    this.#starts = new Counter({
      name: 'workernator_job_starts_total',
      help: 'Start calls by job type and outcome (started; refused before the job was created; failed to launch)',
      labelNames: ['type', 'outcome'],
      registers,
    });
    this.#startSeconds = new Histogram({
      name: 'workernator_job_start_duration_seconds',
      help: 'Time from a job being created to it running (launch in the sandbox), for jobs that started',
      labelNames: ['type'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.#rpcs = new Counter({
      name: 'workernator_rpcs_total',
      help: 'Calls handled, by full method name and gRPC status',
      labelNames: ['method', 'code'],
      registers,
    });
    this.#tailBytes = new Counter({
      name: 'workernator_tail_bytes_total',
      help: 'Job output bytes sent to Tail streams',
      registers,
    });
    this.#refusals = new Counter({
      name: 'workernator_admission_refusals_total',
      help: 'Calls refused with RESOURCE_EXHAUSTED by admission control, by the limit they hit',
      labelNames: ['limit'],
      registers,
    });
  }

  jobStart(type: JobType | 'unknown', outcome: StartOutcome, seconds?: number): void {
    this.#starts.inc({ type, outcome });
    if (seconds !== undefined) this.#startSeconds.observe({ type }, seconds);
  }

  /** `method` is a full method path of a served service (the frame only wraps those). */
  callEnded(method: string, code: GrpcCode): void {
    this.#rpcs.inc({ method, code: GrpcCode[code] });
  }

  tailSent(bytes: number): void {
    this.#tailBytes.inc(bytes);
  }

  admissionRefused(limit: LimitName): void {
    this.#refusals.inc({ limit });
  }

  /** The text exposition of this server's metrics followed by the process metrics. */
  async exposition(): Promise<string> {
    return (await this.#registry.metrics()) + (await processMetricsText());
  }
}
