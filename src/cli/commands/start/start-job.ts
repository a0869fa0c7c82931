/**
 * What every `start <type>` shares: turn its arguments into the API's Arguments, add the limits,
 * call Start, and print the seed's three lines:
 *
 *     Started 'Fibonacci' job, ID: XE38YM
 *     Use 'workernator jobs tail XE38YM' to see the output of this job,
 *     'workernator jobs stop XE38YM' to stop the job.
 */
import {
  JobStartRequest,
  type Arguments,
  type Job,
  type JobType,
} from '../../../gen/workernator/v1/workernator.js';
import { jobToJson } from '../../render/job-json.js';
import { jobTypeName } from '../../render/names.js';
import { defineCommand, type ArgRule, type CommandSpec, type LeafNode, type OptionSpec } from '../../spec.js';
import type { Values } from '../../values.js';
import { confinementFrom } from './limit-options.js';

export interface JobTypeSpec {
  readonly name: string;
  readonly type: JobType;
  readonly summary: string;
  readonly description: string;
  readonly usage: string;
  readonly args: ArgRule;
  readonly options?: readonly OptionSpec[];
  readonly passThrough?: boolean;
  readonly examples?: readonly string[];
  /** The job's arguments from the command line; throws a usage error for a bad one. */
  toArguments(args: readonly string[], values: Values): Arguments['kind'];
}

export function startedText(job: Job): string {
  return [
    `Started '${jobTypeName(job.type).display}' job, ID: ${job.id}`,
    `Use 'workernator jobs tail ${job.id}' to see the output of this job,`,
    `'workernator jobs stop ${job.id}' to stop the job.`,
    '',
  ].join('\n');
}

export function startCommand(jobType: JobTypeSpec): LeafNode {
  const spec: CommandSpec<Job> = {
    name: jobType.name,
    summary: jobType.summary,
    description: jobType.description,
    usage: jobType.usage,
    args: jobType.args,
    ...(jobType.options ? { options: jobType.options } : {}),
    ...(jobType.passThrough ? { passThrough: true } : {}),
    ...(jobType.examples ? { examples: jobType.examples } : {}),
    async run(ctx, args, values) {
      // Everything is parsed before connecting, so a typo never costs a round trip.
      const request = JobStartRequest.fromPartial({
        type: jobType.type,
        args: { kind: jobType.toArguments(args, values) },
        ...confinementFrom(values),
      });
      const api = await ctx.api();
      return api.start(request);
    },
    text(job, ctx) {
      ctx.io.stdout.write(startedText(job));
    },
    json: jobToJson,
  };
  return defineCommand(spec);
}
