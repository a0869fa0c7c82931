/**
 * The frame around every handler: who is calling, whether the operator has denied their certificate
 * (deny-list.ts), whether their role may call the method at all (authz.ts), one log line and one
 * metrics count per call, and one translation of errors into gRPC statuses (grpc-status.ts).
 * Handlers see a context and throw; they never build a status themselves.
 */
import {
  status as GrpcCode,
  type handleServerStreamingCall,
  type handleUnaryCall,
  type ServerUnaryCall,
  type ServerWritableStream,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { authorizeMethod, type Access } from './authz.js';
import { serialOf, type Caller, type DenyList } from './deny-list.js';
import { ServerShuttingDownError } from './errors.js';
import { toGrpcStatus } from './grpc-status.js';
import { readIdentity, type Identity } from '../pki/identity.js';
import { UndecodableRequest } from './tolerant-decoding.js';

export interface RpcContext {
  /** Full method name, e.g. /workernator.v1.JobService/Start. */
  readonly method: string;
  readonly identity: Identity;
  /** The identity and the certificate serial: what the deny-list and admission control look at. */
  readonly caller: Caller;
  /** What the caller's role may do with this method: every job, or only its own. */
  readonly access: Exclude<Access, 'none'>;
  /** Set by the handler once it knows the job, for the log line. */
  jobId?: string;
}

export interface RpcFrame {
  readonly logger: Logger;
  /** True once the server has begun to shut down: new calls are refused with UNAVAILABLE. */
  readonly isShuttingDown: () => boolean;
  /** The deny-list in force now (SIGHUP replaces it). */
  readonly denyList: () => DenyList;
  /** Counts each call once it has ended, by method and status. */
  readonly onCallEnd: (method: string, code: GrpcCode) => void;
}

type AnyCall = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;

class CallLog {
  readonly #began = performance.now();
  identity: Identity | undefined;
  context: RpcContext | undefined;

  constructor(
    readonly frame: RpcFrame,
    readonly method: string,
  ) {}

  /** The one line of this call. `error` is logged only when its details were kept from the client. */
  write(code: GrpcCode, error?: unknown): void {
    const line = {
      identity: this.identity?.name,
      role: this.identity?.role,
      method: this.method,
      jobId: this.context?.jobId,
      code: GrpcCode[code],
      durationMs: Math.round((performance.now() - this.#began) * 10) / 10,
    };
    this.frame.onCallEnd(this.method, code);
    if (error !== undefined) this.frame.logger.error({ ...line, err: error }, 'rpc failed');
    else this.frame.logger.info(line, 'rpc');
  }
}

function begin(frame: RpcFrame, method: string, call: AnyCall, log: CallLog): RpcContext {
  // Identity first: an anonymous caller learns nothing, not even whether the server is stopping.
  // The identity in the verified client certificate: the TLS layer has already refused clients
  // without one from the client CA; one without a usable name or role is UNAUTHENTICATED here.
  // One getAuthContext(): each call converts the peer certificate into a new JS object (0.1 ms).
  const certificate = call.getAuthContext().sslPeerCertificate;
  const identity = readIdentity(certificate);
  log.identity = identity;
  const caller: Caller = { identity, serial: serialOf(certificate) };
  frame.denyList().check(caller);
  if (frame.isShuttingDown()) throw new ServerShuttingDownError();
  const context: RpcContext = { method, identity, caller, access: authorizeMethod(method, identity) };
  log.context = context;
  if (call.request instanceof UndecodableRequest) throw call.request.toError();
  return context;
}

/** The status of a call that ended because the client went away or its deadline passed. */
function abandonedCode(call: AnyCall): GrpcCode {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) && Date.now() >= ms ? GrpcCode.DEADLINE_EXCEEDED : GrpcCode.CANCELLED;
}

export function unary<Req, Res>(
  frame: RpcFrame,
  method: string,
  handler: (request: Req, context: RpcContext) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const log = new CallLog(frame, method);
    const run = async () => handler(call.request, begin(frame, method, call, log));
    run().then(
      (response) => {
        if (call.cancelled) log.write(abandonedCode(call));
        else log.write(GrpcCode.OK);
        callback(null, response);
      },
      (error: unknown) => {
        const status = toGrpcStatus(error);
        log.write(call.cancelled ? abandonedCode(call) : status.code, status.internal ? error : undefined);
        callback({ code: status.code, details: status.details });
      },
    );
  };
}

export function serverStreaming<Req, Res>(
  frame: RpcFrame,
  method: string,
  handler: (call: ServerWritableStream<Req, Res>, context: RpcContext) => Promise<void>,
): handleServerStreamingCall<Req, Res> {
  return (call) => {
    const log = new CallLog(frame, method);
    const run = async () => handler(call, begin(frame, method, call, log));
    run().then(
      () => {
        log.write(call.cancelled ? abandonedCode(call) : GrpcCode.OK);
        if (!call.cancelled) call.end();
      },
      (error: unknown) => {
        const status = toGrpcStatus(error);
        if (call.cancelled) {
          log.write(abandonedCode(call));
          return;
        }
        log.write(status.code, status.internal ? error : undefined);
        call.emit('error', { code: status.code, details: status.details });
      },
    );
  };
}
