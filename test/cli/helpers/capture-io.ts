/** An Io whose streams collect what the CLI writes, with a chosen answer to "is stderr a terminal". */
import { Writable } from 'node:stream';
import type { Io } from '../../../src/cli/terminal.js';

export interface CapturedIo extends Io {
  stdoutBytes(): Buffer;
  stdoutText(): string;
  stderrText(): string;
}

function sink(chunks: Buffer[]): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      done();
    },
  });
}

export function captureIo(options: { readonly stderrIsTty?: boolean } = {}): CapturedIo {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  return {
    stdout: sink(out),
    stderr: sink(err),
    stderrIsTty: options.stderrIsTty ?? false,
    color: false,
    stdoutBytes: () => Buffer.concat(out),
    stdoutText: () => Buffer.concat(out).toString('utf8'),
    stderrText: () => Buffer.concat(err).toString('utf8'),
  };
}
