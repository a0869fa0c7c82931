/**
 * Jobs by status, for the workernator_jobs gauge. The job store can count them in one query
 * (JobStore.countByStatus), but JobManager does not expose it, so this pages through List per status
 * (1000 jobs a page): correct, and O(jobs in the store) per scrape, which retention keeps bounded.
 * Once JobManager offers countByStatus(), this file becomes a one-line call.
 */
import type { JobManager } from '../../core/job-manager.js';
import { JOB_STATUSES, type JobStatus } from '../../core/types.js';

const PAGE = 1000;

export function countJobsByStatus(manager: Pick<JobManager, 'list'>): Record<JobStatus, number> {
  const counts = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as Record<JobStatus, number>;
  for (const status of JOB_STATUSES) {
    let cursor: string | undefined;
    do {
      const page = manager.list({
        statuses: [status],
        limit: PAGE,
        ...(cursor === undefined ? {} : { cursor }),
      });
      counts[status] += page.jobs.length;
      cursor = page.nextCursor;
    } while (cursor !== undefined);
  }
  return counts;
}
