/** Visible progress on stderr: one line per step, and a counter that redraws in place on a TTY. */
import { performance } from 'node:perf_hooks';

const origin = performance.now();
const tty = process.stderr.isTTY;

function stamp(): string {
  return `[${((performance.now() - origin) / 1000).toFixed(1).padStart(6)}s]`;
}

export function step(message: string): void {
  process.stderr.write(`${stamp()} ${message}\n`);
}

export interface Counter {
  tick(count?: number): void;
  done(note?: string): void;
}

/** Counts up to `total`; prints in place on a TTY, else at every tenth. */
export function counter(label: string, total: number): Counter {
  let count = 0;
  let lastTenth = -1;
  const draw = (final: boolean, note = '') => {
    const text = `${stamp()}   ${label}: ${count}/${total}${note === '' ? '' : ` ${note}`}`;
    if (tty) process.stderr.write(`\r${text}${final ? '\n' : ''}`);
    else if (final || Math.floor((count * 10) / total) > lastTenth) {
      lastTenth = Math.floor((count * 10) / total);
      process.stderr.write(`${text}\n`);
    }
  };
  return {
    tick(n = 1) {
      count += n;
      draw(false);
    },
    done(note) {
      draw(true, note);
    },
  };
}
