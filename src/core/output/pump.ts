import type { Readable } from 'node:stream';
import { formatBytes } from '../units.js';
import type { OutputLog } from './output-log.js';

/** Why recording a job's output had to stop; the manager stops the job with this as the reason. */
export type OutputProblem =
  | { readonly kind: 'cap-reached'; readonly capBytes: number }
  | { readonly kind: 'write-failed'; readonly error: NodeJS.ErrnoException };

/**
 * Keeps the last bytes of the disk for the job store: output stops being recorded (as if the disk
 * were full) once free space falls below `reserveBytes`, so the store can still record how the job
 * ended. Free space is read before the first chunk and then after every `CHECK_EVERY_BYTES`.
 */
export interface DiskReserve {
  readonly reserveBytes: number;
  readonly freeBytes: () => Promise<number>;
}

const CHECK_EVERY_BYTES = 1024 * 1024;

/**
 * Copies a job's output stream into its log until the stream ends, one chunk at a time: the next
 * chunk is read only after the previous one is in the file, so the pipe (not the server's memory)
 * holds back a fast writer. Past `capBytes`, when a write fails, or when the disk is down to its
 * reserve, it reports the problem once and from then on drains and discards, so the job never blocks
 * on a full pipe while it is being stopped. Resolves when the stream has ended; never rejects.
 */
export async function pumpOutput(
  output: Readable,
  log: OutputLog,
  capBytes: number,
  onProblem: (problem: OutputProblem) => void,
  reserve?: DiskReserve,
): Promise<void> {
  let recording = true;
  let checkedAt = -CHECK_EVERY_BYTES;
  try {
    for await (const chunk of output as AsyncIterable<Buffer>) {
      if (!recording) continue;
      const room = capBytes - log.size;
      try {
        if (reserve !== undefined && log.size - checkedAt >= CHECK_EVERY_BYTES) {
          checkedAt = log.size;
          if ((await reserve.freeBytes()) < reserve.reserveBytes) throw diskFull(reserve.reserveBytes);
        }
        await log.append(chunk.byteLength <= room ? chunk : chunk.subarray(0, room));
      } catch (error) {
        recording = false;
        onProblem({ kind: 'write-failed', error: error as NodeJS.ErrnoException });
        continue;
      }
      if (chunk.byteLength > room) {
        recording = false;
        onProblem({ kind: 'cap-reached', capBytes });
      }
    }
  } catch (error) {
    // The stream itself failed (the pipe was destroyed): what was recorded stays recorded.
    if (recording) onProblem({ kind: 'write-failed', error: error as NodeJS.ErrnoException });
  }
}

function diskFull(reserveBytes: number): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(
    `less than ${formatBytes(reserveBytes)} free, which is kept for the job store`,
  );
  error.code = 'ENOSPC';
  return error;
}

/** The reason recorded on a job stopped because of an output problem. */
export function describeOutputProblem(problem: OutputProblem): string {
  if (problem.kind === 'cap-reached') {
    return `output reached its limit of ${formatBytes(problem.capBytes)}`;
  }
  const { error } = problem;
  const what =
    error.code === 'ENOSPC'
      ? 'no space left on device'
      : error.code === 'EDQUOT'
        ? 'disk quota exceeded'
        : error.message;
  return `output could not be written: ${what}`;
}
