/**
 * `workernator jobs tail job-id`: the job's output bytes, exactly as recorded (no decoding, so
 * binary output survives a pipe), following it until the job has ended. With `-o json` each chunk
 * is a JSON line `{"data":"<base64>"}` and the last line says how the stream ended.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { JobTailRequest } from '../../gen/workernator/v1/workernator.js';
import { defineCommand } from '../spec.js';
import { parseNonNegative } from '../units.js';

export const TAIL_END_MESSAGE = 'Job finished, no more output, exiting tail!';

export interface TailResult {
  readonly bytes: number;
  /** The stream followed the job to its end (not --no-follow). */
  readonly jobEnded: boolean;
  /** The last byte written, to know whether the output ended its last line. */
  readonly lastByte: number | undefined;
}

/**
 * Waits for 'drain' when the stream's buffer is full, so a slow reader slows the tail rather than
 * filling memory; Ctrl-C still ends the wait at once.
 */
async function write(stream: Writable, data: Buffer | string, signal: AbortSignal): Promise<void> {
  if (!stream.write(data)) await once(stream, 'drain', { signal });
}

export const tail = defineCommand<TailResult>({
  name: 'tail',
  summary: 'View the output of a command',
  description: [
    'View the output of a job (its stdout and stderr, as written), from the start, and follow it',
    'until the job has ended. The bytes are written as they are, so binary output can be piped.',
    'Ctrl-C stops tailing at once; the job goes on.',
  ].join('\n'),
  usage: 'job-id',
  args: { exactly: 1 },
  options: [
    {
      long: 'no-follow',
      description: 'print the output recorded so far and exit, even if the job still runs',
    },
    {
      long: 'lines',
      short: 'n',
      value: 'count',
      description: 'start at the last count lines recorded so far',
    },
    { long: 'offset', value: 'bytes', description: 'start at this byte of the output' },
  ],
  examples: [
    '  workernator jobs tail XE38YM',
    '  workernator jobs tail XE38YM --lines 20 --no-follow > last.log',
  ],
  async run(ctx, [id = ''], values) {
    const lastLines = values.parse('lines', (text) => parseNonNegative(text, 2 ** 32 - 1));
    const offset = values.parse('offset', (text) => parseNonNegative(text));
    if (lastLines !== undefined && offset !== undefined) {
      throw values.usageError('--lines and --offset cannot be used together');
    }
    const follow = !values.flag('no-follow');
    const request = JobTailRequest.fromPartial({
      id,
      offset: BigInt(offset ?? 0),
      lastLines: lastLines ?? 0,
      noFollow: !follow,
    });
    const api = await ctx.api();
    const { stdout } = ctx.io;
    let bytes = 0;
    let lastByte: number | undefined;
    for await (const chunk of api.tail(request)) {
      if (chunk.length === 0) continue;
      bytes += chunk.length;
      lastByte = chunk[chunk.length - 1];
      await write(
        stdout,
        ctx.format === 'json' ? `${JSON.stringify({ data: chunk.toString('base64') })}\n` : chunk,
        ctx.signal,
      );
    }
    if (ctx.format === 'json')
      await write(stdout, `${JSON.stringify({ end: true, bytes, jobEnded: follow })}\n`, ctx.signal);
    return { bytes, jobEnded: follow, lastByte };
  },
  text(result, ctx) {
    if (!result.jobEnded) return;
    // The seed's blank line before the message; one more newline if the output did not end its line.
    const newline = 0x0a;
    const lead = result.lastByte === undefined || result.lastByte === newline ? '\n' : '\n\n';
    ctx.io.stderr.write(`${lead}${TAIL_END_MESSAGE}\n`);
  },
  json: () => undefined,
});
