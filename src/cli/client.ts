/**
 * The API as the commands see it: promises and an async iterable of output chunks, errors already
 * translated into CLI errors, every call cancelled when the signal aborts (Ctrl-C). Commands take a
 * `JobsApi`, so their tests pass a fake one.
 */
import { Metadata, type ClientReadableStream, type ClientUnaryCall, type ServiceError } from '@grpc/grpc-js';
import {
  JobListRequest,
  JobServiceClient,
  JobStartRequest,
  JobStatusRequest,
  JobStopRequest,
  JobTailRequest,
  type Job,
  type JobListResponse,
  type TailJobResponse,
} from '../gen/workernator/v1/workernator.js';
import { createClientCredentials, type TlsMaterial } from '../pki/client-credentials.js';
import { CLIENT_CHANNEL_OPTIONS } from './channel-options.js';
import { InterruptedError } from './errors.js';
import { translateGrpcError } from './grpc-errors.js';

export interface JobsApi {
  start(request: JobStartRequest): Promise<Job>;
  stop(request: JobStopRequest): Promise<Job>;
  status(id: string): Promise<Job>;
  list(request: JobListRequest): Promise<JobListResponse>;
  /** The output's bytes as the server sends them; ends when the server ends the stream. */
  tail(request: JobTailRequest): AsyncIterable<Buffer>;
  close(): void;
}

export class GrpcJobsApi implements JobsApi {
  readonly #client: JobServiceClient;
  readonly #host: string;
  readonly #signal: AbortSignal;

  constructor(host: string, tls: TlsMaterial, signal: AbortSignal) {
    this.#host = host;
    this.#signal = signal;
    this.#client = new JobServiceClient(host, createClientCredentials(tls), CLIENT_CHANNEL_OPTIONS);
  }

  start(request: JobStartRequest): Promise<Job> {
    return this.#unary(undefined, (md, done) => this.#client.start(request, md, done));
  }

  stop(request: JobStopRequest): Promise<Job> {
    return this.#unary(request.id, (md, done) => this.#client.stop(request, md, done));
  }

  status(id: string): Promise<Job> {
    return this.#unary(id, (md, done) => this.#client.status(JobStatusRequest.fromPartial({ id }), md, done));
  }

  list(request: JobListRequest): Promise<JobListResponse> {
    return this.#unary(undefined, (md, done) => this.#client.list(request, md, done));
  }

  async *tail(request: JobTailRequest): AsyncIterable<Buffer> {
    const call: ClientReadableStream<TailJobResponse> = this.#client.tail(request, new Metadata());
    const cancel = () => call.cancel();
    this.#signal.addEventListener('abort', cancel, { once: true });
    try {
      for await (const message of call as AsyncIterable<TailJobResponse>) yield message.data;
    } catch (error) {
      throw this.#translate(error, request.id);
    } finally {
      this.#signal.removeEventListener('abort', cancel);
      // A consumer that stops early (an error writing stdout) must not leave the stream open.
      call.cancel();
    }
  }

  close(): void {
    this.#client.close();
  }

  #unary<T>(
    jobId: string | undefined,
    invoke: (metadata: Metadata, done: (error: ServiceError | null, value: T) => void) => ClientUnaryCall,
  ): Promise<T> {
    if (this.#signal.aborted) return Promise.reject(new InterruptedError());
    return new Promise<T>((resolve, reject) => {
      const call = invoke(new Metadata(), (error, value) => {
        this.#signal.removeEventListener('abort', cancel);
        if (error) reject(this.#translate(error, jobId));
        else resolve(value);
      });
      const cancel = () => call.cancel();
      this.#signal.addEventListener('abort', cancel, { once: true });
    });
  }

  #translate(error: unknown, jobId: string | undefined): Error {
    if (this.#signal.aborted) return new InterruptedError();
    return translateGrpcError(error, { host: this.#host, jobId });
  }
}

export { JobListRequest, JobStartRequest, JobStopRequest, JobTailRequest };
