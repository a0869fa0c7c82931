/**
 * Issue 8, point 4: hostile input. Property-based tests (fast-check) send random and malformed
 * requests to every RPC of a real server (mutual TLS, the real sandbox): random and oversized
 * strings, unicode, bytes, numbers out of every range, unset oneofs, unknown enum values, huge
 * argument and environment lists, and raw protobuf bytes with unknown fields and wrong wire types.
 *
 * Properties: no call ends in INTERNAL or UNKNOWN (or hangs: every call has a deadline, and
 * DEADLINE_EXCEEDED fails the property), the server never crashes (it answers afterwards), and no
 * job comes from a refused request: the number of jobs is checked before and after every Start.
 * A Start that fails because of the host (FAILED_PRECONDITION: no such executable; UNAVAILABLE: the
 * sandbox refused) records one FAILED job, as documented; a refused one records nothing.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  makeGenericClientConstructor,
  Metadata,
  status as GrpcCode,
  type Client,
  type ServiceError,
} from '@grpc/grpc-js';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import {
  JobListRequest,
  JobStatus,
  JobTailRequest,
  JobType,
  JobStartRequest,
  JobStatusRequest,
  JobStopRequest,
  type Job,
} from '../../src/gen/workernator/v1/workernator.js';
import { createClientCredentials } from '../../src/pki/client-credentials.js';
import { tlsLayout } from '../../src/pki/layout.js';
import type { RpcClient } from '../server/helpers/rpc-client.js';
import { jobCgroups, startSandboxedTestServer, type SandboxedTestServer } from './helpers/server.js';

const FORBIDDEN = new Set([GrpcCode.INTERNAL, GrpcCode.UNKNOWN, GrpcCode.DEADLINE_EXCEEDED]);
/** Codes a refused Start may answer with; such a Start must leave no job behind. */
const REFUSED = new Set([
  GrpcCode.INVALID_ARGUMENT,
  GrpcCode.PERMISSION_DENIED,
  GrpcCode.RESOURCE_EXHAUSTED,
  GrpcCode.NOT_FOUND,
]);
/** A Start that failed because of the host: one FAILED job is recorded (or none, if refused early). */
const HOST_FAILURE = new Set([GrpcCode.FAILED_PRECONDITION, GrpcCode.UNAVAILABLE]);
const CALL_TIMEOUT_MS = 20_000;
const METHODS = ['Start', 'Stop', 'Status', 'Tail', 'List'] as const;
type Method = (typeof METHODS)[number];

let server: SandboxedTestServer;
let raw: Record<'admin' | 'alice', Client & Record<string, unknown>>;
/** Jobs that exist and have ended, so that Tail (which follows) on them ends. */
let endedIds: string[] = [];

function deadline(): { deadline: number } {
  return { deadline: Date.now() + CALL_TIMEOUT_MS };
}

/** The code a call ended with (OK = 0), and its job when it answered one. */
async function outcome<T>(call: Promise<T>): Promise<{ code: GrpcCode; details: string; value?: T }> {
  try {
    return { code: GrpcCode.OK, details: '', value: await call };
  } catch (error) {
    const { code, details } = error as ServiceError;
    if (typeof code !== 'number') throw error;
    return { code, details };
  }
}

function assertAllowed(method: string, result: { code: GrpcCode; details: string }): void {
  assert.ok(!FORBIDDEN.has(result.code), `${method} answered ${GrpcCode[result.code]}: ${result.details}`);
}

