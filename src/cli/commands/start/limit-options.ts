/**
 * The flags every `start` job type takes: resource limits in human units, the network mode and
 * root. They are persistent flags of `start`, so `start --memory 64MiB fib 3` and
 * `start fib 3 --memory 64MiB` mean the same.
 */
import { NetworkMode, type ResourceLimits } from '../../../gen/workernator/v1/workernator.js';
import { ValueError } from '../../errors.js';
import type { OptionSpec } from '../../spec.js';
import { parseByteRate, parseBytes, parseCount, parseCpu } from '../../units.js';
import type { Values } from '../../values.js';

export const LIMIT_OPTIONS: readonly OptionSpec[] = [
  { long: 'cpu', value: 'quantity', description: 'CPU limit, in cores (0.5) or millicores (250m)' },
  { long: 'memory', value: 'size', description: 'memory limit (RAM, without swap), such as 64MiB or 1GB' },
  { long: 'io-read', value: 'rate', description: 'disk read limit, such as 10MB/s' },
  { long: 'io-write', value: 'rate', description: 'disk write limit, such as 10MB/s' },
  { long: 'io-read-iops', value: 'count', description: 'disk read operations per second' },
  { long: 'io-write-iops', value: 'count', description: 'disk write operations per second' },
  { long: 'pids', value: 'count', description: 'how many processes and threads the job may have at once' },
  {
    long: 'network',
    value: 'mode',
    description:
      "isolated (loopback only) or host (the host's network; admins only for command jobs); default: the job type's",
    complete: ['isolated', 'host'],
  },
  {
    long: 'root',
    description:
      "run the job as root rather than the server's job user (admins only): root in its sandbox and on the host's unmasked files",
  },
];

function parseNetwork(text: string): NetworkMode {
  if (text === 'host') return NetworkMode.NETWORK_MODE_HOST;
  if (text === 'isolated') return NetworkMode.NETWORK_MODE_ISOLATED;
  throw new ValueError('expected isolated or host');
}

export interface Confinement {
  readonly limits: ResourceLimits;
  readonly network: NetworkMode;
  readonly runAsRoot: boolean;
}

/** Unset flags stay unset: the server then applies its defaults. */
export function confinementFrom(values: Values): Confinement {
  return {
    limits: {
      cpuMillicores: values.parse('cpu', parseCpu),
      memoryBytes: values.parse('memory', parseBytes),
      ioReadBytesPerSecond: values.parse('io-read', parseByteRate),
      ioWriteBytesPerSecond: values.parse('io-write', parseByteRate),
      ioReadIops: values.parse('io-read-iops', (text) => BigInt(parseCount(text, Number.MAX_SAFE_INTEGER))),
      ioWriteIops: values.parse('io-write-iops', (text) => BigInt(parseCount(text, Number.MAX_SAFE_INTEGER))),
      pids: values.parse('pids', (text) => parseCount(text)),
    },
    network: values.parse('network', parseNetwork) ?? NetworkMode.NETWORK_MODE_UNSPECIFIED,
    runAsRoot: values.flag('root'),
  };
}
