// Process entry: config from the environment, pino logs, SIGTERM/SIGINT -> graceful stop, and
// exit codes (0 stopped, 1 fatal at run time, 2 misconfigured).
import pino from 'pino';
import { StoppedError } from '@syncline/service-runtime';
import { ConfigError, loadConfig } from './config';
import { Evaluator, LayoutMismatchError, loadRules, RulesFileError, RulesMismatchError } from './evaluator';

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
    const rules = await loadRules(config.rulesFile, config.defaultSchema);
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
    if (error instanceof StoppedError) return 0;
    if (
      error instanceof ConfigError ||
      error instanceof RulesFileError ||
      error instanceof RulesMismatchError ||
      error instanceof LayoutMismatchError
    ) {
      io.err(`syncline evaluator: ${error.message}`);
      return 2;
    }
    io.err(`syncline evaluator: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return 1;
  }
}
