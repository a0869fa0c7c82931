/** The shape of bench/results/<timestamp>.json. */
import type { ProfileSummary } from '../lib/profile.js';
import type { Machine } from '../lib/machine.js';
import type { StartBreakdown } from '../scenarios/breakdown.js';
import type { FollowLatency } from '../scenarios/follow.js';
import type { PeerResult } from '../scenarios/peers.js';
import type { Scale } from '../scenarios/scale.js';
import type { StartLatency } from '../scenarios/start-latency.js';
import type { StreamLevel } from '../scenarios/streaming.js';
import type { Throughput } from '../scenarios/throughput.js';

export interface Plan {
  readonly mode: 'quick' | 'full';
  readonly startRuns: number;
  readonly warmup: number;
  readonly peerRuns: number;
  readonly throughputJobs: number;
  readonly throughputClients: number;
  readonly streamLevels: readonly {
    readonly clients: number;
    readonly bytes: number;
    readonly flowWindow?: number;
  }[];
  readonly followLines: number;
  readonly scaleJobs: number;
  readonly statusCalls: number;
  readonly profile: boolean;
}

export interface BenchResults {
  readonly startedAt: string;
  readonly plan: Plan;
  readonly machine: Machine;
  readonly load: {
    readonly atStart: number;
    readonly min: number;
    readonly max: number;
    readonly mean: number;
  };
  /** Processes using >= 5% CPU when the run began. */
  readonly neighbours: readonly string[];
  readonly notes: readonly string[];
  readonly peers: readonly PeerResult[];
  readonly start: { readonly command: StartLatency; readonly noop: StartLatency };
  readonly throughput: Throughput;
  readonly follow: FollowLatency;
  readonly streaming: {
    readonly floor: { readonly bytes: number; readonly MiBps: number };
    readonly levels: readonly StreamLevel[];
  };
  readonly scale: Scale;
  readonly breakdown: StartBreakdown;
  readonly profile?: ProfileSummary;
}
