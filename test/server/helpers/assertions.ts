import assert from 'node:assert/strict';
import { status as GrpcCode, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';

/** Asserts that `promise` rejects with gRPC status `code` and, when given, a message matching `message`. */
export async function assertStatus(
  promise: Promise<unknown>,
  code: GrpcCode,
  message?: RegExp,
): Promise<ServiceError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, `expected ${GrpcCode[code]}, but the call succeeded`);
  const error = caught as ServiceError;
  assert.equal(
    GrpcCode[error.code],
    GrpcCode[code],
    `expected ${GrpcCode[code]}, got ${GrpcCode[error.code]}: ${error.details}`,
  );
  if (message !== undefined) assert.match(error.details, message);
  return error;
}

/** Resolves when `check` returns true, checking after each event-loop turn, for at most `timeoutMs`. */
export async function eventually(check: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export { GrpcCode };

/** Resolves once the job's output contains `text` (a job that traps signals says so once it has). */
export async function outputContains(
  client: {
    tailStream(request: { id: string }): ClientReadableStream<{ data: Buffer }>;
  },
  id: string,
  text: string,
): Promise<void> {
  const stream = client.tailStream({ id });
  stream.on('error', () => {}); // CANCELLED, below
  let seen = '';
  for await (const message of stream as AsyncIterable<{ data: Buffer }>) {
    seen += message.data.toString();
    if (seen.includes(text)) break;
  }
  stream.cancel();
  assert.ok(
    seen.includes(text),
    `the output ${JSON.stringify(seen)} does not contain ${JSON.stringify(text)}`,
  );
}
