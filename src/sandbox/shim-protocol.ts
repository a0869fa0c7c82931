/**
 * The status lines the shim writes on fd 3 (see native/README.md):
 *   running <pid>                 the job's executable was exec'd
 *   error <step> <errno> [detail] setup failed at <step>; nothing runs
 *   exit <code> | signal <signo> [core]   how the job ended
 */
import { constants } from 'node:os';
import { getSystemErrorMap } from 'node:util';

export type ShimStatus =
  | { readonly kind: 'running'; readonly pid: number }
  | {
      readonly kind: 'error';
      readonly step: string;
      readonly errno: number;
      readonly detail: string;
      /** The step is the request's (its executable, its working directory), not the sandbox's. */
      readonly causedByRequest: boolean;
    }
  | { readonly kind: 'exit'; readonly code: number }
  | { readonly kind: 'signal'; readonly signal: string };

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, number]) => [number, name]));

/** Parses one status line; undefined for a line that is not part of the protocol. */
export function parseShimStatus(line: string): ShimStatus | undefined {
  const [kind, first, second, ...rest] = line.split(' ');
  if (kind === 'error') {
    const errno = Number(second);
    if (first === undefined || first === '' || !Number.isInteger(errno)) return undefined;
    return {
      kind,
      step: first,
      errno,
      detail: decodeDetail(rest.join(' ')),
      causedByRequest: isRequestStep(first),
    };
  }
  const number = Number(first);
  if (first === undefined || !Number.isInteger(number)) return undefined;
  switch (kind) {
    case 'running':
      return { kind, pid: number };
    case 'exit':
      return { kind, code: number };
    case 'signal':
      return { kind, signal: SIGNAL_NAMES.get(number) ?? `signal ${number}` };
    default:
      return undefined;
  }
}

/** The shim escapes spaces, '%' and every byte outside printable ASCII as %XX; paths may be any bytes. */
function decodeDetail(detail: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < detail.length; i++) {
    const hex = detail[i] === '%' ? detail.slice(i + 1, i + 3) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(detail.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** "ENOENT" for 2. */
export function errnoName(errno: number): string {
  return getSystemErrorMap().get(-errno)?.[0] ?? `errno ${errno}`;
}

/** "no such file or directory" for 2. */
export function errnoMessage(errno: number): string {
  return getSystemErrorMap().get(-errno)?.[1] ?? `errno ${errno}`;
}

/**
 * The start error a person can act on, from the step that failed: `executable not found: /usr/bin/nope`
 * rather than "exec: ENOENT".
 */
export function describeStartFailure(step: string, errno: number, detail: string): string {
  const name = errnoName(errno);
  const what = detail === '' ? '' : `: ${detail}`;
  if (step === 'exec' || step === 'open-exec') {
    if (name === 'ENOENT') return `executable not found${what}`;
    if (name === 'EACCES') return `permission denied${what}`;
    if (name === 'ENOEXEC') return `not an executable the kernel can run${what}`;
  }
  if (step === 'chdir') {
    if (name === 'ENOENT') return `working directory not found${what}`;
    if (name === 'EACCES') return `working directory not accessible to the job's user${what}`;
    if (name === 'ENOTDIR') return `working directory is not a directory${what}`;
  }
  if (step === 'user' || step === 'group') return `unknown job ${step}${what}`;
  return `sandbox setup failed at step ${step}${what}: ${errnoMessage(errno)} (${name})`;
}

/**
 * Steps whose failure is the request's fault (its executable, its directory), not the sandbox's: the
 * one list of them (native/README.md describes every step). The launcher carries the answer on its
 * JobStartError (`causedByRequest`), and the server maps that to FAILED_PRECONDITION.
 */
function isRequestStep(step: string): boolean {
  return step === 'exec' || step === 'open-exec' || step === 'chdir';
}
