import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError } from '../errors.js';
import type { WaitThenSendArguments } from '../types.js';
import { requireInteger, requireRecord, requireString, requireType } from './argument-checks.js';
import { PostFailedError, REQUEST_TIMEOUT_MS, sendEmptyPost } from './empty-post.js';
import { type JobDefinition, NO_GRANTS } from './job-definition.js';
import { type Clock, JobLog, systemClock } from './log-line.js';

export const MAX_URL_LENGTH = 2048;
/** One day: a longer wait is more likely a mistake than a plan. */
export const MAX_WAIT_SECONDS = 86_400;

function validateUrl(value: unknown): string {
  const text = requireString(value, 'url');
  if (text.length > MAX_URL_LENGTH) {
    throw new InvalidArgumentError('url', `must be at most ${MAX_URL_LENGTH} characters, got ${text.length}`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError('url', 'is not a valid absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError('url', `must use http or https, not ${url.protocol.slice(0, -1)}`);
  }
  // Credentials in a URL end up in job arguments, logs and `status` output for every viewer.
  if (url.username !== '' || url.password !== '') {
    throw new InvalidArgumentError('url', 'must not contain credentials (user:password@)');
  }
  // Normalizing can only lengthen a URL by percent-encoding, and the normalized form is what we keep.
  if (url.href.length > MAX_URL_LENGTH) {
    throw new InvalidArgumentError('url', `must be at most ${MAX_URL_LENGTH} characters once normalized`);
  }
  return url.href;
}

function validateWaitThenSend(input: unknown): WaitThenSendArguments {
  const args = requireRecord(input, 'args');
  return {
    type: requireType(args, 'wait-then-send'),
    url: validateUrl(args.url),
    waitSeconds: requireInteger(args.waitSeconds, 'waitSeconds', 0, MAX_WAIT_SECONDS),
  };
}

export interface WaitThenSendOptions {
  readonly clock?: Clock;
  /** One timer for the whole wait; tests pass their own to see what is waited for, and when. */
  readonly wait?: (milliseconds: number) => Promise<unknown>;
  /** Tests shorten it; the job uses REQUEST_TIMEOUT_MS. */
  readonly requestTimeoutMs?: number;
  /**
   * Lets the POST go to addresses that are not public: loopback, private (RFC 1918, fc00::/7),
   * link-local (the cloud metadata endpoint), multicast, unspecified. False by default.
   */
  readonly allowPrivateDestinations?: boolean;
}

const isSuccess = (statusCode: number): boolean => statusCode >= 200 && statusCode <= 299;

/**
 * Waits, then POSTs. Any status but 2xx fails the job (exit 1): a caller that asked for a
 * notification wants to know it was not accepted. Redirects are not followed (they count as not 2xx).
 * Unless allowed, a URL whose host is, or resolves only to, an address that is not public fails the
 * job without sending anything (destinations.ts).
 */
export async function runWaitThenSend(
  input: WaitThenSendArguments,
  out: Writable,
  {
    clock = systemClock,
    wait = sleep,
    requestTimeoutMs = REQUEST_TIMEOUT_MS,
    allowPrivateDestinations = false,
  }: WaitThenSendOptions = {},
): Promise<number> {
  const log = new JobLog(out, clock);
  log.started(waitThenSendJob.displayName);
  let args: WaitThenSendArguments;
  try {
    args = validateWaitThenSend(input);
  } catch (error) {
    if (error instanceof InvalidArgumentError) return log.failed(error.message);
    throw error;
  }
  const unit = args.waitSeconds === 1 ? 'second' : 'seconds';
  log.line('WAIT', `Waiting ${args.waitSeconds} ${unit} before sending a POST request to ${args.url}`);
  await wait(args.waitSeconds * 1000);
  try {
    const { statusCode, statusMessage } = await sendEmptyPost(new URL(args.url), {
      timeoutMs: requestTimeoutMs,
      allowPrivateDestinations,
    });
    const status = `${statusCode} ${statusMessage}`.trim();
    log.line('SEND', `POST ${args.url} answered ${status}`);
    return isSuccess(statusCode)
      ? log.complete()
      : log.failed(`the server answered ${status}, not a 2xx status`);
  } catch (error) {
    if (error instanceof PostFailedError) return log.failed(error.message);
    throw error;
  }
}

export const waitThenSendJob: JobDefinition<'wait-then-send'> = {
  type: 'wait-then-send',
  displayName: 'Wait Then Send',
  validate: validateWaitThenSend,
  run: (args: WaitThenSendArguments, out: Writable, grants = NO_GRANTS) =>
    runWaitThenSend(args, out, { allowPrivateDestinations: grants.privateDestinations }),
};
