/**
 * Process metrics (open fds, RSS, CPU, heap, event-loop lag, GC) from prom-client's default
 * collectors. They belong to the process, and prom-client offers no way to stop them once started
 * (the event-loop monitor and the GC observer live as long as the process), so they are started once,
 * the first time a server serves metrics, into one process-wide registry. Neither keeps the event
 * loop alive.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

let registry: Registry | undefined;

/** Starts the collectors on first use. */
export function startProcessMetrics(): void {
  if (registry !== undefined) return;
  registry = new Registry();
  collectDefaultMetrics({ register: registry });
}

/** The process metrics' exposition; empty until startProcessMetrics has run. */
export function processMetricsText(): Promise<string> {
  return registry === undefined ? Promise.resolve('') : registry.metrics();
}
