/**
 * grpc-js answers INTERNAL ("Error deserializing request") when a request's bytes do not decode,
 * before any of our code runs. Bad input is the caller's fault and must get INVALID_ARGUMENT, so
 * each method's decoder is wrapped: a request that does not decode becomes an UndecodableRequest,
 * which the RPC frame refuses once it knows who is calling (an anonymous caller learns nothing).
 */
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { InvalidArgumentError } from '../core/errors.js';

export class UndecodableRequest {
  constructor(
    readonly method: string,
    readonly reason: string,
  ) {}

  toError(): InvalidArgumentError {
    return new InvalidArgumentError(
      'request',
      `the bytes sent to ${this.method} are not a valid request: ${this.reason}`,
    );
  }
}

/** The same service definition with decoders that never throw. */
export function withTolerantDecoding<S extends ServiceDefinition>(definition: S): S {
  const wrapped: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(definition) as [string, MethodDefinition<unknown, unknown>][]) {
    wrapped[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return method.requestDeserialize(bytes);
        } catch (error) {
          return new UndecodableRequest(method.path, (error as Error).message);
        }
      },
    };
  }
  return wrapped as S;
}
