/**
 * `workernator jobs list`: the jobs the caller may see, newest first, as a table. One page by
 * default (--limit, the server caps it); --all follows the page tokens to the end.
 */
import { JobListRequest, type Job, type JobStatus } from '../../gen/workernator/v1/workernator.js';
import { formatDurationShort } from '../duration.js';
import { ValueError } from '../errors.js';
import { jobToJson, type Json } from '../render/job-json.js';
import { STATUS_BY_JSON_NAME, jobStatusName, jobTypeName } from '../render/names.js';
import { formatTable } from '../render/table.js';
import { elapsedMs, formatLocalTime } from '../render/time.js';
import { defineCommand } from '../spec.js';
import { parseCount } from '../units.js';

export interface ListResult {
  readonly jobs: readonly Job[];
  /** Set when there are more jobs than were fetched (no --all). */
  readonly nextPageToken: string | undefined;
}

export const DEFAULT_LIMIT = 50;

function parseStatuses(text: string): JobStatus[] {
  return text.split(',').map((name) => {
    const status = STATUS_BY_JSON_NAME.get(name.trim().toLowerCase());
    if (status === undefined)
      throw new ValueError(`expected one or more of ${[...STATUS_BY_JSON_NAME.keys()].join(', ')}`);
    return status;
  });
}

export function listTable(jobs: readonly Job[], now: Date): string {
  const rows = jobs.map((job) => {
    const elapsed = elapsedMs(job.startedAt, job.finishedAt, now);
    return [
      job.id,
      jobTypeName(job.type).json,
      jobStatusName(job.status).json,
      job.owner,
      job.startedAt ? formatLocalTime(job.startedAt) : '-',
      elapsed !== undefined ? formatDurationShort(elapsed) : '-',
    ];
  });
  return formatTable(['ID', 'TYPE', 'STATUS', 'OWNER', 'STARTED', 'DURATION'], rows);
}

export const list = defineCommand<ListResult>({
  name: 'list',
  summary: 'List jobs, newest first',
  description: [
    "List the jobs you may see, newest first: your own, or everyone's for admins and viewers.",
    `Shows the first ${DEFAULT_LIMIT} unless --limit or --all says otherwise.`,
  ].join('\n'),
  usage: '',
  args: { exactly: 0 },
  options: [
    { long: 'all', short: 'A', description: 'list every job, page after page' },
    { long: 'limit', value: 'count', description: `list at most this many jobs (default ${DEFAULT_LIMIT})` },
    {
      long: 'status',
      value: 'statuses',
      description:
        'only jobs in these states, comma-separated: pending, running, complete, failed, stopped, lost',
    },
    { long: 'owner', value: 'name', description: 'only jobs started by this identity (certificate CN)' },
  ],
  examples: ['  workernator jobs list', '  workernator jobs list --status running,pending --all -o json'],
  async run(ctx, _args, values) {
    const all = values.flag('all');
    const limit = values.parse('limit', (text) => parseCount(text));
    if (all && limit !== undefined) throw values.usageError('--all and --limit cannot be used together');
    const wanted = all ? Infinity : (limit ?? DEFAULT_LIMIT);
    const statuses = values.parse('status', parseStatuses) ?? [];
    const owner = values.string('owner') ?? '';
    const api = await ctx.api();
    const jobs: Job[] = [];
    let pageToken = '';
    do {
      const pageSize = Number.isFinite(wanted) ? Math.min(wanted - jobs.length, 1000) : 0;
      const page = await api.list(JobListRequest.fromPartial({ statuses, owner, pageSize, pageToken }));
      jobs.push(...page.jobs);
      pageToken = page.nextPageToken;
    } while (pageToken !== '' && jobs.length < wanted);
    return {
      jobs: jobs.slice(0, Number.isFinite(wanted) ? wanted : undefined),
      nextPageToken: pageToken || undefined,
    };
  },
  text(result, ctx) {
    if (result.jobs.length === 0) {
      ctx.io.stderr.write('No jobs found.\n');
      return;
    }
    ctx.io.stdout.write(listTable(result.jobs, ctx.now()));
    if (result.nextPageToken !== undefined) {
      ctx.io.stderr.write(`More jobs than shown: use --all, or a larger --limit.\n`);
    }
  },
  json: (result): Json => ({ jobs: result.jobs.map(jobToJson), nextPageToken: result.nextPageToken ?? null }),
});
