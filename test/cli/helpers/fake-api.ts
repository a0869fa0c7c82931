/** A JobsApi that records requests and answers from what the test set up. */
import type { JobsApi } from '../../../src/cli/client.js';
import {
  JobStatus,
  JobType,
  NetworkMode,
  type Job,
  type JobListRequest,
  type JobListResponse,
  type JobStartRequest,
  type JobStopRequest,
  type JobTailRequest,
} from '../../../src/gen/workernator/v1/workernator.js';

/** The seed's job: Fibonacci position 3, complete after one second. */
export function seedJob(overrides: Partial<Job> = {}): Job {
  return {
    id: 'XE38YM',
    type: JobType.JOB_TYPE_FIBONACCI,
    args: { kind: { $case: 'fibonacci', value: { position: 3 } } },
    owner: 'admin',
    status: JobStatus.JOB_STATUS_COMPLETE,
    createdAt: new Date(2022, 6, 7, 16, 34, 3),
    startedAt: new Date(2022, 6, 7, 16, 34, 3),
    finishedAt: new Date(2022, 6, 7, 16, 34, 4),
    exitCode: undefined,
    signal: '',
    error: '',
    limits: undefined,
    usage: undefined,
    network: NetworkMode.NETWORK_MODE_UNSPECIFIED,
    runAsRoot: false,
    outputBytes: 0n,
    ...overrides,
  };
}

export class FakeApi implements JobsApi {
  readonly started: JobStartRequest[] = [];
  readonly stopped: JobStopRequest[] = [];
  readonly listed: JobListRequest[] = [];
  readonly tailed: JobTailRequest[] = [];
  closed = false;
  job: Job = seedJob();
  pages: JobListResponse[] = [];
  chunks: Buffer[] = [];
  error: Error | undefined;

  start(request: JobStartRequest): Promise<Job> {
    this.started.push(request);
    return this.#answer({ ...this.job, type: request.type, args: request.args });
  }

  stop(request: JobStopRequest): Promise<Job> {
    this.stopped.push(request);
    return this.#answer(this.job);
  }

  status(_id: string): Promise<Job> {
    return this.#answer(this.job);
  }

  list(request: JobListRequest): Promise<JobListResponse> {
    this.listed.push(request);
    return this.#answer(this.pages.shift() ?? { jobs: [], nextPageToken: '' });
  }

  async *tail(request: JobTailRequest): AsyncIterable<Buffer> {
    this.tailed.push(request);
    if (this.error) throw this.error;
    for (const chunk of this.chunks) yield await Promise.resolve(chunk);
  }

  close(): void {
    this.closed = true;
  }

  #answer<T>(value: T): Promise<T> {
    return this.error ? Promise.reject(this.error) : Promise.resolve(value);
  }
}
