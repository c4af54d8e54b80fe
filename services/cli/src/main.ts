// Command dispatch for `syncline`. Each top-level command lives in its own module under
// commands/; this file only routes argv and turns errors into exit codes.
import { codedMessage, exitCodeOf, SynclineError } from '@syncline/errors';
import { processIo, type CliIo } from './io';

type Command = (args: string[], io: CliIo) => Promise<number>;

// Each command's module is loaded only when it runs: a service's start-up then pays for its own
// dependencies only, not for the local stack's or the other service's (docs/deploy.md). `require`,
// not `import()`: a dynamic import goes through Node's ESM loader, which tsx/cjs (source runs) and
// jest do not hook.
/* eslint-disable @typescript-eslint/no-require-imports -- lazy loading, as said above */
const commands: Record<string, { load: () => Command; summary: string }> = {
  stack: {
    load: () => (require('./commands/stack') as typeof import('./commands/stack')).runStackCommand,
    summary: 'stack up|down|status|env  run the local Kafka/Debezium/Postgres/Redis stack',
  },
  rules: {
    load: () => (require('./commands/rules') as typeof import('./commands/rules')).runRulesCommand,
    summary: 'rules validate|eval|buckets  check and try sync rules',
  },
  evaluator: {
    load: () =>
      (require('./commands/evaluator') as typeof import('./commands/evaluator')).runEvaluatorCommand,
    summary: 'evaluator --rules FILE [--reset]  run the rules evaluator',
  },
  gateway: {
    load: () => (require('./commands/gateway') as typeof import('./commands/gateway')).runGatewayCommand,
    summary: 'gateway --rules FILE  run the sync gateway',
  },
  memory: {
    load: () => (require('./commands/memory') as typeof import('./commands/memory')).runMemoryCommand,
    summary: 'memory [--deployment NAME] [--top 10] [--json]  Redis bytes of a deployment, per bucket',
  },
  token: {
    load: () => (require('./commands/token') as typeof import('./commands/token')).runTokenCommand,
    summary: 'token --sub USER [--ttl 1h] [--claims JSON]  print a development JWT',
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */

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
    const run = command.load();
    return await run(rest, io);
  } catch (err) {
    // An error with a code is one the user can act on; anything else is a bug (bin prints its stack).
    if (!(err instanceof SynclineError)) throw err;
    const code = exitCodeOf(err);
    if (code !== 0) io.err(`syncline ${name}: ${codedMessage(err)}`);
    return code;
  }
}
