// Command dispatch for `syncline`. Each top-level command lives in its own module under
// commands/; this file only routes argv and turns errors into exit codes.
import { codedMessage, exitCodeOf, SynclineError } from '@syncline/errors';
import { processIo, type CliIo } from './io';
import { runStackCommand } from './commands/stack';
import { runRulesCommand } from './commands/rules';
import { runEvaluatorCommand } from './commands/evaluator';
import { runGatewayCommand } from './commands/gateway';
import { runTokenCommand } from './commands/token';

type Command = (args: string[], io: CliIo) => Promise<number>;

const commands: Record<string, { run: Command; summary: string }> = {
  stack: {
    run: runStackCommand,
    summary: 'stack up|down|status|env  run the local Kafka/Debezium/Postgres/Redis stack',
  },
  rules: { run: runRulesCommand, summary: 'rules validate|eval|buckets  check and try sync rules' },
  evaluator: {
    run: runEvaluatorCommand,
    summary: 'evaluator --rules FILE [--reset]  run the rules evaluator',
  },
  gateway: { run: runGatewayCommand, summary: 'gateway --rules FILE  run the sync gateway' },
  token: {
    run: runTokenCommand,
    summary: 'token --sub USER [--ttl 1h] [--claims JSON]  print a development JWT',
  },
};

export function usage(): string {
  const lines = Object.values(commands).map((c) => `  syncline ${c.summary}`);
  return ['usage:', ...lines, '', 'Run `syncline <command> --help` for the flags of a command.'].join('\n');
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    io.err(`syncline: unknown command '${name}'`);
    io.err(usage());
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    // An error with a code is one the user can act on; anything else is a bug (bin prints its stack).
    if (!(err instanceof SynclineError)) throw err;
    const code = exitCodeOf(err);
    if (code !== 0) io.err(`syncline ${name}: ${codedMessage(err)}`);
    return code;
  }
}
