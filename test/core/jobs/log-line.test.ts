import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  escapeControlCharacters,
  formatLogLine,
  formatTimestamp,
  JobLog,
} from '../../../src/core/jobs/log-line.js';
import { CapturedOutput, FIXED_STAMP, fixedClock } from './job-output.js';

describe('formatTimestamp', () => {
  it('writes UTC as YYYY-MM-DD HH:MM:SS with zero padding', () => {
    assert.equal(formatTimestamp(new Date(Date.UTC(2022, 6, 7, 12, 34, 55))), '2022-07-07 12:34:55');
    assert.equal(formatTimestamp(new Date(Date.UTC(2009, 0, 2, 3, 4, 5, 999))), '2009-01-02 03:04:05');
    assert.equal(formatTimestamp(new Date(Date.UTC(1999, 11, 31, 23, 59, 59))), '1999-12-31 23:59:59');
  });

  it('does not depend on the local time zone', () => {
    // The same instant written from a +14:00 offset string must give the UTC wall time.
    assert.equal(formatTimestamp(new Date('2022-07-08T02:34:55+14:00')), '2022-07-07 12:34:55');
  });
});

describe('formatLogLine', () => {
  it('is the seed format: timestamp, [TAG], text, newline', () => {
    assert.equal(
      formatLogLine(new Date(Date.UTC(2022, 6, 7, 12, 34, 55)), 'RESULT', '1'),
      '2022-07-07 12:34:55 [RESULT] 1\n',
    );
  });

  it('keeps a line one line and free of terminal escapes', () => {
    const line = formatLogLine(new Date(0), 'EVAL', "Evaluating '1 +\n2'\r\u001b[2J\u0085");
    assert.equal(line, "1970-01-01 00:00:00 [EVAL] Evaluating '1 +\\u000a2'\\u000d\\u001b[2J\\u0085\n");
    assert.equal(line.split('\n').length, 2);
  });

  it('keeps tabs and non-ASCII text', () => {
    assert.equal(escapeControlCharacters('a\tb é π 😀'), 'a\tb é π 😀');
  });
});

describe('JobLog', () => {
  it('writes start, lines and completion through the clock, and returns exit 0', () => {
    const out = new CapturedOutput();
    const log = new JobLog(out, fixedClock);
    log.started('Noop');
    log.line('FIB', 'text');
    assert.equal(log.complete(), 0);
    assert.deepEqual(out.lines, [
      `${FIXED_STAMP} [JOB] Starting job 'Noop'`,
      `${FIXED_STAMP} [FIB] text`,
      `${FIXED_STAMP} [JOB] Complete`,
    ]);
  });

  it('writes the reason and Failed, and returns exit 1', () => {
    const out = new CapturedOutput();
    assert.equal(new JobLog(out, fixedClock).failed('connection refused: http://127.0.0.1:9/'), 1);
    assert.deepEqual(out.lines, [
      `${FIXED_STAMP} [ERROR] connection refused: http://127.0.0.1:9/`,
      `${FIXED_STAMP} [JOB] Failed`,
    ]);
  });

  it('reads the clock for every line', () => {
    const out = new CapturedOutput();
    let seconds = 0;
    const log = new JobLog(out, () => new Date(Date.UTC(2022, 6, 7, 12, 34, seconds++)));
    log.line('A', 'first');
    log.line('B', 'second');
    assert.deepEqual(out.lines, ['2022-07-07 12:34:00 [A] first', '2022-07-07 12:34:01 [B] second']);
  });
});
