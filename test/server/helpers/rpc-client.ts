/** The generated grpc-js client with promises: one method per RPC, and Tail collected to its end. */
import { Metadata, type CallOptions, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import {
  JobListRequest,
  JobStartRequest,
  JobStatusRequest,
  JobStopRequest,
  JobTailRequest,
  type DeepPartial,
  type Job,
  type JobListResponse,
  type JobServiceClient,
  type TailJobResponse,
} from '../../../src/gen/workernator/v1/workernator.js';

export interface TailResult {
  readonly data: Buffer;
  readonly messages: number;
}

export class RpcClient {
  readonly #client: JobServiceClient;

  constructor(client: JobServiceClient) {
    this.#client = client;
  }

  get raw(): JobServiceClient {
    return this.#client;
  }

  start(request: DeepPartial<JobStartRequest>, options: Partial<CallOptions> = {}): Promise<Job> {
    return new Promise((resolve, reject) => {
      this.#client.start(JobStartRequest.fromPartial(request), new Metadata(), options, (error, job) =>
        error ? reject(error) : resolve(job),
      );
    });
  }

  stop(request: DeepPartial<JobStopRequest>, options: Partial<CallOptions> = {}): Promise<Job> {
    return new Promise((resolve, reject) => {
      this.#client.stop(JobStopRequest.fromPartial(request), new Metadata(), options, (error, job) =>
        error ? reject(error) : resolve(job),
      );
    });
  }

  status(id: string, options: Partial<CallOptions> = {}): Promise<Job> {
    return new Promise((resolve, reject) => {
      this.#client.status(JobStatusRequest.fromPartial({ id }), new Metadata(), options, (error, job) =>
        error ? reject(error) : resolve(job),
      );
    });
  }

  list(
    request: DeepPartial<JobListRequest> = {},
    options: Partial<CallOptions> = {},
  ): Promise<JobListResponse> {
    return new Promise((resolve, reject) => {
      this.#client.list(JobListRequest.fromPartial(request), new Metadata(), options, (error, page) =>
        error ? reject(error) : resolve(page),
      );
    });
  }

  /** The raw Tail stream, for tests that pause or cancel it. */
  tailStream(
    request: DeepPartial<JobTailRequest>,
    options: Partial<CallOptions> = {},
  ): ClientReadableStream<TailJobResponse> {
    return this.#client.tail(JobTailRequest.fromPartial(request), new Metadata(), options);
  }

  /** Every byte Tail sends, until the stream ends; rejects with the stream's error status. */
  tail(request: DeepPartial<JobTailRequest>, options: Partial<CallOptions> = {}): Promise<TailResult> {
    return collectTail(this.tailStream(request, options));
  }
}

export function collectTail(stream: ClientReadableStream<TailJobResponse>): Promise<TailResult> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.on('data', (message: TailJobResponse) => parts.push(message.data));
    stream.on('error', (error: ServiceError) => reject(error));
    stream.on('end', () => resolve({ data: Buffer.concat(parts), messages: parts.length }));
  });
}
