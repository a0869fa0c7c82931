/**
 * The data functions bash and zsh scripts share (both read this `case` syntax): the subcommands,
 * flags and value-taking flags of each command path, and the values of a flag.
 */
import type { CompletionModel } from './model.js';

/** Single-quoted for sh; completion words never hold a quote, but a description might. */
export const shQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

function caseFunction(name: string, entries: readonly (readonly [string, readonly string[]])[]): string {
  const arms = entries
    .filter(([, words]) => words.length > 0)
    .map(([key, words]) => `    ${shQuote(key)}) echo ${shQuote(words.join(' '))} ;;`);
  return [`${name}() {`, '  case "$1" in', ...arms, '  esac', '}'].join('\n');
}

export function shellDataFunctions(model: CompletionModel, prefix: string): string {
  const byPath = (pick: (c: CompletionModel['commands'][number]) => readonly string[]) =>
    model.commands.map((command) => [command.path, pick(command)] as const);
  const valueHints = new Map<string, string>();
  for (const command of model.commands) {
    for (const flag of command.flags) {
      if (flag.values === undefined) continue;
      const words = flag.values === 'file' ? '__file__' : flag.values.join(' ');
      for (const name of flag.names) valueHints.set(name, words);
    }
  }
  return [
    caseFunction(
      `${prefix}_subcommands`,
      byPath((c) => c.subcommands.map((s) => s.name)),
    ),
    caseFunction(
      `${prefix}_flags`,
      byPath((c) => c.flags.flatMap((f) => f.names)),
    ),
    caseFunction(
      `${prefix}_value_flags`,
      byPath((c) => c.flags.filter((f) => f.takesValue).flatMap((f) => f.names)),
    ),
    caseFunction(
      `${prefix}_flag_values`,
      [...valueHints].map(([name, words]) => [name, [words]] as const),
    ),
  ].join('\n\n');
}

/**
 * The walk over the words before the cursor, in syntax bash and zsh share: subcommand names extend
 * the command path, a flag that takes a value skips that value, and "--" ends the walk (what follows
 * belongs to the job's program).
 */
export function pathWalk(prefix: string, wordsExpr: string, first: string, last: string): string {
  return `  local cmdpath=${shQuote('PROGRAM')} word skip=0 i
  for ((i = ${first}; i < ${last}; i++)); do
    word="${wordsExpr}"
    if [[ $skip -eq 1 ]]; then skip=0; continue; fi
    case "$word" in
      --) return 1 ;;
      --*=*) ;;
      -*) [[ " $(${prefix}_value_flags "$cmdpath") " == *" $word "* ]] && skip=1 ;;
      *) [[ " $(${prefix}_subcommands "$cmdpath") " == *" $word "* ]] && cmdpath="$cmdpath $word" ;;
    esac
  done`;
}
