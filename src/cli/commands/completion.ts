/** `workernator completion bash|zsh|fish`: print a completion script, as cobra's completion command does. */
import { bashScript } from '../completion/bash.js';
import { fishScript } from '../completion/fish.js';
import type { CompletionModel } from '../completion/model.js';
import { zshScript } from '../completion/zsh.js';
import { defineCommand, type GroupNode, type LeafNode } from '../spec.js';

function shellCommand(
  shell: string,
  loadHint: string,
  generate: (model: CompletionModel) => string,
): LeafNode {
  return defineCommand<string>({
    name: shell,
    summary: `Generate the autocompletion script for ${shell}`,
    description: [`Generate the autocompletion script for the ${shell} shell.`, '', loadHint].join('\n'),
    usage: '',
    args: { exactly: 0 },
    run: (ctx) => Promise.resolve(generate(ctx.completionModel())),
    text(script, ctx) {
      ctx.io.stdout.write(script);
    },
    // The script is text whatever the format: there is nothing else a shell could load.
    json: (script) => script,
  });
}

export const completion: GroupNode = {
  kind: 'group',
  name: 'completion',
  summary: 'Generate the autocompletion script for the specified shell',
  description: [
    'Generate the autocompletion script for workernator for the specified shell.',
    "See each sub-command's help for details on how to use the generated script.",
  ].join('\n'),
  children: [
    shellCommand(
      'bash',
      [
        'To load completions in your current shell session:',
        '',
        '  source <(workernator completion bash)',
        '',
        'To load completions for every new session, execute once:',
        '',
        '  workernator completion bash > ~/.local/share/bash-completion/completions/workernator',
      ].join('\n'),
      bashScript,
    ),
    shellCommand(
      'fish',
      [
        'To load completions in your current shell session:',
        '',
        '  workernator completion fish | source',
        '',
        'To load completions for every new session, execute once:',
        '',
        '  workernator completion fish > ~/.config/fish/completions/workernator.fish',
      ].join('\n'),
      fishScript,
    ),
    shellCommand(
      'zsh',
      [
        'To load completions in your current shell session:',
        '',
        '  source <(workernator completion zsh)',
        '',
        'To load completions for every new session, execute once:',
        '',
        '  workernator completion zsh > "${fpath[1]}/_workernator"',
        '',
        'Completion must be enabled in your environment (autoload -U compinit; compinit).',
      ].join('\n'),
      zshScript,
    ),
  ],
};
