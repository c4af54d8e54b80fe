// Process entry: config from the environment, pino logs, SIGTERM/SIGINT -> graceful stop, and
// exit codes by error category (0 stopped, 2 misconfigured, 1 fatal at run time; docs/errors.md).
import pino from 'pino';
import { exitCodeOf, failureMessage } from '@syncline/errors';
import { loadConfig } from './config';
import { loadSyncRulesFile } from '@syncline/service-runtime';
import { Evaluator } from './evaluator';

export interface RunIo {
  err(line: string): void;
}

export async function runEvaluator(env: NodeJS.ProcessEnv, io: RunIo): Promise<number> {
  let evaluator: Evaluator | undefined;
  try {
    const config = loadConfig(env);
    const logger = pino({
      level: config.logLevel,
      base: { service: 'rules-evaluator', instance: config.instanceId },
    });
    const rules = await loadSyncRulesFile(config.rulesFile, { defaultSchema: config.defaultSchema });
    evaluator = new Evaluator(config, rules, logger);
    const stop = (signal: string): void => {
      logger.info({ signal }, 'stopping: finishing the batch, committing, leaving the group');
      void evaluator?.stop();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    try {
      await evaluator.run();
    } finally {
      await evaluator.stop();
    }
    logger.info('stopped');
    return 0;
  } catch (error) {
    const exitCode = exitCodeOf(error);
    if (exitCode !== 0) io.err(`syncline evaluator: ${failureMessage(error)}`);
    return exitCode;
  }
}
