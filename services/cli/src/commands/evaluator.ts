// `syncline evaluator --rules FILE [--reset]`: runs the rules evaluator (configured by the
// environment variables in docs/evaluator.md), or resets its state for these rules.
import { codedMessage, exitCodeOf } from '@syncline/errors';
import { loadConfig, resetEvaluator, runEvaluator } from '@syncline/rules-evaluator';
import type { CliIo } from '../io';
import { parseFlags, rulesFileOf } from '../flags';

const USAGE = [
  'usage:',
  '  syncline evaluator --rules FILE           run the rules evaluator (env: docs/evaluator.md)',
  '  syncline evaluator --rules FILE --reset   delete its Redis state and consumer-group offsets',
].join('\n');

export async function runEvaluatorCommand(args: string[], io: CliIo): Promise<number> {
  const values = parseFlags(args, {
    rules: { type: 'string' },
    reset: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const rulesFile = rulesFileOf(values.rules, USAGE);
  const env = { ...process.env, SYNCLINE_RULES_FILE: rulesFile };
  if (values.reset) {
    try {
      const outcome = await resetEvaluator(loadConfig(env));
      io.out(
        `reset: deleted ${outcome.keysDeleted} Redis keys; consumer group ${outcome.groupDeleted ? 'deleted' : 'had no offsets'}`,
      );
      return 0;
    } catch (error) {
      io.err(`syncline evaluator --reset: ${codedMessage(error)}`);
      return exitCodeOf(error);
    }
  }
  return runEvaluator(env, { err: (line) => io.err(line) });
}
