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
 * The most output a job may have appended to its log but not yet written to the file: beyond it
 * the pump stops reading the pipe until the writes catch up.
 */
export const MAX_PENDING_BYTES = 256 * 1024;

/**
 * Copies a job's output stream into its log until the stream ends. Chunks are appended as they come
 * and written in order, those that arrive during a write together in the next one; once
 * MAX_PENDING_BYTES are waiting for the file, the next chunk is read only after they are in it, so
 * the pipe (not the server's memory) holds back a fast writer. Past `capBytes`, when a write fails,
 * or when the disk is down to its reserve, it reports the problem once and from then on drains and
 * discards, so the job never blocks on a full pipe while it is being stopped. Resolves when the
 * stream has ended and what was appended is in the file; never rejects.
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
  /** Bytes given to the log, written or not. */
  let accepted = log.size + log.pendingBytes;
  let appended: Promise<void> = Promise.resolve();
  const failed = (error: unknown) => {
    if (!recording) return;
    recording = false;
    onProblem({ kind: 'write-failed', error: error as NodeJS.ErrnoException });
  };
  try {
    for await (const chunk of output as AsyncIterable<Buffer>) {
      if (!recording) continue;
      const room = capBytes - accepted;
      if (reserve !== undefined && accepted - checkedAt >= CHECK_EVERY_BYTES) {
        checkedAt = accepted;
        try {
          if ((await reserve.freeBytes()) < reserve.reserveBytes) throw diskFull(reserve.reserveBytes);
        } catch (error) {
          failed(error);
          continue;
        }
      }
      const part = chunk.byteLength <= room ? chunk : chunk.subarray(0, room);
      appended = log.append(part).catch(failed);
      accepted += part.byteLength;
      if (chunk.byteLength > room) {
        recording = false;
        onProblem({ kind: 'cap-reached', capBytes });
      }
      if (log.pendingBytes >= MAX_PENDING_BYTES) await appended;
    }
  } catch (error) {
    // The stream itself failed (the pipe was destroyed): what was recorded stays recorded.
    failed(error);
  }
  // Appends settle in order: once the last has, all have.
  await appended;
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
