/**
 * Help and usage texts in cobra's layout (the seed's texts are cobra's), rendered from the specs:
 *
 *     <description>
 *
 *     Usage:
 *       workernator jobs start fib position [flags]
 *
 *     Flags:
 *       -h, --help   help for fib
 *
 *     Global Flags:
 *           --host host:port   the server's address (default "localhost:50051")
 *
 * Flag columns follow pflag: the widest flag plus one, then two spaces; commands are padded to 11.
 */

export interface FlagHelp {
  readonly long: string;
  readonly short?: string;
  readonly value?: string;
  readonly description: string;
  readonly defaultText?: string;
}

export interface HelpInput {
  /** "workernator jobs start fib" */
  readonly path: string;
  readonly description: string;
  /** For a command that runs: "position" (what follows the path); undefined for a group. */
  readonly usage: string | undefined;
  readonly subcommands: readonly { readonly name: string; readonly summary: string }[];
  readonly localFlags: readonly FlagHelp[];
  /** Persistent flags of the commands above. */
  readonly globalFlags: readonly FlagHelp[];
  readonly examples?: readonly string[];
}

const MIN_NAME_PADDING = 11;

export function flagUsages(flags: readonly FlagHelp[]): string {
  const sorted = [...flags].sort((a, b) => a.long.localeCompare(b.long));
  const heads = sorted.map(
    (flag) =>
      `${flag.short !== undefined ? `  -${flag.short}, ` : '      '}--${flag.long}${flag.value !== undefined ? ` ${flag.value}` : ''}`,
  );
  const width = Math.max(...heads.map((head) => head.length + 1));
  return sorted
    .map((flag, i) => {
      const head = heads[i] ?? '';
      const shownDefault = flag.defaultText !== undefined ? ` (default "${flag.defaultText}")` : '';
      return `${head}${' '.repeat(width - head.length)}  ${flag.description}${shownDefault}`;
    })
    .join('\n');
}

export function usageText(input: HelpInput): string {
  const sections: string[] = [];
  const usageLines = [
    ...(input.usage !== undefined
      ? [`  ${[input.path, input.usage, '[flags]'].filter((s) => s !== '').join(' ')}`]
      : []),
    ...(input.subcommands.length > 0 ? [`  ${input.path} [command]`] : []),
  ];
  sections.push(`Usage:\n${usageLines.join('\n')}`);
  if (input.examples !== undefined && input.examples.length > 0)
    sections.push(`Examples:\n${input.examples.join('\n')}`);
  if (input.subcommands.length > 0) {
    const pad = Math.max(MIN_NAME_PADDING, ...input.subcommands.map((sub) => sub.name.length));
    const lines = input.subcommands.map((sub) => `  ${sub.name.padEnd(pad)} ${sub.summary}`);
    sections.push(`Available Commands:\n${lines.join('\n')}`);
  }
  if (input.localFlags.length > 0) sections.push(`Flags:\n${flagUsages(input.localFlags)}`);
  if (input.globalFlags.length > 0) sections.push(`Global Flags:\n${flagUsages(input.globalFlags)}`);
  if (input.subcommands.length > 0) {
    sections.push(`Use "${input.path} [command] --help" for more information about a command.`);
  }
  return `${sections.join('\n\n')}\n`;
}

export function helpText(input: HelpInput): string {
  return `${input.description.trimEnd()}\n\n${usageText(input)}`;
}
