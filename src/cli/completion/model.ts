/**
 * What a completion script needs, read from the commander tree the CLI actually parses with: for
 * each command path its subcommands and flags, and which flags take a value (so the script can
 * skip that value while it works out where the cursor is).
 */
import type { Command, Option } from 'commander';

export interface CompletionFlag {
  /** "--host", "-o", ... */
  readonly names: readonly string[];
  readonly takesValue: boolean;
  readonly description: string;
  /** Complete the value with file names, or with these words. */
  readonly values?: 'file' | readonly string[];
}

export interface CompletionCommand {
  /** "workernator jobs start" */
  readonly path: string;
  readonly subcommands: readonly { readonly name: string; readonly description: string }[];
  readonly flags: readonly CompletionFlag[];
}

export interface CompletionModel {
  readonly program: string;
  readonly commands: readonly CompletionCommand[];
}

/** How each commander Option's value completes; program.ts records it as it builds the options. */
export type ValueHints = WeakMap<Option, 'file' | readonly string[]>;

function flagOf(option: Option, hints: ValueHints): CompletionFlag {
  const names = [option.long, option.short].filter((name): name is string => name !== undefined);
  const hint = hints.get(option);
  return {
    names,
    takesValue: option.required || option.optional,
    description: option.description,
    ...(hint !== undefined ? { values: hint } : {}),
  };
}

export function completionModel(program: Command, hints: ValueHints): CompletionModel {
  const commands: CompletionCommand[] = [];
  const walk = (command: Command, path: string) => {
    const visible = command.commands;
    const flags = command.options.filter((option) => !option.hidden).map((option) => flagOf(option, hints));
    // commander keeps its help flag and help command apart from options and commands.
    flags.push({ names: ['--help', '-h'], takesValue: false, description: `help for ${command.name()}` });
    const subcommands = visible.map((sub) => ({
      name: sub.name(),
      description: sub.summary() || sub.description(),
    }));
    if (command === program) subcommands.push({ name: 'help', description: 'Help about any command' });
    commands.push({ path, subcommands: subcommands.sort((a, b) => a.name.localeCompare(b.name)), flags });
    for (const sub of visible) walk(sub, `${path} ${sub.name()}`);
  };
  walk(program, program.name());
  return { program: program.name(), commands };
}
