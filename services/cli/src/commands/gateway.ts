// `syncline gateway --rules FILE`: runs the sync gateway (configured by the environment variables
// in docs/gateway.md).
import { parseArgs } from 'node:util';
import { runGateway } from '@syncline/gateway';
import type { CliIo } from '../io';
import { UsageError } from '../io';

const USAGE = [
  'usage:',
  '  syncline gateway --rules FILE   run the sync gateway (env: docs/gateway.md)',
].join('\n');

export async function runGatewayCommand(args: string[], io: CliIo): Promise<number> {
  let values: { rules?: string; help?: boolean };
  try {
    values = parseArgs({
      args,
      options: { rules: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const rulesFile = values.rules ?? process.env.SYNCLINE_RULES_FILE;
  if (rulesFile === undefined) throw new UsageError(`missing --rules FILE\n${USAGE}`);
  return runGateway({ ...process.env, SYNCLINE_RULES_FILE: rulesFile }, { err: (line) => io.err(line) });
}
