/**
 * The Prometheus endpoint: off by default, loopback only unless forced, scraped over HTTP, and its
 * values move with the work the server does.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { JobType } from '../../src/gen/workernator/v1/workernator.js';
import { ProcessGroupLauncher } from '../../src/core/process-group-launcher.js';
import { ServerStartError } from '../../src/server/errors.js';
import { createLogger } from '../../src/server/logger.js';
import { isLoopback } from '../../src/server/metrics/http.js';
import { WorkernatorServer } from '../../src/server/server.js';
import { tempDir } from '../helpers/temp-dir.js';
import { assertStatus, eventually, GrpcCode } from './helpers/assertions.js';
import { defaultConfig, makePki, startTestServer, type TestServer } from './helpers/test-server.js';

interface Scrape {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: string;
}

function scrape(port: number, path = '/metrics', method = 'GET'): Promise<Scrape> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'], body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** The value of one sample, e.g. value(body, 'workernator_jobs{state="running"}'); undefined when absent. */
function value(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const command = (script: string) => ({
  type: JobType.JOB_TYPE_COMMAND,
  args: {
    kind: { $case: 'command' as const, value: { executable: '/bin/sh', args: ['-c', script], env: {} } },
  },
});

describe('metrics endpoint', () => {
  let t: TestServer;
  let port: number;
  before(async () => {
    t = await startTestServer({ config: { metricsListen: '127.0.0.1:0', maxRunningJobsPerIdentity: 1 } });
    port = t.server.metricsPort!;
  });
  after(() => t.close());

  it('serves the text format at /metrics, with the process metrics', async () => {
    const result = await scrape(port);
    assert.equal(result.status, 200);
    assert.match(result.contentType ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(result.body, /^# HELP workernator_jobs Jobs in the store, by state$/m);
    assert.ok((value(result.body, 'process_open_fds') ?? 0) > 0, 'process_open_fds');
    assert.ok(
      (value(result.body, 'process_resident_memory_bytes') ?? 0) > 0,
      'process_resident_memory_bytes',
    );
    assert.equal((await scrape(port, '/')).status, 404);
    assert.equal((await scrape(port, '/metrics', 'POST')).status, 405);
  });

  it('counts jobs by state, starts by type and outcome, start latency, RPCs, live Tails and bytes streamed', async () => {
    const before = (await scrape(port)).body;
    const series = {
      started: 'workernator_job_starts_total{type="command",outcome="started"}',
      failed: 'workernator_job_starts_total{type="command",outcome="failed"}',
      refused: 'workernator_job_starts_total{type="command",outcome="refused"}',
      latency: 'workernator_job_start_duration_seconds_count{type="command"}',
      startOk: 'workernator_rpcs_total{method="/workernator.v1.JobService/Start",code="OK"}',
      notFound: 'workernator_rpcs_total{method="/workernator.v1.JobService/Status",code="NOT_FOUND"}',
      complete: 'workernator_jobs{state="complete"}',
      running: 'workernator_jobs{state="running"}',
      tails: 'workernator_live_tails',
      bytes: 'workernator_tail_bytes_total',
      limited: 'workernator_admission_refusals_total{limit="maxRunningJobsPerIdentity"}',
    };
    const was = (name: keyof typeof series) => value(before, series[name]) ?? 0;

    const done = await t.as.alice.start(command('printf "%01000d" 0'));
    const output = await t.as.alice.tail({ id: done.id });
    assert.equal(output.data.length, 1000);
    await assertStatus(t.as.alice.status('XE38YM'), GrpcCode.NOT_FOUND);
    const missing = {
      type: JobType.JOB_TYPE_COMMAND,
      args: { kind: { $case: 'command' as const, value: { executable: '/nonexistent', args: [], env: {} } } },
    };
    await assertStatus(t.as.alice.start(missing), GrpcCode.FAILED_PRECONDITION);

    const running = await t.as.bob.start(command('echo live; sleep 30'));
    await assertStatus(t.as.bob.start(command('sleep 30')), GrpcCode.RESOURCE_EXHAUSTED);
    const stream = t.as.bob.tailStream({ id: running.id });
    stream.on('error', () => {});
    await eventually(() => t.server.liveTails === 1, 5_000, 'the live Tail');

    const now = (await scrape(port)).body;
    const is = (name: keyof typeof series) => value(now, series[name]) ?? 0;
    assert.ok(
      is('started') >= was('started') + 2,
      `${series.started}: ${was('started')} -> ${is('started')}`,
    );
    assert.ok(is('latency') >= was('latency') + 2, 'the start latency histogram counts each started job');
    assert.ok(is('startOk') >= was('startOk') + 2);
    assert.equal(is('notFound'), was('notFound') + 1);
    assert.equal(is('refused'), was('refused') + 1);
    assert.equal(is('failed'), was('failed') + 1);
    assert.equal(is('limited'), was('limited') + 1);
    assert.ok(is('complete') >= 1, 'the finished job is counted as complete');
    assert.ok(is('running') >= 1, 'the running job is counted as running');
    assert.equal(is('tails'), 1);
    assert.ok(is('bytes') >= was('bytes') + 1000, `${series.bytes}: ${was('bytes')} -> ${is('bytes')}`);
    assert.match(now, /^workernator_job_start_duration_seconds_bucket\{le="\+Inf",type="command"\} \d+$/m);

    stream.cancel();
    await eventually(() => t.server.liveTails === 0, 5_000, 'the Tail to end');
    await t.as.admin.stop({ id: running.id, gracePeriod: { seconds: 0 } });
    const last = (await scrape(port)).body;
    assert.equal(value(last, series.tails), 0);
    assert.equal(value(last, series.running), 0);
  });
});

describe('metrics settings', () => {
  it('are off by default', async () => {
    const t = await startTestServer();
    try {
      assert.equal(t.server.metricsPort, undefined);
      assert.ok(!t.logs.some((l) => l.msg === 'serving metrics'));
    } finally {
      await t.close();
    }
  });

  it('refuse a non-loopback address unless forced, and the failed start leaves nothing behind', async () => {
    const temp = await tempDir('workernator-metrics-');
    try {
      await makePki(`${temp.path}/tls`);
      const base = { listen: '127.0.0.1:0', dataDir: `${temp.path}/data`, tlsDir: `${temp.path}/tls` };
      const start = (metrics: { metricsListen: string; metricsAllowNonLoopback?: boolean }) =>
        WorkernatorServer.start({
          config: defaultConfig({ ...base, ...metrics }),
          launcher: new ProcessGroupLauncher(),
          logger: createLogger('silent'),
        });
      await assert.rejects(start({ metricsListen: '0.0.0.0:0' }), (error: unknown) => {
        assert.ok(error instanceof ServerStartError);
        assert.match(error.message, /^metricsListen 0\.0\.0\.0:0 is not a loopback address/);
        assert.match(error.message, /metricsAllowNonLoopback/);
        return true;
      });
      // The store was closed on the failed start: a server can open the same data directory.
      const forced = await start({ metricsListen: '0.0.0.0:0', metricsAllowNonLoopback: true });
      try {
        assert.equal((await scrape(forced.metricsPort!)).status, 200);
      } finally {
        await forced.shutdown();
      }
      const named = await start({ metricsListen: 'localhost:0' });
      await named.shutdown();
    } finally {
      await temp.remove();
    }
  });

  it('know loopback addresses', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])
      assert.ok(isLoopback(address), address);
    for (const address of ['0.0.0.0', '10.0.0.1', '::', 'fe80::1', 'localhost'])
      assert.ok(!isLoopback(address), address);
  });
});
