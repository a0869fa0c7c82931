/** The completion scripts, loaded into a real bash (non-interactive) and asked to complete. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { before, describe, it } from 'node:test';
import { assertCliBuilt, runCliProcess } from './helpers/cli-process.js';

/** Sources the script, sets COMP_WORDS/COMP_CWORD as bash would for `line`, prints COMPREPLY. */
function complete(script: string, words: readonly string[]): string[] {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const program = `${script}\nCOMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _workernator; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', program], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.split('\n').filter((line) => line !== '');
}

describe('completion', () => {
  let bash = '';
  before(async () => {
    assertCliBuilt();
    const result = await runCliProcess(['completion', 'bash']);
    assert.equal(result.code, 0, result.stderr);
    bash = result.stdout.toString();
  });

  it('bash completes `workernator jobs st` to start, status, stop', () => {
    assert.deepEqual(complete(bash, ['workernator', 'jobs', 'st']), ['start', 'status', 'stop']);
  });

  it('bash completes commands, job types, flags and flag values along the tree', () => {
    assert.deepEqual(complete(bash, ['workernator', '']), ['completion', 'help', 'jobs']);
    assert.deepEqual(complete(bash, ['workernator', 'jobs', '--host', 'h:1', 'start', 'f']), ['fib']);
    assert.deepEqual(complete(bash, ['workernator', 'jobs', 'start', '--network', '']), ['isolated', 'host']);
    assert.deepEqual(complete(bash, ['workernator', 'jobs', 'tail', 'X', '--no']), ['--no-follow']);
    assert.deepEqual(complete(bash, ['workernator', 'jobs', 'status', '-o', 'j']), ['json']);
  });

  it('zsh and fish scripts are generated from the same tree', async () => {
    const zsh = (await runCliProcess(['completion', 'zsh'])).stdout.toString();
    assert.match(zsh, /^#compdef workernator\n/);
    assert.match(zsh, /'start:Start a job in the server'/);
    const fish = (await runCliProcess(['completion', 'fish'])).stdout.toString();
    assert.match(
      fish,
      /complete -c workernator -f -n '__workernator_is \\'workernator jobs\\'' -a 'start' -d 'Start a job in the server'/,
    );
    // bash itself can at least parse the shared data functions of the zsh script.
    const parsed = spawnSync('bash', ['-n', '-c', zsh.split('\n_workernator()')[0] ?? ''], {
      encoding: 'utf8',
    });
    assert.equal(parsed.status, 0, parsed.stderr);
  });
});
