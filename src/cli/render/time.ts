/** Times as the seed shows them: "2022-07-07 16:34:03", in the local time zone of whoever reads them. */
import type { Duration } from '../../gen/google/protobuf/duration.js';

const pad2 = (n: number): string => String(n).padStart(2, '0');

export function formatLocalTime(time: Date): string {
  const date = `${time.getFullYear()}-${pad2(time.getMonth() + 1)}-${pad2(time.getDate())}`;
  return `${date} ${pad2(time.getHours())}:${pad2(time.getMinutes())}:${pad2(time.getSeconds())}`;
}

/** How long a job ran: until it finished, or until `now` while it runs; undefined before it started. */
export function elapsedMs(
  startedAt: Date | undefined,
  finishedAt: Date | undefined,
  now: Date,
): number | undefined {
  if (startedAt === undefined) return undefined;
  return Math.max(0, (finishedAt ?? now).getTime() - startedAt.getTime());
}

/** A protobuf Duration in milliseconds (a CPU time fits a double without loss at this precision). */
export function durationToMs(duration: Duration): number {
  return Number(duration.seconds) * 1000 + duration.nanos / 1e6;
}

export function msToDuration(ms: number): Duration {
  const seconds = Math.floor(ms / 1000);
  return { seconds: BigInt(seconds), nanos: Math.round((ms - seconds * 1000) * 1e6) };
}
