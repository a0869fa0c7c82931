/** `workernator jobs status job-id`: the seed's status block, or the Job as JSON. */
import type { Job } from '../../gen/workernator/v1/workernator.js';
import { jobToJson } from '../render/job-json.js';
import { jobStatusText } from '../render/job-text.js';
import { defineCommand } from '../spec.js';
import { withProgress } from '../terminal.js';

export const status = defineCommand<Job>({
  name: 'status',
  summary: 'Get the status of a job',
  description: [
    'Get the status of a job: its arguments, whether it runs or how it ended, when it started and',
    'finished, and, when the server reports them, its exit code, limits and resource usage.',
  ].join('\n'),
  usage: 'job-id',
  args: { exactly: 1 },
  examples: ['  workernator jobs status XE38YM', '  workernator jobs status XE38YM -o json'],
  async run(ctx, [id = '']) {
    const api = await ctx.api();
    // Progress only in text mode: a script asking for JSON wants nothing but JSON.
    if (ctx.format === 'json') return api.status(id);
    return withProgress(ctx.io, `Getting info for job ${id}`, () => api.status(id));
  },
  text(job, ctx) {
    ctx.io.stdout.write(jobStatusText(job, ctx.now()));
  },
  json: jobToJson,
});
