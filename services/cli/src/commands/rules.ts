// `syncline rules validate|eval|buckets`: placeholder until libs/sync-rules lands (issue 3).
import type { CliIo } from '../io';
import { UsageError } from '../io';

export async function runRulesCommand(args: string[], io: CliIo): Promise<number> {
  void io;
  throw new UsageError(`rules ${args[0] ?? ''}: not available yet`);
}
