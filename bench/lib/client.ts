/**
 * A bench client: the generated grpc-js client with promises, over its own connection (a local
 * subchannel pool, so 8 clients are 8 HTTP/2 connections, not one shared), as the `admin` identity
 * that `certs init` issues.
 */
import { readFile } from 'node:fs/promises';
import { Metadata } from '@grpc/grpc-js';
import {
  JobListRequest,
  JobServiceClient,
  JobStartRequest,
  JobStatusRequest,
  JobStopRequest,
  JobTailRequest,
  JobType,
  type DeepPartial,
  type Job,
} from '../../src/gen/workernator/v1/workernator.js';
import { CLIENT_CHANNEL_OPTIONS } from '../../src/cli/channel-options.js';
import { createClientCredentials } from '../../src/pki/client-credentials.js';
import { tlsLayout } from '../../src/pki/layout.js';

export type StartRequest = DeepPartial<JobStartRequest>;

export function commandJob(executable: string, args: string[] = []): StartRequest {
  return {
    type: JobType.JOB_TYPE_COMMAND,
    args: { kind: { $case: 'command', value: { executable, args, env: {}, workingDir: '' } } },
  };
}

export const NOOP_JOB: StartRequest = {
  type: JobType.JOB_TYPE_NOOP,
  args: { kind: { $case: 'noop', value: {} } },
};

export class BenchClient {
  readonly #client: JobServiceClient;

  private constructor(client: JobServiceClient) {
    this.#client = client;
  }

  /** `flowWindow`: the HTTP/2 flow-control window the client grants; by default the CLI's (4 MiB). */
  static async connect(tlsDir: string, port: number, flowWindow?: number): Promise<BenchClient> {
    const layout = tlsLayout(tlsDir);
    const files = layout.client('admin');
    const credentials = createClientCredentials({
      caPem: await readFile(layout.serverCaCert),
      certPem: await readFile(files.cert),
      keyPem: await readFile(files.key),
    });
    const client = new BenchClient(
      new JobServiceClient(`localhost:${port}`, credentials, {
        ...CLIENT_CHANNEL_OPTIONS,
        'grpc.use_local_subchannel_pool': 1,
        'grpc.max_receive_message_length': 16 * 1024 * 1024,
        ...(flowWindow === undefined ? {} : { 'grpc-node.flow_control_window': flowWindow }),
      }),
    );
    await client.list(); // the TLS handshake and HTTP/2 setup happen here, not in the first sample
    return client;
  }

  start(request: StartRequest): Promise<Job> {
    return new Promise((resolve, reject) => {
      this.#client.start(JobStartRequest.fromPartial(request), new Metadata(), {}, (error, job) =>
        error ? reject(error) : resolve(job),
      );
    });
  }

  status(id: string): Promise<Job> {
    return new Promise((resolve, reject) => {
      this.#client.status(JobStatusRequest.fromPartial({ id }), new Metadata(), {}, (error, job) =>
        error ? reject(error) : resolve(job),
      );
    });
  }

  stop(id: string, graceMs = 0): Promise<Job> {
    const request = JobStopRequest.fromPartial({
      id,
      gracePeriod: { seconds: Math.floor(graceMs / 1000), nanos: (graceMs % 1000) * 1e6 },
    });
    return new Promise((resolve, reject) => {
      this.#client.stop(request, new Metadata(), {}, (error, job) => (error ? reject(error) : resolve(job)));
    });
  }

  list(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#client.list(JobListRequest.fromPartial({ pageSize: 1 }), new Metadata(), {}, (error, page) =>
        error ? reject(error) : resolve(page.jobs.length),
      );
    });
  }

  /** Follows the job's output to its end (the job has ended and every byte was sent); `onData` sees each message. */
  tail(id: string, onData: (data: Buffer) => void = () => {}): Promise<void> {
    return new Promise((resolve, reject) => {
      const call = this.#client.tail(JobTailRequest.fromPartial({ id }), new Metadata(), {});
      call.on('data', (message: { data: Buffer }) => onData(message.data));
      call.on('error', reject);
      call.on('end', () => resolve());
    });
  }

  close(): void {
    this.#client.close();
  }
}

/** `count` clients, each on its own connection. */
export async function connectMany(
  tlsDir: string,
  port: number,
  count: number,
  flowWindow?: number,
): Promise<BenchClient[]> {
  return Promise.all(Array.from({ length: count }, () => BenchClient.connect(tlsDir, port, flowWindow)));
}
