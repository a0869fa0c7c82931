/** `workernator jobs stop job-id [--grace 5s]`: stop a job, and say how it ended. */
import { JobStatus, JobStopRequest, type Job } from '../../gen/workernator/v1/workernator.js';
import { parseDuration } from '../duration.js';
import { jobToJson } from '../render/job-json.js';
import { jobStatusName } from '../render/names.js';
import { msToDuration } from '../render/time.js';
import { defineCommand } from '../spec.js';

/** "Stopped job XE38YM (it ended after SIGTERM)", from the Job that Stop returned. */
export function stopSummary(job: Job): string {
  if (job.status !== JobStatus.JOB_STATUS_STOPPED) {
    const how =
      job.exitCode !== undefined ? `, exit code ${job.exitCode}` : job.signal !== '' ? `, ${job.signal}` : '';
    return `Job ${job.id} had already ended: ${jobStatusName(job.status).display}${how}`;
  }
  if (job.signal === 'SIGKILL') {
    return `Stopped job ${job.id} (it did not end within the grace period after SIGTERM, so it was killed)`;
  }
  if (job.signal !== '') return `Stopped job ${job.id} (it ended after ${job.signal})`;
  if (job.exitCode !== undefined)
    return `Stopped job ${job.id} (it exited with code ${job.exitCode} after SIGTERM)`;
  return `Stopped job ${job.id}`;
}

export const stop = defineCommand<Job>({
  name: 'stop',
  summary: 'Stop a running job',
  description: [
    'Stop a running job: send it SIGTERM, give it the grace period to end, then kill everything',
    'it started. The command returns once the job has ended, and says how it ended. Stopping a job',
    'that has already ended changes nothing.',
  ].join('\n'),
  usage: 'job-id',
  args: { exactly: 1 },
  options: [
    {
      long: 'grace',
      value: 'duration',
      description:
        "time the job has to end after SIGTERM before it is killed, such as 5s or 500ms; 0 kills at once (default: the server's, 10s)",
    },
  ],
  examples: ['  workernator jobs stop XE38YM', '  workernator jobs stop XE38YM --grace 0'],
  async run(ctx, [id = ''], values) {
    const graceMs = values.parse('grace', parseDuration);
    const api = await ctx.api();
    return api.stop(
      JobStopRequest.fromPartial({
        id,
        ...(graceMs !== undefined ? { gracePeriod: msToDuration(graceMs) } : {}),
      }),
    );
  },
  text(job, ctx) {
    ctx.io.stdout.write(`${stopSummary(job)}\n`);
  },
  json: jobToJson,
});
