/**
 * Builds commander from the spec tree (commands/tree.ts). commander parses; everything a person
 * sees comes from the specs: help in cobra's layout (help.ts), cobra's wording for bad arguments
 * and flags, and usage errors that carry the command's usage block. Commands never exit: they
 * return or throw, and main.ts decides the exit code.
 */
import { Command, CommanderError, Option } from 'commander';
import { completionModel, type ValueHints } from './completion/model.js';
import { UsageError, ValueError } from './errors.js';
import { helpText, usageText, type FlagHelp, type HelpInput } from './help.js';
import {
  nodeName,
  nodeSummary,
  type ArgRule,
  type CommandNode,
  type GroupNode,
  type OptionSpec,
  type OutputFormat,
  type RunContext,
} from './spec.js';
import type { Io } from './terminal.js';
import { Values, type RawValue } from './values.js';

export interface ProgramDeps {
  readonly io: Io;
  readonly version: string;
  /** Makes the context a command runs with, from its merged flag values. */
  readonly context: (
    values: Values,
    format: OutputFormat,
    completion: RunContext['completionModel'],
  ) => RunContext;
}

export interface Program {
  /** Parses and runs; resolves when the command is done, rejects with a CliError (or a bug). */
  run(argv: readonly string[]): Promise<void>;
  /** The usage block of a command path, for usage errors. */
  usage(path: string): string | undefined;
}

/** cobra's messages for its argument rules. */
export function checkArgs(rule: ArgRule, count: number): string | undefined {
  if ('exactly' in rule) {
    return count === rule.exactly ? undefined : `accepts ${rule.exactly} arg(s), received ${count}`;
  }
  if (rule.max !== undefined && (count < rule.min || count > rule.max)) {
    return `accepts between ${rule.min} and ${rule.max} arg(s), received ${count}`;
  }
  return count < rule.min ? `requires at least ${rule.min} arg(s), only received ${count}` : undefined;
}

function flagHelp(option: OptionSpec): FlagHelp {
  return {
    long: option.long,
    description: option.description,
    ...(option.short !== undefined ? { short: option.short } : {}),
    ...(option.value !== undefined ? { value: option.value } : {}),
    ...(option.defaultText !== undefined ? { defaultText: option.defaultText } : {}),
  };
}

const collect = (value: string, previous: unknown): string[] => [
  ...(Array.isArray(previous) ? (previous as string[]) : []),
  value,
];

/** commander's own parse errors, in cobra's words. */
function cobraMessage(error: CommanderError): string {
  const text = error.message.replace(/^error:\s*/, '');
  const unknown = /unknown option '([^']+)'/.exec(text);
  if (unknown?.[1] !== undefined) {
    const flag = unknown[1];
    return flag.startsWith('--')
      ? `unknown flag: ${flag}`
      : `unknown shorthand flag: '${flag.slice(1, 2)}' in ${flag}`;
  }
  const missing = /option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(text);
  if (missing?.[1] !== undefined) return `flag needs an argument: ${missing[1]}`;
  return text;
}

