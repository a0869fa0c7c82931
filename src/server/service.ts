/**
 * The JobService and health service implementations: each method is one handler from methods/,
 * framed by rpc.ts (identity, authorization, logging, error mapping).
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { JobServiceService, type JobServiceServer } from '../gen/workernator/v1/workernator.js';
import type { HealthCheckRequest, HealthCheckResponse } from './health/health-codec.js';
import { HEALTH_CHECK_PATH, HEALTH_WATCH_PATH, type HealthStatus } from './health/health-service.js';
import type { ServiceDeps } from './methods/deps.js';
import { listJobs } from './methods/list.js';
import { startJob } from './methods/start.js';
import { jobStatus } from './methods/status.js';
import { stopJob } from './methods/stop.js';
import { tailJob } from './methods/tail.js';
import { serverStreaming, unary, type RpcFrame } from './rpc.js';

export function createJobService(frame: RpcFrame, deps: ServiceDeps): JobServiceServer {
  return {
    start: unary(frame, JobServiceService.start.path, (request, context) => startJob(deps, request, context)),
    stop: unary(frame, JobServiceService.stop.path, (request, context) => stopJob(deps, request, context)),
    status: unary(frame, JobServiceService.status.path, (request, context) =>
      jobStatus(deps, request, context),
    ),
    tail: serverStreaming(frame, JobServiceService.tail.path, (call, context) =>
      tailJob(deps, call, context),
    ),
    list: unary(frame, JobServiceService.list.path, (request, context) => listJobs(deps, request, context)),
  };
}

export function createHealthService(frame: RpcFrame, health: HealthStatus): UntypedServiceImplementation {
  return {
    check: unary<HealthCheckRequest, HealthCheckResponse>(frame, HEALTH_CHECK_PATH, (request) =>
      Promise.resolve(health.check(request.service)),
    ),
    watch: serverStreaming<HealthCheckRequest, HealthCheckResponse>(frame, HEALTH_WATCH_PATH, (call) =>
      health.watch(call),
    ),
  };
}
