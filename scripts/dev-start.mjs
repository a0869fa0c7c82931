// `npm start`: a development server with a job to look at. On first run it builds (if dist/ is
// missing), creates a development PKI in .dev/tls with `workernatord certs init`, and keeps job
// data in .dev/data. It then starts workernatord on 127.0.0.1:50051, runs a `fib 30` job through
// the generated gRPC client with the admin certificate, prints the job's output, and keeps the
// server in the foreground until Ctrl-C (a second Ctrl-C forces it down).
//
// Jobs run in the sandbox when this runs as root (the sandbox needs root); otherwise, or with
// WORKERNATOR_DEV_UNSAFE=1, without it (--unsafe-no-sandbox, announced loudly by the server).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'dist/server/main.js');
const tlsDir = join(root, '.dev/tls');
const dataDir = join(root, '.dev/data');
const listen = '127.0.0.1:50051';

const say = (line) => process.stdout.write(`\x1b[1m[dev-start]\x1b[0m ${line}\n`);

if (!existsSync(main)) {
  say('building (dist/ is missing)');
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
}
if (!existsSync(join(tlsDir, 'server.crt'))) {
  say(`creating a development PKI in ${tlsDir}`);
  execFileSync(process.execPath, [main, 'certs', 'init', '--tls-dir', tlsDir], {
    cwd: root,
    stdio: 'inherit',
  });
}

const unsafe = process.getuid?.() !== 0 || process.env.WORKERNATOR_DEV_UNSAFE === '1';
const sandboxArgs = unsafe ? ['--unsafe-no-sandbox'] : [];
// A process group of its own, so a terminal's Ctrl-C reaches the server once, through us.
const server = spawn(
  process.execPath,
  [main, 'serve', '--listen', listen, '--tls-dir', tlsDir, '--data-dir', dataDir, ...sandboxArgs],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], detached: true },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => {
  say(`workernatord exited (${signal ?? `code ${code}`})`);
  process.exit(code ?? 1);
});

let demoStarted = false;
createInterface({ input: server.stdout }).on('line', (line) => {
  process.stdout.write(`${line}\n`);
  if (!demoStarted && line.includes('"msg":"serving"')) {
    demoStarted = true;
    runDemo().catch((error) => say(`the demo job failed: ${error.message}`));
  }
});

/** Starts `fib 30` as admin with the generated client from dist/ and prints what the job writes. */
async function runDemo() {
  const gen = await import(pathToFileURL(join(root, 'dist/gen/workernator/v1/workernator.js')).href);
  const { createClientCredentials } = await import(
    pathToFileURL(join(root, 'dist/pki/client-credentials.js')).href
  );
  const credentials = createClientCredentials({
    caPem: await readFile(join(tlsDir, 'server-ca.crt')),
    certPem: await readFile(join(tlsDir, 'clients/admin.crt')),
    keyPem: await readFile(join(tlsDir, 'clients/admin.key')),
  });
  const client = new gen.JobServiceClient(`localhost:${listen.split(':')[1]}`, credentials);
  try {
    const request = gen.JobStartRequest.fromPartial({
      type: gen.JobType.JOB_TYPE_FIBONACCI,
      args: { kind: { $case: 'fibonacci', value: { position: 30 } } },
    });
    const job = await new Promise((resolve, reject) =>
      client.start(request, (error, response) => (error ? reject(error) : resolve(response))),
    );
    say(`started job ${job.id} (fib 30) as admin; its output:`);
    const stream = client.tail(gen.JobTailRequest.fromPartial({ id: job.id }));
    for await (const message of stream) process.stdout.write(message.data);
    say(`job ${job.id} has ended. The server keeps running: Ctrl-C to stop it.`);
    say(`certificates for clients: ${join(tlsDir, 'clients')} (server CA: ${join(tlsDir, 'server-ca.crt')})`);
  } finally {
    client.close();
  }
}
