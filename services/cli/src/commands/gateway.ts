// `syncline gateway --rules FILE`: runs the sync gateway (configured by the environment variables
// in docs/gateway.md).
import { runGateway } from '@syncline/gateway';
import type { CliIo } from '../io';
import { parseFlags, rulesFileOf } from '../flags';

const USAGE = [
  'usage:',
  '  syncline gateway --rules FILE   run the sync gateway (env: docs/gateway.md)',
].join('\n');

export async function runGatewayCommand(args: string[], io: CliIo): Promise<number> {
  const values = parseFlags(args, { rules: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const rulesFile = rulesFileOf(values.rules, USAGE);
  return runGateway({ ...process.env, SYNCLINE_RULES_FILE: rulesFile }, { err: (line) => io.err(line) });
}
