/** Resource limits between the wire (uint32 and uint64 fields, each optional) and the core. */
import { RESOURCE_LIMIT_KEYS, type ResourceLimits } from '../../core/types.js';
import type { ResourceLimits as WireLimits } from '../../gen/workernator/v1/workernator.js';
import { safeNumber } from './numbers.js';

type LimitKey = (typeof RESOURCE_LIMIT_KEYS)[number];

/** The proto field name of each limit, for messages the caller can match to their request. */
const PROTO_FIELD = {
  cpuMillicores: 'cpu_millicores',
  memoryBytes: 'memory_bytes',
  ioReadBytesPerSecond: 'io_read_bytes_per_second',
  ioWriteBytesPerSecond: 'io_write_bytes_per_second',
  ioReadIops: 'io_read_iops',
  ioWriteIops: 'io_write_iops',
  pids: 'pids',
} as const satisfies Record<LimitKey, string>;

/**
 * The limits a request asked for; unset fields stay absent (the server's defaults fill them later).
 * A value set to zero is kept, so the limit policy refuses it with its own message.
 */
export function limitsFromWire(wire: WireLimits | undefined): ResourceLimits {
  const limits: Partial<Record<LimitKey, number>> = {};
  if (wire === undefined) return limits;
  for (const key of RESOURCE_LIMIT_KEYS) {
    const value = wire[key];
    if (value === undefined) continue;
    limits[key] = typeof value === 'bigint' ? safeNumber(value, `limits.${PROTO_FIELD[key]}`) : value;
  }
  return limits;
}

export function limitsToWire(limits: ResourceLimits): WireLimits {
  const big = (value: number | undefined) => (value === undefined ? undefined : BigInt(value));
  return {
    cpuMillicores: limits.cpuMillicores,
    memoryBytes: big(limits.memoryBytes),
    ioReadBytesPerSecond: big(limits.ioReadBytesPerSecond),
    ioWriteBytesPerSecond: big(limits.ioWriteBytesPerSecond),
    ioReadIops: big(limits.ioReadIops),
    ioWriteIops: big(limits.ioWriteIops),
    pids: limits.pids,
  };
}
