#!/usr/bin/env node
/**
 * workernatord: the Workernator server. `serve` (the default) runs the JobService over mutual TLS;
 * `certs init|issue` makes the PKI it needs. Errors end here, as one line on stderr and exit code 1.
 */
import { Command } from '@commander-js/extra-typings';
import { certsCommand } from './cli/certs.js';
import { serveCommand } from './cli/serve.js';

const program = new Command('workernatord')
  .description('Workernator server: runs jobs confined by cgroups and namespaces, over gRPC with mutual TLS')
  .showHelpAfterError("Run 'workernatord --help' for usage.")
  .addCommand(serveCommand(), { isDefault: true })
  .addCommand(certsCommand((line) => process.stdout.write(`${line}\n`)));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`workernatord: ${(error as Error).message}\n`);
  process.exit(1);
}
