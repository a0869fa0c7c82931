/**
 * How a command is declared. A verb file exports a spec (name, summary, description, usage, args,
 * options) and a run() that returns data; program.ts builds commander from the specs, help.ts the
 * help texts, completion/ the shell scripts, so none of them is written twice.
 */
import type { JobsApi } from './client.js';
import type { CompletionModel } from './completion/model.js';
import type { Json } from './render/job-json.js';
import type { Io } from './terminal.js';
import type { Values } from './values.js';

export type OutputFormat = 'text' | 'json';

export interface OptionSpec {
  /** The long name without dashes: "cpu", "no-follow". */
  readonly long: string;
  readonly short?: string;
  /** The value's name in help ("--cpu quantity"); absent for a boolean flag. */
  readonly value?: string;
  readonly description: string;
  /** Shown as pflag does: (default "localhost:50051"). */
  readonly defaultText?: string;
  /** May be given more than once; the values add up. */
  readonly repeatable?: boolean;
  /** What a shell should complete for the value. */
  readonly complete?: 'file' | readonly string[];
}

/** cobra's argument rules: ExactArgs(n), or MinimumNArgs / RangeArgs. */
export type ArgRule = { readonly exactly: number } | { readonly min: number; readonly max?: number };

export interface RunContext {
  readonly io: Io;
  readonly format: OutputFormat;
  /** Aborted by Ctrl-C; the API client cancels its calls on it. */
  readonly signal: AbortSignal;
  readonly now: () => Date;
  /** Opens the connection on first use, so help and usage errors never read TLS files. */
  readonly api: () => Promise<JobsApi>;
  /** The command tree as commander parses it, for `completion`. */
  readonly completionModel: () => CompletionModel;
}

export interface CommandSpec<R> {
  readonly name: string;
  /** One line, for the parent's "Available Commands". */
  readonly summary: string;
  /** The help's opening paragraphs (cobra's Long). */
  readonly description: string;
  /** What follows the command path in the usage line: "position" gives "... fib position [flags]". */
  readonly usage: string;
  readonly args: ArgRule;
  readonly options?: readonly OptionSpec[];
  /** Everything after the first argument is passed on untouched (`start command`). */
  readonly passThrough?: boolean;
  readonly examples?: readonly string[];
  /** Values a shell may complete for the arguments. */
  readonly completeArgs?: readonly string[];
  run(ctx: RunContext, args: readonly string[], values: Values): Promise<R>;
  /** Writes the result for people. */
  text(result: R, ctx: RunContext): void;
  /** The result for `-o json`; undefined when run() already wrote it (tail streams). */
  json(result: R): Json | undefined;
}

export type CommandMeta = Omit<CommandSpec<unknown>, 'run' | 'text' | 'json'>;

export interface LeafNode {
  readonly kind: 'leaf';
  readonly meta: CommandMeta;
  execute(ctx: RunContext, args: readonly string[], values: Values): Promise<void>;
}

export interface GroupNode {
  readonly kind: 'group';
  readonly name: string;
  readonly summary: string;
  readonly description: string;
  readonly children: readonly CommandNode[];
  /** Flags of this command and every command below it (cobra's persistent flags). */
  readonly persistentOptions?: readonly OptionSpec[];
}

export type CommandNode = LeafNode | GroupNode;

export function nodeName(node: CommandNode): string {
  return node.kind === 'leaf' ? node.meta.name : node.name;
}

export function nodeSummary(node: CommandNode): string {
  return node.kind === 'leaf' ? node.meta.summary : node.summary;
}

/** Erases R: run, then render as text or JSON, so a tree can hold commands of any result type. */
export function defineCommand<R>(spec: CommandSpec<R>): LeafNode {
  const { name, summary, description, usage, args, options, passThrough, examples, completeArgs } = spec;
  const meta: CommandMeta = {
    name,
    summary,
    description,
    usage,
    args,
    options,
    passThrough,
    examples,
    completeArgs,
  };
  return {
    kind: 'leaf',
    meta,
    async execute(ctx, argv, values) {
      const result = await spec.run(ctx, argv, values);
      if (ctx.format === 'text') {
        spec.text(result, ctx);
        return;
      }
      const value = spec.json(result);
      if (value !== undefined) ctx.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
  };
}
