/**
 * The built CLI as a subprocess against a real server over mutual TLS: the seed's texts (IDs and
 * times normalized), exact bytes through tail, and the one-line errors with their exit codes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertCliBuilt, runCliProcess } from './helpers/cli-process.js';
import { normalize, startCliServer, type CliServer } from './helpers/server.js';
import { START_OUTPUT, STATUS_BLOCK, TAIL_END, TAIL_OUTPUT_PATTERN } from './helpers/seed-texts.js';

const ID_LINE = /ID: ([A-Z2-9]{6})$/m;

describe('workernator against a real server', () => {
  let cli: CliServer;
  before(async () => {
    assertCliBuilt();
    cli = await startCliServer();
  });
  after(() => cli.server.close());

  const run = (args: readonly string[], name = 'admin') => runCliProcess(args, cli.env(name));

  async function startJob(args: readonly string[]): Promise<string> {
    const result = await run(['jobs', 'start', ...args]);
    assert.equal(result.code, 0, result.stderr);
    const id = ID_LINE.exec(result.stdout.toString())?.[1];
    assert.ok(id !== undefined, result.stdout.toString());
    return id;
  }

  it('start, tail and status of fib 3 read as the seed shows them', async () => {
    const started = await runCliProcess(['jobs', 'start', 'fib', '3', ...cli.flags()]);
    assert.equal(started.code, 0, started.stderr);
    const id = ID_LINE.exec(started.stdout.toString())?.[1] ?? '';
    assert.equal(normalize(started.stdout.toString(), id), START_OUTPUT);

    const tail = await run(['jobs', 'tail', id]);
    assert.equal(tail.code, 0, tail.stderr);
    const lines = tail.stdout.toString().trimEnd().split('\n');
    assert.equal(lines.length, TAIL_OUTPUT_PATTERN.length, tail.stdout.toString());
    lines.forEach((line, i) => assert.match(line, TAIL_OUTPUT_PATTERN[i] ?? /^$/));
    assert.equal(tail.stderr, TAIL_END);

    const status = await run(['jobs', 'status', id]);
    assert.equal(status.code, 0, status.stderr);
    // Not a terminal: no progress text on stderr.
    assert.equal(status.stderr, '');
    const expected = normalize(STATUS_BLOCK, 'XE38YM');
    assert.ok(normalize(status.stdout.toString(), id).startsWith(expected), status.stdout.toString());
    assert.match(status.stdout.toString(), /^Exit code: {2}0$/m);
  });

  it('tail writes binary output byte for byte', async () => {
    const id = await startJob(['command', '--', '/bin/sh', '-c', "printf '\\000\\001\\377\\376abc'"]);
    const tail = await run(['jobs', 'tail', id]);
    assert.equal(tail.code, 0, tail.stderr);
    assert.deepEqual(tail.stdout, Buffer.from([0, 1, 0xff, 0xfe, 0x61, 0x62, 0x63]));
  });

  it('command passes its arguments through untouched', async () => {
    const id = await startJob(['command', '--', '/bin/echo', '-la', '/', '--help', '-o', 'json']);
    const tail = await run(['jobs', 'tail', id]);
    assert.equal(tail.stdout.toString(), '-la / --help -o json\n');
    const status = await run(['jobs', 'status', id, '-o', 'json']);
    const job = JSON.parse(status.stdout.toString()) as {
      args: { executable: string; args: string[] };
      status: string;
    };
    assert.deepEqual(job.args.args, ['-la', '/', '--help', '-o', 'json']);
    assert.equal(job.status, 'complete');
  });

  it('tail --no-follow and --lines read what was recorded', async () => {
    const id = await startJob(['command', '--', '/bin/sh', '-c', 'printf "1\\n2\\n3\\n"']);
    await run(['jobs', 'tail', id]);
    const last = await run(['jobs', 'tail', id, '--lines', '2', '--no-follow']);
    assert.equal(last.stdout.toString(), '2\n3\n');
    assert.equal(last.stderr, '');
    const offset = await run(['jobs', 'tail', id, '--offset', '4']);
    assert.equal(offset.stdout.toString(), '3\n');
  });

  it('stop says how the job ended; the grace period reaches the server', async () => {
    const id = await startJob(['command', '--', '/bin/sleep', '1000']);
    const stop = await run(['jobs', 'stop', id, '--grace', '5s']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout.toString(), `Stopped job ${id} (it ended after SIGTERM)\n`);
    const status = await run(['jobs', 'status', id, '-o', 'json']);
    assert.equal((JSON.parse(status.stdout.toString()) as { status: string }).status, 'stopped');
  });

  it('list shows a table with the jobs', async () => {
    const id = await startJob(['noop']);
    const list = await run(['jobs', 'list', '--all']);
    assert.equal(list.code, 0, list.stderr);
    const text = list.stdout.toString();
    assert.match(text, /^ID +TYPE +STATUS +OWNER +STARTED +DURATION$/m);
    assert.match(text, new RegExp(`^${id} {3}noop `, 'm'));
    const json = JSON.parse(
      (await run(['jobs', 'list', '-o', 'json', '--limit', '1'])).stdout.toString(),
    ) as { jobs: { id: string }[] };
    assert.deepEqual(
      json.jobs.map((j) => j.id),
      [id],
    );
  });

  it('errors are one line with the documented exit codes', async () => {
    const unknown = await run(['jobs', 'status', 'ZZZZZZ']);
    assert.deepEqual([unknown.code, unknown.stderr], [3, 'Error: no job ZZZZZZ\n']);

    const denied = await run(['jobs', 'start', 'fib', '3'], 'vera');
    assert.equal(denied.code, 3);
    assert.match(denied.stderr, /^Error: permission denied: [^\n]+\n$/);

    const invalid = await run(['jobs', 'start', 'fib', '100000000']);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /^Error: [^\n]*position[^\n]*\n$/);

    const refused = await runCliProcess(['jobs', 'list', '--host', '127.0.0.1:1'], {
      ...cli.env(),
      WORKERNATOR_HOST: '',
    });
    assert.deepEqual(
      [refused.code, refused.stderr],
      [2, 'Error: cannot reach the server at 127.0.0.1:1: connection refused — is workernatord running?\n'],
    );

    const missing = await run(['jobs', 'list', '--cert', '/nonexistent/me.crt']);
    assert.deepEqual(
      [missing.code, missing.stderr],
      [2, 'Error: the client certificate /nonexistent/me.crt (from --cert) does not exist\n'],
    );

    const wrongCa = await run(['jobs', 'list', '--ca', cli.env().WORKERNATOR_CERT ?? '']);
    assert.equal(wrongCa.code, 2);
    assert.match(wrongCa.stderr, /^Error: TLS with the server at localhost:\d+ failed: [^\n]+\n$/);
  });
});
