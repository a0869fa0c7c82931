/** `workernatord serve`: every setting as a flag (from config/settings.ts), then run until a signal. */
import { Command, Option } from '@commander-js/extra-typings';
import { loadConfig } from '../config/load-config.js';
import { CONFIG_ENV, SETTING_LIST, type ServerConfig } from '../config/settings.js';
import { openLauncher } from '../launcher.js';
import { createLogger } from '../logger.js';
import { WorkernatorServer } from '../server.js';
import { exitOnSignals, reloadOnHangup } from '../signals.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function serveCommand(): Command<[], { config?: string }> {
  const command = new Command('serve')
    .description('serve the JobService over mutual TLS (the default command)')
    .option('--config <file>', `JSON config file (also ${CONFIG_ENV})`);
  for (const setting of SETTING_LIST) {
    const shown =
      setting.shownDefault ?? (typeof setting.default === 'object' ? undefined : setting.default?.toString());
    const defaultText = shown === undefined ? '' : ` (default: ${shown})`;
    const option = new Option(setting.flag, `${setting.description}${defaultText} [${setting.env}]`);
    if (setting.repeatable === true) option.argParser(collect);
    command.addOption(option);
  }
  return command.action(async (options, cmd) => {
    const flags: Partial<Record<keyof ServerConfig, unknown>> = {};
    const given = cmd.opts() as Record<string, unknown>;
    for (const setting of SETTING_LIST) {
      const attribute = new Option(setting.flag).attributeName();
      if (given[attribute] !== undefined) flags[setting.key] = given[attribute];
    }
    const configFile = options.config ?? process.env[CONFIG_ENV];
    const sources = { flags, env: process.env, configFile, cwd: process.cwd() };
    const config = await loadConfig(sources);
    const logger = createLogger(config.logLevel);
    // The config file is hidden from jobs too (relative to the same cwd as loadConfig's).
    const launcher = await openLauncher(
      config,
      logger,
      undefined,
      configFile === undefined || configFile === '' ? undefined : configFile,
    );
    const starting = WorkernatorServer.start({
      config,
      launcher: launcher.launcher,
      logger,
      closeLauncher: () => launcher.close(),
    }).catch(async (error: unknown) => {
      await launcher.close();
      throw error;
    });
    // Before the server can announce 'serving': a signal that follows that line must find its handler
    // (without one, SIGTERM and SIGHUP kill the process outright).
    exitOnSignals(starting, logger, (code) => process.exit(code));
    reloadOnHangup({ reload: async (next) => (await starting).reload(next) }, logger, () =>
      loadConfig(sources),
    );
    await starting;
  });
}