async function countJobs(): Promise<number> {
  let total = 0;
  let pageToken = '';
  do {
    const page = await server.as.admin.list({ pageSize: 1000, pageToken }, deadline());
    total += page.jobs.length;
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return total;
}

/** Runs a Start and checks that only an accepted (or host-failed) one left a job. */
async function checkedStart(what: string, start: () => Promise<Job | Buffer>): Promise<void> {
  const before = await countJobs();
  const result = await outcome(start());
  assertAllowed(what, result);
  const after = await countJobs();
  if (result.code === GrpcCode.OK) {
    assert.equal(after, before + 1, `${what} answered OK, so exactly one job is new`);
  } else if (HOST_FAILURE.has(result.code)) {
    assert.ok(after === before || after === before + 1, `${what}: ${after - before} new jobs`);
    if (after === before + 1) {
      const [newest] = (await server.as.admin.list({ pageSize: 1 }, deadline())).jobs;
      assert.equal(newest?.status, JobStatus.JOB_STATUS_FAILED, `${what}: the failed start is FAILED`);
    }
  } else {
    assert.ok(REFUSED.has(result.code), `${what}: unexpected ${GrpcCode[result.code]}: ${result.details}`);
    assert.equal(after, before, `${what} was refused (${GrpcCode[result.code]}) yet a job was recorded`);
  }
}

// ---------- arbitraries ----------

const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-composite', maxLength: 20 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '.',
      '..',
      '../etc/passwd',
      '/',
      'AAAAAA',
      'ZZZZZ9',
      '\0',
      'a\nb',
      '%00',
      '/bin/true',
      'true',
      '/nonexistent/x',
      'http://127.0.0.1:1/',
      'file:///etc/shadow',
      '1+1',
      'x*y',
      'admin',
      'alice',
      '\u202e',
      '\ud800',
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 200_000 }).map((n) => 'x'.repeat(n)) },
);
const uint32 = fc.oneof(
  fc.constantFrom(0, 1, 2 ** 31 - 1, 2 ** 32 - 1),
  fc.integer({ min: 0, max: 2 ** 32 - 1 }),
);
const uint64 = fc.oneof(
  fc.constantFrom(0n, 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
);
const enumValue = fc.oneof(fc.integer({ min: -2, max: 8 }), fc.constantFrom(-(2 ** 31), 2 ** 31 - 1, 1000));
const double = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -0, 1e308));
const huge = <T>(item: T) => fc.integer({ min: 1_000, max: 100_000 }).map((n) => Array<T>(n).fill(item));
const env = fc.oneof(
  fc.dictionary(text, text, { maxKeys: 6 }),
  fc
    .integer({ min: 1_000, max: 50_000 })
    .map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`V${i}`, 'v']))),
);

const args = fc.oneof(
  fc.constant(undefined),
  fc.constant({}),
  fc.constant({ kind: { $case: 'noop' as const, value: {} } }),
  fc.record({
    kind: fc.record({ $case: fc.constant('fibonacci' as const), value: fc.record({ position: uint32 }) }),
  }),
  fc.record({
    kind: fc.record({
      $case: fc.constant('expressionEvaluator' as const),
      value: fc.record({ expression: text, variables: fc.dictionary(text, double, { maxKeys: 4 }) }),
    }),
  }),
  fc.record({
    kind: fc.record({
      $case: fc.constant('waitThenSend' as const),
      value: fc.record({ url: text, waitSeconds: uint32 }),
    }),
  }),
  fc.record({
    kind: fc.record({
      $case: fc.constant('command' as const),
      value: fc.record({
        executable: text,
        args: fc.oneof({ weight: 4, arbitrary: fc.array(text, { maxLength: 8 }) }, huge('a')),
        env,
        workingDir: text,
      }),
    }),
  }),
);
const limits = fc.option(
  fc.record(
    {
      cpuMillicores: uint32,
      memoryBytes: uint64,
      ioReadBytesPerSecond: uint64,
      ioWriteBytesPerSecond: uint64,
      ioReadIops: uint64,
      ioWriteIops: uint64,
      pids: uint32,
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);
const startRequest = fc.record({
  type: enumValue,
  args,
  limits,
  network: enumValue,
  runAsRoot: fc.boolean(),
});
const duration = fc.option(
  fc.record({
    seconds: fc.oneof(
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.bigInt({ min: -5n, max: 4000n }),
    ),
    nanos: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  }),
  { nil: undefined },
);
const who = fc.constantFrom('admin' as const, 'alice' as const, 'bob' as const, 'vera' as const);

// ---------- raw protobuf ----------

/** One field of a message in valid wire format, with any number and wire type. */
type RawField =
  | { no: number; kind: 'varint'; value: bigint }
  | { no: number; kind: 'fixed32'; value: number }
  | { no: number; kind: 'fixed64'; value: bigint }
  | { no: number; kind: 'bytes'; value: Uint8Array }
  | { no: number; kind: 'message'; value: RawField[] };

const fieldNo = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 6 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 ** 29 - 1 }) },
);
/**
 * Messages in valid wire format: any field number and wire type, but a length-delimited field is a
 * (valid) nested message, unless its number is one no request message defines (>= 100), where it is
 * any bytes. So the bytes always decode, whatever the schema says the field is.
 */
const rawMessage: fc.Arbitrary<RawField[]> = fc.letrec<{ message: RawField[]; field: RawField }>((tie) => ({
  message: fc.array(tie('field'), { maxLength: 6 }),
  field: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({
      no: fieldNo,
      kind: fc.constant('varint' as const),
      value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    }),
    fc.record({
      no: fieldNo,
      kind: fc.constant('fixed32' as const),
      value: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    }),
    fc.record({
      no: fieldNo,
      kind: fc.constant('fixed64' as const),
      value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    }),
    fc.record({
      no: fc.integer({ min: 100, max: 2 ** 29 - 1 }),
      kind: fc.constant('bytes' as const),
      value: fc.oneof(
        fc.string({ unit: 'binary' }).map((s) => Buffer.from(s)),
        fc.uint8Array({ maxLength: 40 }),
      ),
    }),
    fc.record({ no: fieldNo, kind: fc.constant('message' as const), value: tie('message') }),
  ),
})).message;

