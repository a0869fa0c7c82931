/**
 * Who is calling: the identity in the verified client certificate of the call's TLS session. The
 * TLS layer has already refused clients without a certificate from the client CA; a certificate
 * that passed but carries no usable name or role is refused here with UNAUTHENTICATED.
 */
import type { ServerUnaryCall } from '@grpc/grpc-js';
import { readIdentity, type Identity } from '../pki/identity.js';

export type { Identity };

/** Anything with grpc-js's per-call `getAuthContext()` (every server call object has it since 1.14). */
export type HasAuthContext = Pick<ServerUnaryCall<unknown, unknown>, 'getAuthContext'>;

/** The caller's identity; throws PkiIdentityError (UNAUTHENTICATED) when it has none. */
export function callerIdentity(call: HasAuthContext): Identity {
  return readIdentity(call.getAuthContext().sslPeerCertificate);
}