export function buildProgram(root: GroupNode, deps: ProgramDeps): Program {
  const usages = new Map<string, HelpInput>();
  const hints: ValueHints = new WeakMap();
  // Which spec each commander option came from, to read values back by their long names.
  const optionSpecs = new Map<Command, { option: Option; spec: OptionSpec }[]>();

  const addOptions = (cmd: Command, specs: readonly OptionSpec[]) => {
    const added = optionSpecs.get(cmd) ?? [];
    for (const spec of specs) {
      const flags = `${spec.short !== undefined ? `-${spec.short}, ` : ''}--${spec.long}${spec.value !== undefined ? ` <${spec.value}>` : ''}`;
      const option = new Option(flags, spec.description);
      if (spec.repeatable === true) option.argParser(collect);
      if (spec.complete !== undefined) hints.set(option, spec.complete);
      cmd.addOption(option);
      added.push({ option, spec });
    }
    optionSpecs.set(cmd, added);
  };

  /** The flags given on the command line to `cmd` and the commands above it; the nearest wins. */
  const mergedValues = (cmd: Command, path: string): Values => {
    const chain: Command[] = [];
    for (let at: Command | null = cmd; at !== null; at = at.parent) chain.unshift(at);
    const raw = new Map<string, RawValue>();
    for (const at of chain) {
      for (const { option, spec } of optionSpecs.get(at) ?? []) {
        const key = option.attributeName();
        if (at.getOptionValueSource(key) !== 'cli') continue;
        const value: unknown = at.getOptionValue(key);
        // "--no-follow" is stored by commander as follow=false; the spec asks for "no-follow".
        raw.set(spec.long, option.negate ? value === false : (value as RawValue));
      }
    }
    return new Values(raw, path);
  };

  const build = (
    node: CommandNode,
    parentPath: string | undefined,
    inherited: readonly OptionSpec[],
  ): Command => {
    const name = nodeName(node);
    const path = parentPath === undefined ? name : `${parentPath} ${name}`;
    const cmd = new Command(name);
    const local = node.kind === 'leaf' ? (node.meta.options ?? []) : (node.persistentOptions ?? []);
    const subcommands =
      node.kind === 'group'
        ? node.children.map((child) => ({ name: nodeName(child), summary: nodeSummary(child) }))
        : [];
    if (parentPath === undefined) subcommands.push({ name: 'help', summary: 'Help about any command' });
    subcommands.sort((a, b) => a.name.localeCompare(b.name));
    const localFlags = [
      ...local.map(flagHelp),
      { long: 'help', short: 'h', description: `help for ${name}` },
    ];
    if (parentPath === undefined)
      localFlags.push({ long: 'version', short: 'v', description: `version for ${name}` });
    const help: HelpInput = {
      path,
      description: node.kind === 'leaf' ? node.meta.description : node.description,
      usage: node.kind === 'leaf' ? node.meta.usage : undefined,
      subcommands,
      localFlags,
      globalFlags: inherited.map(flagHelp),
      ...(node.kind === 'leaf' && node.meta.examples !== undefined ? { examples: node.meta.examples } : {}),
    };
    usages.set(path, help);

    cmd
      .summary(nodeSummary(node))
      .helpOption('-h, --help', `help for ${name}`)
      .configureHelp({ formatHelp: () => helpText(help) })
      .configureOutput({
        writeOut: (text) => deps.io.stdout.write(text),
        writeErr: (text) => deps.io.stderr.write(text),
        outputError: () => undefined,
      })
      .exitOverride((error) => {
        if (['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(error.code))
          throw error;
        throw new UsageError(cobraMessage(error), path);
      })
      .allowExcessArguments(true);
    addOptions(cmd, [...inherited, ...local]);

    if (node.kind === 'group') {
      // Each command's flags come after its own name: that is what lets `start command` pass
      // everything after the program's name through untouched.
      cmd.enablePositionalOptions();
      if (parentPath === undefined) cmd.helpCommand('help [command]', 'Help about any command');
      else cmd.helpCommand(false);
      const below = [...inherited, ...(node.persistentOptions ?? [])];
      for (const child of node.children) cmd.addCommand(build(child, path, below));
      cmd.argument('[command...]').action(() => {
        const [unknown] = cmd.args;
        if (unknown === undefined) {
          deps.io.stdout.write(helpText(help));
          return;
        }
        throw new UsageError(`unknown command "${unknown}" for "${path}"`, path, false);
      });
      return cmd;
    }

    if (node.meta.passThrough === true) cmd.passThroughOptions();
    cmd.argument('[args...]').action(async () => {
      const args = cmd.args;
      const problem = checkArgs(node.meta.args, args.length);
      if (problem !== undefined) throw new UsageError(problem, path);
      const values = mergedValues(cmd, path);
      const format = values.parse('output', (text) => {
        if (text !== 'text' && text !== 'json') throw new ValueError('expected text or json');
        return text;
      });
      const ctx = deps.context(values, format ?? 'text', () => completionModel(program, hints));
      await node.execute(ctx, args, values);
    });
    return cmd;
  };

  const program = build(root, undefined, []);
  program.version(deps.version, '-v, --version', `version for ${root.name}`);

  return {
    async run(argv) {
      const [first, topic] = argv;
      // commander answers `help <unknown>` with the root help on stderr and exit 1; cobra names the topic.
      if (
        first === 'help' &&
        topic !== undefined &&
        !root.children.some((child) => nodeName(child) === topic)
      ) {
        throw new UsageError(`unknown help topic "${topic}"`, root.name, false);
      }
      try {
        await program.parseAsync([...argv], { from: 'user' });
      } catch (error) {
        if (error instanceof CommanderError && error.exitCode === 0) return;
        throw error;
      }
    },
    usage: (path) => {
      const help = usages.get(path);
      return help === undefined ? undefined : usageText(help);
    },
  };
}
