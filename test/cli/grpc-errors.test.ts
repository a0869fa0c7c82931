import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metadata, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { translateGrpcError } from '../../src/cli/grpc-errors.js';

function serviceError(code: status, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), {
    code,
    details,
    metadata: new Metadata(),
  });
}

const context = { host: 'localhost:50051', jobId: 'XE38YM' };
const translate = (code: status, details: string) => {
  const error = translateGrpcError(serviceError(code, details), context);
  return { code: (error as Error & { code?: string }).code, message: error.message };
};

describe('translateGrpcError', () => {
  it('turns connection failures (as grpc-js reports them) into one actionable line', () => {
    assert.deepEqual(
      translate(
        status.UNAVAILABLE,
        'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:50051 (2026-01-01T00:00:00.000Z). Resolution note: ',
      ),
      {
        code: 'WN_CLI_CONNECTION',
        message: 'cannot reach the server at localhost:50051: connection refused — is workernatord running?',
      },
    );
    assert.equal(
      translate(status.UNAVAILABLE, 'Name resolution failed for target dns:nope:1').code,
      'WN_CLI_CONNECTION',
    );
    const ca = translate(
      status.UNAVAILABLE,
      'No connection established. Last error: Error: unable to verify the first certificate. Resolution note: ',
    );
    assert.equal(ca.code, 'WN_CLI_TLS');
    assert.equal(
      ca.message,
      'TLS with the server at localhost:50051 failed: its certificate is not signed by the CA in --ca (unable to verify the first certificate) — pass the server CA certificate of that server',
    );
    assert.match(
      translate(
        status.UNAVAILABLE,
        'No connection established. Last error: read ECONNRESET (2026-01-01T00:00:00.000Z).',
      ).message,
      /does not accept this client certificate/,
    );
  });

  it('maps statuses to not found, permission and job errors', () => {
    assert.deepEqual(translate(status.NOT_FOUND, 'job XE38YM not found'), {
      code: 'WN_CLI_NOT_FOUND',
      message: 'no job XE38YM',
    });
    assert.deepEqual(translate(status.PERMISSION_DENIED, 'a viewer may not call Start'), {
      code: 'WN_CLI_PERMISSION',
      message: 'permission denied: a viewer may not call Start',
    });
    assert.deepEqual(translate(status.INVALID_ARGUMENT, 'position: must be an integer'), {
      code: 'WN_CLI_JOB',
      message: 'position: must be an integer',
    });
    assert.equal(translate(status.UNAUTHENTICATED, 'no identity').code, 'WN_CLI_TLS');
    assert.equal(
      translate(status.INTERNAL, 'boom').message,
      'the server failed the request: boom (INTERNAL)',
    );
  });
});
