/** Through a real pseudo-terminal: the progress text of status, and Ctrl-C in tail. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLI, assertCliBuilt, runCliProcess } from './helpers/cli-process.js';
import { runInPty } from './helpers/pty.js';
import { normalize, startCliServer, type CliServer } from './helpers/server.js';
import { STATUS_BLOCK } from './helpers/seed-texts.js';

describe('workernator in a terminal', () => {
  let cli: CliServer;
  before(async () => {
    assertCliBuilt();
    cli = await startCliServer();
  });
  after(() => cli.server.close());

  async function startJob(args: readonly string[]): Promise<string> {
    const result = await runCliProcess(['jobs', 'start', '-o', 'json', ...args], cli.env());
    assert.equal(result.code, 0, result.stderr);
    return (JSON.parse(result.stdout.toString()) as { id: string }).id;
  }

  it('status shows "Getting info for job ... DONE!" and then the block', async () => {
    const id = await startJob(['fib', '3']);
    await runCliProcess(['jobs', 'tail', id], cli.env());
    const { output, code } = await runInPty([process.execPath, CLI, 'jobs', 'status', id], {
      ...cli.env(),
      NO_COLOR: '1',
    });
    assert.equal(code, 0, output);
    const expected = `Getting info for job XE38YM... DONE!\n\n${normalize(STATUS_BLOCK, 'XE38YM')}`;
    assert.ok(normalize(output, id).startsWith(expected), output);
  });

  it('Ctrl-C ends tail at once with exit 130', async () => {
    const id = await startJob(['command', '--', '/bin/sh', '-c', 'echo READY; exec sleep 1000']);
    const { output, code } = await runInPty([process.execPath, CLI, 'jobs', 'tail', id], cli.env(), 'READY');
    assert.equal(code, 130, output);
    assert.match(output, /READY/);
    assert.doesNotMatch(output, /Job finished|Error/);
    // The job goes on: tail does not stop it.
    const status = await runCliProcess(['jobs', 'status', id, '-o', 'json'], cli.env());
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout.toString()) as { status: string }).status, 'running');
    await runCliProcess(['jobs', 'stop', id, '--grace', '0'], cli.env());
  });
});
