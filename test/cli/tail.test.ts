import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InterruptedError } from '../../src/cli/errors.js';
import { FakeApi } from './helpers/fake-api.js';
import { runInProcess } from './helpers/run-in-process.js';
import { TAIL_END } from './helpers/seed-texts.js';

describe('jobs tail', () => {
  it('writes the bytes exactly, binary included, then the end message on stderr', async () => {
    const api = new FakeApi();
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x0a, 0xe2, 0x82]);
    api.chunks = [bytes.subarray(0, 3), bytes.subarray(3)];
    const { code, io, stderr } = await runInProcess(['jobs', 'tail', 'XE38YM'], { api });
    assert.equal(code, 0);
    assert.deepEqual(io.stdoutBytes(), bytes);
    // The output did not end its line, so one more newline comes before the seed's blank line.
    assert.equal(stderr, `\n${TAIL_END}`);
    assert.deepEqual(api.tailed[0], { id: 'XE38YM', offset: 0n, lastLines: 0, noFollow: false });
  });

  it('after a full last line the message is exactly the seed one', async () => {
    const api = new FakeApi();
    api.chunks = [Buffer.from('one\n')];
    const { stderr } = await runInProcess(['jobs', 'tail', 'XE38YM'], { api });
    assert.equal(stderr, TAIL_END);
  });

  it('--no-follow, --lines and --offset reach the request; no end message without following', async () => {
    const noFollow = await runInProcess(['jobs', 'tail', 'XE38YM', '--no-follow', '-n', '20']);
    assert.deepEqual(noFollow.api.tailed[0], { id: 'XE38YM', offset: 0n, lastLines: 20, noFollow: true });
    assert.equal(noFollow.stderr, '');
    const offset = await runInProcess(['jobs', 'tail', 'XE38YM', '--offset', '100']);
    assert.equal(offset.api.tailed[0]?.offset, 100n);
    const both = await runInProcess(['jobs', 'tail', 'XE38YM', '--offset', '1', '--lines', '1']);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /^Error: --lines and --offset cannot be used together\n/);
  });

  it('-o json writes one JSON line per chunk, base64, and an end line', async () => {
    const api = new FakeApi();
    api.chunks = [Buffer.from([0, 1, 2]), Buffer.from('hi')];
    const { stdout, stderr } = await runInProcess(['jobs', 'tail', 'XE38YM', '-o', 'json'], { api });
    assert.equal(stderr, '');
    assert.deepEqual(
      stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
      [{ data: 'AAEC' }, { data: 'aGk=' }, { end: true, bytes: 5, jobEnded: true }],
    );
  });

  it('an abort (Ctrl-C) ends it with exit 130 and no message', async () => {
    const controller = new AbortController();
    const api = new FakeApi();
    // What GrpcJobsApi does when the signal aborts: it cancels the call and throws this.
    api.error = new InterruptedError();
    controller.abort();
    const { code, stderr } = await runInProcess(['jobs', 'tail', 'XE38YM'], {
      api,
      signal: controller.signal,
    });
    assert.equal(code, 130);
    assert.equal(stderr, '');
  });
});
