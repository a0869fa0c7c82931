/** `workernatord certs init|issue`: the PKI commands of src/pki, with their results printed for people. */
import { Command, Option } from '@commander-js/extra-typings';
import { certsInit, certsIssue } from '../../pki/commands.js';
import { ROLES } from '../../pki/names.js';
import { SETTINGS } from '../config/settings.js';

const tlsDirOption = () =>
  new Option('--tls-dir <dir>', `the TLS directory [${SETTINGS.tlsDir.env}]`)
    .env(SETTINGS.tlsDir.env)
    .default(SETTINGS.tlsDir.default);

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

function date(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function certsCommand(print: (line: string) => void): Command {
  const certs = new Command('certs').description('create and issue the certificates of mutual TLS');
  certs
    .command('init')
    .description('create the server CA, the client CA, a server certificate and the admin client certificate')
    .addOption(tlsDirOption())
    .addOption(
      new Option(
        '--server-name <name>',
        'a DNS name or IP address for the server certificate, besides localhost, 127.0.0.1 and ::1 (repeatable)',
      ).argParser(collect),
    )
    .option('--force', 'replace existing files')
    .action(async (options) => {
      const result = await certsInit({
        tlsDir: options.tlsDir,
        serverNames: options.serverName ?? [],
        force: options.force === true,
      });
      print(`created a PKI in ${result.tlsDir}`);
      print(`  server certificate ${result.server.certPath} (valid until ${date(result.server.notAfter)})`);
      print(`  admin certificate  ${result.admin.certPath} (valid until ${date(result.admin.notAfter)})`);
      print(
        `issue more client certificates with: workernatord certs issue --tls-dir ${result.tlsDir} --name NAME --role ${ROLES.join('|')}`,
      );
    });
  certs
    .command('issue')
    .description('issue a client certificate signed by the client CA')
    .addOption(tlsDirOption())
    .requiredOption('--name <name>', "the client's identity (certificate CN)")
    .addOption(new Option('--role <role>', 'the role (certificate OU)').choices(ROLES).makeOptionMandatory())
    .option('--days <n>', 'lifetime in days (default 90)')
    .option('--force', 'replace an existing certificate of that name')
    .action(async (options) => {
      const days = options.days === undefined ? undefined : Number(options.days);
      const result = await certsIssue({
        tlsDir: options.tlsDir,
        name: options.name,
        role: options.role,
        force: options.force === true,
        ...(days === undefined ? {} : { days }),
      });
      print(
        `issued ${result.role} certificate for ${result.name}: ${result.certPath} (valid until ${date(result.notAfter)})`,
      );
    });
  return certs;
}
