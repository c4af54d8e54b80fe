// `syncline stack up|down|status|env`: the local stack (Postgres, Redis, Kafka, Kafka Connect
// with Debezium, Apicurio Registry) as processes. Output formats are documented in
// docs/local-stack.md; scripts depend on `env` and `status --json`.
import { codedMessage, exitCodeOf } from '@syncline/errors';
import {
  devJwtSecret,
  endpointsAsShellExports,
  endpointsOf,
  loadStackConfig,
  repoRoot,
  stackDown,
  stackStatus,
  stackUp,
  StackError,
  type ComponentName,
  type StackConfig,
} from '@syncline/stack';
import { UsageError, type CliIo } from '../io';
import { parseFlags } from '../flags';

const USAGE = `usage:
  syncline stack up               start (or reuse) the local stack and register the Debezium connector
  syncline stack status [--json]  show each component and whether it is healthy (exit 1 if any is not)
  syncline stack env [--json]     print the endpoints as shell exports (or JSON)
  syncline stack down [--purge]   stop everything the stack started; --purge also deletes its data`;

export async function runStackCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.out(USAGE);
    return sub === undefined ? 2 : 0;
  }
  const handlers: Record<string, (rest: string[], io: CliIo, config: StackConfig) => Promise<number>> = {
    up,
    down,
    status,
    env,
  };
  const handler = handlers[sub];
  if (!handler) throw new UsageError(`unknown subcommand '${sub}'\n${USAGE}`);
  try {
    return await handler(rest, io, loadStackConfig(process.env, repoRoot()));
  } catch (err) {
    if (err instanceof StackError) {
      io.err(`error: ${codedMessage(err)}`);
      io.err(`  what to do: ${err.hint}`);
      return exitCodeOf(err);
    }
    throw err;
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

const WIDTH = 10;

async function up(rest: string[], io: CliIo, config: StackConfig): Promise<number> {
  parseFlags(rest, {});
  io.err(`Starting the Syncline stack in ${config.stateDir}`);
  const result = await stackUp(config, {
    starting: (name) => io.err(`  … ${name.padEnd(WIDTH)} starting`),
    note: (name, message) => io.err(`  · ${name.padEnd(WIDTH)} ${message}`),
    ready: (name, ms, detail, reused) =>
      io.err(`  ✓ ${name.padEnd(WIDTH)} ${reused ? 'reused ' : seconds(ms).padStart(7)}  ${detail}`),
  });
  const what =
    result.started.length === 0 ? 'already running, nothing started' : `started ${result.started.join(', ')}`;
  io.out(`stack ready in ${seconds(result.totalMs)} (${what})`);
  for (const line of envLines(config)) io.out(line);
  return 0;
}

/** The endpoints' export lines, then the stack's development JWT secret (for the gateway and `syncline token`). */
function envLines(config: StackConfig): string[] {
  return [
    ...endpointsAsShellExports(endpointsOf(config)),
    `export SYNCLINE_JWT_SECRET=${devJwtSecret(config)}`,
  ];
}

async function status(rest: string[], io: CliIo, config: StackConfig): Promise<number> {
  const f = parseFlags(rest, { json: { type: 'boolean' } });
  const list = await stackStatus(config);
  const allHealthy = list.every((s) => s.healthy);
  if (f.json) {
    io.out(JSON.stringify({ healthy: allHealthy, components: list }));
  } else {
    for (const s of list) {
      const mark = s.healthy ? 'healthy' : s.running ? 'UNHEALTHY' : 'down';
      const pid = s.pid ? `pid ${s.pid}` : '';
      const rss = s.rssBytes ? `${Math.round(s.rssBytes / 1048576)} MB` : '';
      io.out(`${s.name.padEnd(WIDTH)} ${mark.padEnd(9)} ${pid.padEnd(10)} ${rss.padStart(7)}  ${s.detail}`);
    }
    const total = list.reduce((n, s) => n + (s.rssBytes ?? 0), 0);
    io.out(
      `${allHealthy ? 'all healthy' : 'NOT all healthy'}; resident memory ${Math.round(total / 1048576)} MB; logs in ${config.stateDir}/logs`,
    );
  }
  return allHealthy ? 0 : 1;
}

async function env(rest: string[], io: CliIo, config: StackConfig): Promise<number> {
  const f = parseFlags(rest, { json: { type: 'boolean' } });
  if (f.json) io.out(JSON.stringify({ ...endpointsOf(config), devJwtSecret: devJwtSecret(config) }));
  else for (const line of envLines(config)) io.out(line);
  return 0;
}

async function down(rest: string[], io: CliIo, config: StackConfig): Promise<number> {
  const f = parseFlags(rest, { purge: { type: 'boolean' } });
  const result = await stackDown(config, { purge: Boolean(f.purge) });
  const names: ComponentName[] = result.stopped;
  io.out(names.length ? `stopped ${names.join(', ')}` : 'nothing was running');
  if (result.purged) io.out(`deleted ${config.stateDir}`);
  return 0;
}
