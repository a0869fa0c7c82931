/**
 * What the CLI writes to, and how it decorates it. Colour and progress only reach a terminal:
 * scripts that capture stderr see neither. NO_COLOR (https://no-color.org) turns colour off.
 */
import type { Writable } from 'node:stream';

export interface Io {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** stderr is a terminal: progress messages are worth showing. */
  readonly stderrIsTty: boolean;
  /** Colour escapes may be written to stderr. */
  readonly color: boolean;
}

export function processIo(env: NodeJS.ProcessEnv = process.env): Io {
  const stderrIsTty = process.stderr.isTTY === true;
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stderrIsTty,
    color: stderrIsTty && !noColor && env.TERM !== 'dumb',
  };
}

const paint = (code: number) => (io: Io, text: string) =>
  io.color ? `\u001b[${code}m${text}\u001b[39m` : text;
export const green = paint(32);
export const red = paint(31);

/**
 * "Getting info for job XE38YM... DONE!" on stderr while a call runs, on a terminal only, so the
 * command's stdout holds nothing but its result.
 */
export async function withProgress<T>(io: Io, message: string, work: () => Promise<T>): Promise<T> {
  if (!io.stderrIsTty) return work();
  io.stderr.write(`${message}... `);
  try {
    const result = await work();
    io.stderr.write(`${green(io, 'DONE!')}\n\n`);
    return result;
  } catch (error) {
    io.stderr.write(`${red(io, 'FAILED!')}\n`);
    throw error;
  }
}
