// What the evaluator's own integration tests add to the test kit: an evaluator run in this
// process (its internals are at hand), and the rules of the one-table tests.
import pino from 'pino';
import { loadConfig, type EvaluatorConfig } from '../../src/config';
import { loadSyncRulesFile } from '@syncline/service-runtime';
import { Evaluator } from '../../src/evaluator';

/** One bucket with every row of a `notes (id int PRIMARY KEY, body text)` table. */
export const ALL_NOTES_RULES = `
bucket_definitions:
  all_notes:
    data:
      - SELECT id, body FROM notes
`;

export interface InProcessEvaluator {
  readonly evaluator: Evaluator;
  readonly config: EvaluatorConfig;
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export async function startInProcess(env: Record<string, string>): Promise<InProcessEvaluator> {
  const config = loadConfig(env);
  const rules = await loadSyncRulesFile(config.rulesFile, { defaultSchema: config.defaultSchema });
  const evaluator = new Evaluator(config, rules, pino({ level: config.logLevel }));
  const done = evaluator.run();
  done.catch(() => undefined);
  return { evaluator, config, done, stop: () => evaluator.stop() };
}