const DECODERS: Record<Method, (bytes: Uint8Array) => unknown> = {
  Start: (bytes) => JobStartRequest.decode(bytes),
  Stop: (bytes) => JobStopRequest.decode(bytes),
  Status: (bytes) => JobStatusRequest.decode(bytes),
  Tail: (bytes) => JobTailRequest.decode(bytes),
  List: (bytes) => JobListRequest.decode(bytes),
};

/** Whether the method's request type can decode `bytes` (the generated decoder does not throw). */
function decodes(method: Method, bytes: Uint8Array): boolean {
  try {
    DECODERS[method](bytes);
    return true;
  } catch {
    return false;
  }
}

function encodeRaw(fields: RawField[], writer = new BinaryWriter()): Uint8Array {
  for (const field of fields) {
    switch (field.kind) {
      case 'varint':
        writer.tag(field.no, WireType.Varint).uint64(field.value);
        break;
      case 'fixed32':
        writer.tag(field.no, WireType.Bit32).fixed32(field.value);
        break;
      case 'fixed64':
        writer.tag(field.no, WireType.Bit64).fixed64(field.value);
        break;
      case 'bytes':
        writer.tag(field.no, WireType.LengthDelimited).bytes(field.value);
        break;
      case 'message':
        writer.tag(field.no, WireType.LengthDelimited).bytes(encodeRaw(field.value));
        break;
    }
  }
  return writer.finish();
}

function callRaw(as: 'admin' | 'alice', method: Method, bytes: Uint8Array): Promise<Buffer> {
  const client = raw[as];
  if (method === 'Tail') {
    return new Promise((resolve, reject) => {
      const stream = (client[method] as (b: Buffer, m: Metadata, o: object) => NodeJS.ReadableStream).call(
        client,
        Buffer.from(bytes),
        new Metadata(),
        deadline(),
      );
      const parts: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => parts.push(chunk));
      stream.on('error', reject);
      stream.on('end', () => resolve(Buffer.concat(parts)));
    });
  }
  return new Promise((resolve, reject) => {
    (
      client[method] as (b: Buffer, m: Metadata, o: object, cb: (e: Error | null, r: Buffer) => void) => void
    ).call(client, Buffer.from(bytes), new Metadata(), deadline(), (error, response) =>
      error ? reject(error) : resolve(response),
    );
  });
}

