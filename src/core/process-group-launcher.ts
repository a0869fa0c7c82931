import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { JobStartError } from './errors.js';
import type { ExitStatus, LaunchRequest, LaunchedJob, Launcher } from './launcher.js';

/**
 * A launcher without any confinement: each job runs as a child of this process in a process group of
 * its own. It serves the library's tests and development on machines without the sandbox; it applies
 * no limits, no namespaces and no user switch. A descendant that leaves the process group (setsid)
 * survives a kill here and can keep the output open; only the sandbox launcher contains those.
 */
export class ProcessGroupLauncher implements Launcher {
  launch(request: LaunchRequest): Promise<LaunchedJob> {
    const args =
      request.builtinScript === undefined ? request.args : [request.builtinScript, ...request.args];
    const child = spawn(request.executable, args, {
      env: { ...request.env },
      cwd: request.workingDir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });

    return new Promise<LaunchedJob>((resolve, reject) => {
      child.once('error', (error: NodeJS.ErrnoException) => {
        reject(startError(request, error));
      });
      child.once('spawn', () => {
        const pid = child.pid as number;
        // Later 'error' events (a failed kill of a process that is gone) must not crash the server.
        child.on('error', () => {});
        const killGroup = (signal: NodeJS.Signals) => {
          try {
            process.kill(-pid, signal);
          } catch {
            // The group is already gone: nothing left to signal.
          }
        };
        const exited = new Promise<ExitStatus>((resolveExit) => {
          child.once('exit', (code, signal) => {
            // Whatever the job left in its group goes with it.
            killGroup('SIGKILL');
            resolveExit(code === null ? { signal: signal ?? 'SIGKILL' } : { exitCode: code });
          });
        });
        resolve({
          pid,
          output: mergeOutput(child.stdout, child.stderr),
          exited,
          terminate: () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          },
          kill: () => killGroup('SIGKILL'),
        });
      });
    });
  }
}

function startError(request: LaunchRequest, error: NodeJS.ErrnoException): JobStartError {
  const what =
    error.code === 'ENOENT'
      ? request.workingDir !== undefined && !existsSync(request.workingDir)
        ? `working directory not found: ${request.workingDir}`
        : `executable not found: ${request.executable}`
      : error.code === 'EACCES'
        ? `permission denied: ${request.executable}`
        : `could not start ${request.executable}: ${error.message}`;
  // Every spawn failure is reported against the request's executable or working directory, as the
  // sandbox reports its exec and chdir steps.
  return new JobStartError(what, 'exec', error.code, { cause: error, causedByRequest: true });
}

/** stdout and stderr as one stream that ends when both have. */
function mergeOutput(...streams: NodeJS.ReadableStream[]): PassThrough {
  const merged = new PassThrough();
  let open = streams.length;
  for (const stream of streams) {
    stream.pipe(merged, { end: false });
    stream.once('end', () => {
      if (--open === 0) merged.end();
    });
    stream.once('error', (error: Error) => merged.destroy(error));
  }
  return merged;
}
