/**
 * Waiting on cgroup v2 `cgroup.events` ("populated 0", "frozen 1") without polling: the kernel
 * raises an inotify modify event on the file whenever a value in it changes, and fs.watch delivers
 * it. The watch is armed first and the file read once after, so a change between the caller's
 * decision to wait and the watch being armed cannot be missed.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { CgroupSetupError } from '../errors.js';
import { errnoOf, parseFlatKeyed } from './cgroupfs.js';

/**
 * Resolves once the flat-keyed file `eventsFile` holds `key value`, or once the file is gone (a
 * removed cgroup has no processes and nothing frozen). Rejects with the signal's reason on abort.
 */
/** The reason an AbortSignal carries, as an Error (a DOMException AbortError by default). */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(String(reason));
}

export function waitForCgroupEvent(
  eventsFile: string,
  key: string,
  value: string,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    let done = false;
    let watcher: FSWatcher | undefined;
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      watcher?.close();
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onAbort = (): void => finish(signal ? abortReason(signal) : undefined);
    const fail = (err: unknown): void => {
      const errno = errnoOf(err);
      if (errno === 'ENOENT') {
        finish();
        return;
      }
      finish(
        new CgroupSetupError(
          `wait for "${key} ${value}" in ${eventsFile}: ${errno ?? String(err)}`,
          'wait',
          eventsFile,
          errno,
          { cause: err },
        ),
      );
    };
    const check = (): void => {
      if (done) return;
      readFile(eventsFile, 'utf8').then((text) => {
        if (parseFlatKeyed(text).get(key) === value) finish();
      }, fail);
    };
    try {
      watcher = watch(eventsFile, { persistent: true }, check);
    } catch (err) {
      fail(err);
      return;
    }
    watcher.on('error', fail);
    signal?.addEventListener('abort', onAbort, { once: true });
    check();
  });
}