async function rawClient(name: string): Promise<Client & Record<string, unknown>> {
  const layout = tlsLayout(server.tlsDir);
  const credentials = createClientCredentials({
    caPem: await readFile(layout.serverCaCert),
    certPem: await readFile(layout.client(name).cert),
    keyPem: await readFile(layout.client(name).key),
  });
  const identity = (value: Buffer) => value;
  const definition = Object.fromEntries(
    METHODS.map((method) => [
      method,
      {
        path: `/workernator.v1.JobService/${method}`,
        requestStream: false,
        responseStream: method === 'Tail',
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    ]),
  );
  const Constructor = makeGenericClientConstructor(definition, 'RawJobService');
  return new Constructor(`localhost:${server.port}`, credentials);
}

describe('hostile input against a real server', { concurrency: false }, () => {
  before(async () => {
    server = await startSandboxedTestServer();
    raw = { admin: await rawClient('admin'), alice: await rawClient('alice') };
    const noop = await server.as.alice.start({ type: JobType.JOB_TYPE_NOOP });
    const fib = await server.as.bob.start({
      type: JobType.JOB_TYPE_FIBONACCI,
      args: { kind: { $case: 'fibonacci', value: { position: 10 } } },
    });
    for (const job of [noop, fib]) await server.as.admin.tail({ id: job.id });
    endedIds = [noop.id, fib.id];
  });
  after(async () => {
    for (const client of Object.values(raw ?? {})) client.close();
    await server?.close();
  });

  it('Start: random requests of every shape are refused cleanly or start exactly one job', async () => {
    await fc.assert(
      fc.asyncProperty(who, startRequest, async (as, request) => {
        await checkedStart(`Start as ${as} ${summarize(request)}`, () =>
          server.as[as].start(request, deadline()),
        );
      }),
      { numRuns: 250 },
    );
  });

  it('Stop, Status, Tail, List: random requests never end in INTERNAL, UNKNOWN or a hang', async () => {
    const id = fc.oneof(text, fc.constantFrom(...endedIds));
    type Call = [string, (client: RpcClient) => Promise<unknown>];
    const calls: fc.Arbitrary<Call> = fc.oneof<fc.Arbitrary<Call>[]>(
      fc
        .record({ id, gracePeriod: duration })
        .map((r) => [`Stop ${summarize(r)}`, (c) => c.stop(r, deadline())]),
      id.map((i) => [`Status ${summarize(i)}`, (c) => c.status(i, deadline())]),
      fc
        .record({ id, offset: uint64, lastLines: uint32, noFollow: fc.boolean() })
        .map((r) => [`Tail ${summarize(r)}`, (c) => c.tail(r, deadline())]),
      fc
        .record({
          statuses: fc.oneof(fc.array(enumValue, { maxLength: 6 }), huge(1)),
          owner: text,
          pageSize: uint32,
          pageToken: fc.oneof(text, fc.base64String()),
        })
        .map((r) => [`List ${summarize(r)}`, (c) => c.list(r, deadline())]),
    );
    const before = await countJobs();
    await fc.assert(
      fc.asyncProperty(who, calls, async (as, [what, call]) => {
        assertAllowed(`${what} as ${as}`, await outcome(call(server.as[as])));
      }),
      { numRuns: 300 },
    );
    assert.equal(await countJobs(), before, 'Stop, Status, Tail and List started no job');
    for (const endedId of endedIds) {
      const job = await server.as.admin.status(endedId);
      assert.equal(job.status, JobStatus.JOB_STATUS_COMPLETE, 'the jobs they touched are unchanged');
    }
  });

  it('raw protobuf: unknown fields, wrong wire types, nested junk and huge numbers, to every method', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('admin' as const, 'alice' as const),
        fc.constantFrom(...METHODS),
        rawMessage,
        async (as, method, fields) => {
          const bytes = encodeRaw(fields);
          // Bytes the schema cannot decode (a packed field cut mid-varint) are another case: see the report.
          fc.pre(decodes(method, bytes));
          const what = `${method} as ${as} with bytes ${Buffer.from(bytes).toString('hex').slice(0, 200)}`;
          if (method === 'Start') {
            await checkedStart(what, () => callRaw(as, method, bytes));
            return;
          }
          // Tail only on ended jobs (a follower of a running job waits for it, as it should).
          if (method === 'Tail') {
            const request = JobTailRequest.decode(bytes);
            if (request.id !== '' && !endedIds.includes(request.id) && request.noFollow === false) return;
          }
          assertAllowed(what, await outcome(callRaw(as, method, bytes)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('raw bytes the schema cannot decode are INVALID_ARGUMENT, never INTERNAL', async () => {
    const examples: [Method, number[]][] = [
      ['Start', [0x12, 0x01, 0x7d]], // args (a message) holding "}"
      ['List', [0x0a, 0x09, 0x09, 0, 0, 0, 0, 0, 0, 0, 0x80]], // packed statuses cut mid-varint
      ['Status', [0xff]], // a truncated tag
    ];
    for (const [method, bytes] of examples) {
      const result = await outcome(callRaw('alice', method, Uint8Array.from(bytes)));
      assert.equal(GrpcCode[result.code], 'INVALID_ARGUMENT', `${method}: ${result.details}`);
    }
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('admin' as const, 'alice' as const),
        fc.constantFrom(...METHODS),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        async (as, method, bytes) => {
          fc.pre(!decodes(method, bytes));
          const before = await countJobs();
          const result = await outcome(callRaw(as, method, bytes));
          const what = `${method} as ${as} with bytes ${Buffer.from(bytes).toString('hex')}`;
          assert.equal(GrpcCode[result.code], 'INVALID_ARGUMENT', `${what}: ${result.details}`);
          assert.equal(await countJobs(), before);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('after all that: the server still answers, and nothing it started is left running', async () => {
    const job = await server.as.alice.start({ type: JobType.JOB_TYPE_NOOP });
    await server.as.alice.tail({ id: job.id });
    assert.equal((await server.as.alice.status(job.id)).status, JobStatus.JOB_STATUS_COMPLETE);
    // Stop whatever the random Starts left running (long waits), then nothing may be left.
    for (const running of (await server.as.admin.list({ statuses: [JobStatus.JOB_STATUS_RUNNING] })).jobs) {
      await server.as.admin.stop({ id: running.id, gracePeriod: { seconds: 0 } });
    }
    assert.deepEqual(await jobCgroups(server.cgroupRootName), []);
  });
});

/** A short description of a request for a failure message (huge lists are summarized). */
function summarize(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'bigint'
      ? `${v}n`
      : Array.isArray(v) && v.length > 20
        ? `[${v.length} items]`
        : typeof v === 'string' && v.length > 100
          ? `${v.slice(0, 40)}...(${v.length} chars)`
          : v,
  );
  return text === undefined ? String(value) : text.length > 2000 ? `${text.slice(0, 2000)}...` : text;
}
