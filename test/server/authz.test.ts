/** The roles table, call by call, per role: over real mutual TLS with a certificate per identity. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobStatus, JobType, NetworkMode, type Job } from '../../src/gen/workernator/v1/workernator.js';
import { allowsPrivateDestinations } from '../../src/server/authz.js';
import { TestHttpServer } from '../core/jobs/http-test-server.js';
import { assertStatus, GrpcCode } from './helpers/assertions.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';

const SLEEP = {
  kind: { $case: 'command' as const, value: { executable: '/bin/sleep', args: ['30'], env: {} } },
};
const FIB = {
  type: JobType.JOB_TYPE_FIBONACCI,
  args: { kind: { $case: 'fibonacci' as const, value: { position: 3 } } },
};

describe('authorization', () => {
  let t: TestServer;
  let alices: Job;
  let bobs: Job;
  before(async () => {
    t = await startTestServer({ config: { stopGrace: 0 } });
    alices = await t.as.alice.start({ type: JobType.JOB_TYPE_COMMAND, args: SLEEP });
    bobs = await t.as.bob.start(FIB);
  });
  after(() => t.close());

  describe('admin', () => {
    it('sees, tails and stops every job, and may ask for root and the host network', async () => {
      assert.equal((await t.as.admin.status(bobs.id)).owner, 'bob');
      await t.as.admin.tail({ id: bobs.id });
      const ids = (await t.as.admin.list({})).jobs.map((j) => j.id);
      assert.ok(ids.includes(alices.id) && ids.includes(bobs.id));
      const job = await t.as.admin.start({
        type: JobType.JOB_TYPE_COMMAND,
        args: SLEEP,
        network: NetworkMode.NETWORK_MODE_HOST,
        runAsRoot: true,
      });
      assert.equal(job.runAsRoot, true);
      assert.equal(job.network, NetworkMode.NETWORK_MODE_HOST);
      await t.as.admin.stop({ id: job.id });
    });
  });

  describe('user', () => {
    it('starts jobs, command jobs included', async () => {
      const job = await t.as.bob.start({
        type: JobType.JOB_TYPE_COMMAND,
        args: { kind: { $case: 'command', value: { executable: '/bin/true', args: [], env: {} } } },
      });
      assert.equal(job.owner, 'bob');
    });

    it("gets NOT_FOUND, with a missing job's text, for another user's job: Status, Tail, Stop", async () => {
      const missing = await assertStatus(t.as.alice.status('ZZZZZZ'), GrpcCode.NOT_FOUND);
      const other = await assertStatus(t.as.alice.status(bobs.id), GrpcCode.NOT_FOUND);
      assert.equal(other.details, missing.details.replace('ZZZZZZ', bobs.id));
      await assertStatus(t.as.alice.tail({ id: bobs.id }), GrpcCode.NOT_FOUND);
      await assertStatus(t.as.bob.stop({ id: alices.id }), GrpcCode.NOT_FOUND);
      assert.equal((await t.as.alice.status(alices.id)).owner, 'alice');
    });

    it('lists only its own jobs, and may not ask for another owner', async () => {
      const page = await t.as.alice.list({});
      assert.ok(page.jobs.length > 0 && page.jobs.every((j) => j.owner === 'alice'));
      assert.equal((await t.as.alice.list({ owner: 'alice' })).jobs.length, page.jobs.length);
      await assertStatus(
        t.as.alice.list({ owner: 'bob' }),
        GrpcCode.PERMISSION_DENIED,
        /only their own jobs/,
      );
    });

    it('gets PERMISSION_DENIED for root and for the host network', async () => {
      await assertStatus(
        t.as.alice.start({ type: JobType.JOB_TYPE_COMMAND, args: SLEEP, runAsRoot: true }),
        GrpcCode.PERMISSION_DENIED,
        /run_as_root: only an admin/,
      );
      await assertStatus(
        t.as.alice.start({
          type: JobType.JOB_TYPE_COMMAND,
          args: SLEEP,
          network: NetworkMode.NETWORK_MODE_HOST,
        }),
        GrpcCode.PERMISSION_DENIED,
        /network: only an admin/,
      );
      await assertStatus(t.as.alice.start({ ...FIB, runAsRoot: true }), GrpcCode.PERMISSION_DENIED);
    });

    it('stops its own job', async () => {
      const job = await t.as.alice.start({ type: JobType.JOB_TYPE_COMMAND, args: SLEEP });
      assert.equal((await t.as.alice.stop({ id: job.id })).owner, 'alice');
    });
  });

  describe('viewer', () => {
    it('reads every job: Status, Tail, List', async () => {
      assert.equal((await t.as.vera.status(alices.id)).owner, 'alice');
      assert.equal((await t.as.vera.status(bobs.id)).owner, 'bob');
      await t.as.vera.tail({ id: bobs.id });
      const owners = new Set((await t.as.vera.list({})).jobs.map((j) => j.owner));
      assert.ok(owners.has('alice') && owners.has('bob'));
      assert.ok((await t.as.vera.list({ owner: 'bob' })).jobs.every((j) => j.owner === 'bob'));
    });

    it('gets PERMISSION_DENIED for Start and Stop, and changes nothing', async () => {
      await assertStatus(t.as.vera.start(FIB), GrpcCode.PERMISSION_DENIED, /a viewer may not call Start/);
      await assertStatus(
        t.as.vera.stop({ id: alices.id }),
        GrpcCode.PERMISSION_DENIED,
        /a viewer may not call Stop/,
      );
      assert.ok((await t.as.vera.list({})).jobs.every((j) => j.owner !== 'vera'));
      assert.equal((await t.as.admin.status(alices.id)).status, 2 /* RUNNING */);
    });
  });

  describe('the server policy', () => {
    let strict: TestServer;
    before(async () => {
      strict = await startTestServer({
        config: { denyCommandJobsForUsers: true, allowedUrlPrefixes: ['http://127.0.0.1:9/allowed/'] },
      });
    });
    after(() => strict.close());

    it('can deny command jobs to users, not to admins', async () => {
      await assertStatus(
        strict.as.alice.start({ type: JobType.JOB_TYPE_COMMAND, args: SLEEP }),
        GrpcCode.PERMISSION_DENIED,
        /does not let users start command jobs/,
      );
      const job = await strict.as.admin.start({
        type: JobType.JOB_TYPE_COMMAND,
        args: { kind: { $case: 'command', value: { executable: '/bin/true', args: [], env: {} } } },
      });
      assert.equal(job.owner, 'admin');
    });

    it('restricts wait-then-send URLs to the allowed prefixes, and gives it the host network', async () => {
      const wts = (url: string) => ({
        type: JobType.JOB_TYPE_WAIT_THEN_SEND,
        args: { kind: { $case: 'waitThenSend' as const, value: { url, waitSeconds: 0 } } },
      });
      await assertStatus(
        strict.as.alice.start(wts('http://127.0.0.1:9/other')),
        GrpcCode.PERMISSION_DENIED,
        /not under a prefix this server allows/,
      );
      await assertStatus(
        strict.as.alice.start(wts('http://127.0.0.1:9/allowed/../other')),
        GrpcCode.PERMISSION_DENIED,
      );
      const job = await strict.as.alice.start(wts('http://127.0.0.1:9/allowed/x'));
      assert.equal(job.network, NetworkMode.NETWORK_MODE_HOST);
      await assertStatus(
        strict.as.alice.start({
          ...wts('http://127.0.0.1:9/allowed/x'),
          network: NetworkMode.NETWORK_MODE_ISOLATED,
        }),
        GrpcCode.INVALID_ARGUMENT,
        /needs the network/,
      );
    });

    it('lets a wait-then-send job reach loopback and private addresses only under an allowed prefix', async () => {
      const hook = await TestHttpServer.start((response) => response.writeHead(204).end());
      const listed = await startTestServer({ config: { allowedUrlPrefixes: [`${hook.origin}/allowed/`] } });
      try {
        const send = async (server: TestServer, url: string) => {
          const job = await server.as.alice.start({
            type: JobType.JOB_TYPE_WAIT_THEN_SEND,
            args: { kind: { $case: 'waitThenSend', value: { url, waitSeconds: 0 } } },
          });
          const output = (await server.as.alice.tail({ id: job.id })).data.toString();
          return { status: (await server.as.alice.status(job.id)).status, output };
        };
        // No prefixes (the default, any URL): public addresses only, and the job says how to allow more.
        const refused = await send(t, `${hook.origin}/allowed/x`);
        assert.equal(refused.status, JobStatus.JOB_STATUS_FAILED);
        assert.match(
          refused.output,
          /\[ERROR\] refused to connect to 127\.0\.0\.1, a loopback address: .*allowedUrlPrefixes/,
        );
        assert.equal(hook.received.length, 0);
        // Under a prefix the operator listed: the operator vouched for that host.
        const sent = await send(listed, `${hook.origin}/allowed/x`);
        assert.equal(sent.status, JobStatus.JOB_STATUS_COMPLETE, sent.output);
        assert.deepEqual(
          hook.received.map((request) => request.url),
          ['/allowed/x'],
        );
      } finally {
        await listed.close();
        await hook.close();
      }
    });
  });
});

describe('allowsPrivateDestinations', () => {
  const wts = (url: string) => ({ type: 'wait-then-send', url, waitSeconds: 0 }) as const;
  const policy = (allowedUrlPrefixes: string[]) => ({ denyCommandJobsForUsers: false, allowedUrlPrefixes });

  it('is true only for a wait-then-send URL under a listed prefix', () => {
    assert.equal(allowsPrivateDestinations(wts('http://10.0.0.5/hook'), policy([])), false);
    assert.equal(allowsPrivateDestinations(wts('http://10.0.0.5/hook'), policy(['http://10.0.0.5/'])), true);
    assert.equal(
      allowsPrivateDestinations(wts('http://10.0.0.50/hook'), policy(['http://10.0.0.5/'])),
      false,
    );
    assert.equal(allowsPrivateDestinations({ type: 'noop' }, policy(['http://10.0.0.5/'])), false);
  });
});
