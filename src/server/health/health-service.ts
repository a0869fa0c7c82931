/**
 * The standard gRPC health service (grpc.health.v1.Health), so load balancers, `grpc-health-probe`
 * and orchestrators can ask whether the server is ready. The overall status (service "") and
 * workernator.v1.JobService start NOT_SERVING and become SERVING once the server is ready; they go
 * back to NOT_SERVING when it begins to shut down. Watch streams end at shutdown.
 */
import { UnknownServiceError } from '../errors.js';
import {
  type ServerWritableStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  ServingStatus,
  type HealthCheckRequest,
  type HealthCheckResponse,
} from './health-codec.js';

export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';
export const HEALTH_WATCH_PATH = '/grpc.health.v1.Health/Watch';

const messages = {
  requestSerialize: encodeRequest,
  requestDeserialize: decodeRequest,
  responseSerialize: encodeResponse,
  responseDeserialize: decodeResponse,
};

export const HealthServiceDefinition = {
  check: { path: HEALTH_CHECK_PATH, requestStream: false, responseStream: false, ...messages },
  watch: { path: HEALTH_WATCH_PATH, requestStream: false, responseStream: true, ...messages },
} as const satisfies ServiceDefinition<UntypedServiceImplementation>;

type WatchCall = ServerWritableStream<HealthCheckRequest, HealthCheckResponse>;

interface Watcher {
  readonly call: WatchCall;
  /** Ends the watch: the RPC frame then ends the stream with OK. */
  readonly end: () => void;
}

/** Serving statuses by service name, and the Watch streams that follow them. */
export class HealthStatus {
  readonly #statuses = new Map<string, ServingStatus>();
  readonly #watchers = new Set<Watcher>();

  constructor(services: readonly string[]) {
    for (const service of ['', ...services]) this.#statuses.set(service, ServingStatus.NOT_SERVING);
  }

  /** Check's answer; throws UnknownServiceError (NOT_FOUND, as the health protocol says) for an unknown service. */
  check(service: string): HealthCheckResponse {
    const status = this.#statuses.get(service);
    if (status === undefined) throw new UnknownServiceError(service);
    return { status };
  }

  /** Sets every known service to `status` and tells the watchers. */
  setAll(status: ServingStatus): void {
    for (const service of this.#statuses.keys()) this.#statuses.set(service, status);
    for (const { call } of this.#watchers) call.write({ status });
  }

  /** Sends the current status now and every change later, until the client or the server ends it. */
  watch(call: WatchCall): Promise<void> {
    call.write({ status: this.#statuses.get(call.request.service) ?? ServingStatus.SERVICE_UNKNOWN });
    return new Promise((resolve) => {
      const watcher: Watcher = {
        call,
        end: () => {
          if (this.#watchers.delete(watcher)) resolve();
        },
      };
      this.#watchers.add(watcher);
      call.once('cancelled', watcher.end);
    });
  }

  /** Ends every Watch stream (at shutdown). */
  endWatches(): void {
    for (const watcher of [...this.#watchers]) watcher.end();
  }
}
