// `npm run demo`: after `syncline stack up`, the todo demo on the local stack. Prepares Postgres
// (demo schema, seed data), builds the web app, starts the rules evaluator, the gateway and
// examples/backend with the demo's sync rules, waits for the first checkpoint, prints the URL to
// open, and runs until Ctrl-C (or SIGTERM), which stops every process it started. The stack
// itself keeps running: `npx syncline stack down` stops it.
// Environment: DEMO_PORT (the page's port, default 5173; a free one if that is taken).
import { spawn } from 'node:child_process';
import {
  defaultConnectorParams,
  serviceEnvOf,
  endpointsOf,
  loadStackConfig,
  repoRoot,
} from '@syncline/stack';
import { buildWebApp, firstCheckpoint, portOr, prepareDatabase, startDemo, type RunningDemo } from './demo';

const DEPLOYMENT = 'todo-demo';

function step(message: string): void {
  process.stdout.write(`[demo] ${message}\n`);
}

async function resetDeployment(env: Record<string, string>): Promise<void> {
  // The demo's Redis state is disposable: rebuilt from the topics at every start, so state left by
  // an older version (another storage layout, which an evaluator refuses) never stops the demo.
  // Op ids come from the topics, so a browser that synced before finds the same ids again.
  const child = spawn(
    process.execPath,
    [
      `${repoRoot()}/services/cli/bin/syncline.js`,
      'evaluator',
      '--reset',
      '--rules',
      `${__dirname}/sync-rules.yaml`,
    ],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`resetting the demo deployment failed (exit ${code}); see above`);
}

async function main(): Promise<void> {
  const config = loadStackConfig(process.env, repoRoot());
  const e = endpointsOf(config);
  const env = { ...serviceEnvOf(config, DEPLOYMENT), SYNCLINE_DEFAULT_SCHEMA: 'public' };
  step('Postgres: demo tables (lists, todos, list_members) and seed data for alice, bob and carol');
  await prepareDatabase(e.pgUrl, 'public', defaultConnectorParams(config).publicationName);
  step('resetting the demo deployment in Redis');
  await resetDeployment(env);
  step('building the web app (Vite, @powersync/web)');
  await buildWebApp();
  step('starting the rules evaluator, the gateway and examples/backend');
  const demo = await startDemo({
    env,
    schema: 'public',
    port: await portOr(Number(process.env.DEMO_PORT ?? 5173)),
    output: 'inherit',
  });
  let stopping: Promise<void> | null = null;
  const stop = (code: number) => {
    stopping ??= demo.stop().then(() => {
      step('stopped');
      process.exit(code);
    });
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
  void demo.failed.then((what) => {
    process.stderr.write(`[demo] ${what}: stopping the demo\n`);
    stop(1);
  });
  step('waiting for the evaluator to catch up with Postgres (first checkpoint)');
  const checkpoint = await firstCheckpoint(e.redisUrl, DEPLOYMENT, 180_000).catch((error: Error) =>
    failAndStop(demo, `the evaluator published no checkpoint: ${error.message}`),
  );
  step(`checkpoint ${checkpoint}; gateway at ${demo.gatewayUrl}`);
  process.stdout.write(
    [
      '',
      `  Open ${demo.url}`,
      '  Sign in as alice, and in a second window as bob: they share the Groceries list.',
      `  Change a row in Postgres:  psql "${e.pgUrl}" -c "update todos set description = 'oat milk' where description = 'milk'"`,
      '  A token for curl:          npx syncline token --sub alice   (POST it to the gateway above, docs/gateway.md)',
      '',
      '  Ctrl-C stops the demo. The stack keeps running; `npx syncline stack down` stops it.',
      '',
    ].join('\n') + '\n',
  );
}

async function failAndStop(demo: RunningDemo, message: string): Promise<never> {
  await demo.stop();
  throw new Error(message);
}

main().catch((error: unknown) => {
  process.stderr.write(`[demo] failed: ${(error as Error).message}\n`);
  process.exit(1);
});
