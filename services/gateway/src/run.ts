// Process entry of `syncline gateway`: config from the environment, pino logs, SIGTERM/SIGINT ->
// graceful stop, exit codes by error category (docs/errors.md).
import pino from 'pino';
import { exitCodeOf, failureMessage } from '@syncline/errors';
import { loadSyncRulesFile } from '@syncline/service-runtime';
import { loadGatewayConfig } from './config';
import { Gateway } from './gateway';

export interface RunIo {
  err(line: string): void;
}

export async function runGateway(env: NodeJS.ProcessEnv, io: RunIo): Promise<number> {
  try {
    const config = loadGatewayConfig(env);
    const logger = pino({ level: config.logLevel, base: { service: 'gateway' } });
    const rules = await loadSyncRulesFile(config.rulesFile, { defaultSchema: config.defaultSchema });
    const gateway = new Gateway(config, rules, logger);
    await gateway.start();
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', () => resolve());
      process.once('SIGINT', () => resolve());
    });
    logger.info('stopping: ending streams');
    await gateway.stop();
    return 0;
  } catch (error) {
    const exitCode = exitCodeOf(error);
    if (exitCode !== 0) io.err(`syncline gateway: ${failureMessage(error)}`);
    return exitCode;
  }
}
