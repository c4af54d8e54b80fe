// The pipeline demo (`npm run demo`): starts a rules-evaluator, commits one transaction to the
// stack's demo schema, shows it arriving through Debezium and Kafka (the data events of both
// tables and the BEGIN/END records), then the checkpoint that covers it and the user's bucket
// in Redis; then starts a gateway and the official PowerSync client (client.mjs), which syncs
// user-1's rows into its SQLite, and commits one more todo that arrives there live.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { Redis } from 'ioredis';
import { keyPrefixFor, RedisBucketReader, type BucketReader } from '@syncline/bucket-store';
import { formatWriteCheckpoint, parseOpId, writeCheckpointPrefix } from '@syncline/protocol';
import { Client } from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import { topicNamesFor, waitForTopics } from '@syncline/kafka-topics';
import { endpointsOf, freePort, loadStackConfig, repoRoot, serviceEnvOf } from '@syncline/stack';

const DEPLOYMENT = 'demo';
const WRITE_CHECKPOINT = String(Date.now());

const SYNCLINE = path.join(repoRoot(), 'services/cli/bin/syncline.js');

/** A `syncline` service of the demo deployment with the stack's endpoints and dev JWT secret. */
function startService(command: 'evaluator' | 'gateway', extra: string[] = [], gatewayPort = 0) {
  return spawn(
    process.execPath,
    [SYNCLINE, command, '--rules', path.join(__dirname, 'sync-rules.yaml'), ...extra],
    {
      env: {
        ...process.env,
        ...serviceEnvOf(loadStackConfig(process.env, repoRoot()), DEPLOYMENT),
        SYNCLINE_HTTP_PORT: '0',
        SYNCLINE_GATEWAY_PORT: String(gatewayPort),
        SYNCLINE_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
}

const startEvaluator = (extra: string[] = []) => startService('evaluator', extra);

/** Waits, subscribed to checkpoints, until one covers the demo transaction (its write checkpoint). */
async function coveringCheckpoint(reader: BucketReader): Promise<bigint> {
  const signal = AbortSignal.timeout(120000);
  for await (const cp of reader.checkpoints(signal)) {
    const wc = (await reader.writeCheckpointsOf('user-1'))['demo'];
    if (wc && wc.n === WRITE_CHECKPOINT && parseOpId(cp.lastOpId) >= parseOpId(wc.opId))
      return parseOpId(cp.lastOpId);
  }
  throw new Error('no checkpoint covered the demo transaction within 120 s; see the evaluator output above');
}

async function main(): Promise<void> {
  const e = endpointsOf(loadStackConfig(process.env, repoRoot()));
  // The demo deployment's state is disposable: start from scratch every run, so state left by an
  // older version (other rules or storage layout, which an evaluator refuses) never stops the demo.
  const reset = startEvaluator(['--reset']);
  const code = await new Promise<number | null>((resolve) => reset.once('exit', resolve));
  if (code !== 0)
    throw new Error(`resetting the demo deployment failed (exit ${code}); see the output above`);
  const children: ChildProcess[] = [startEvaluator()];
  // Never leave a service behind, also when the demo is interrupted.
  const stopAll = () => children.forEach((c) => c.kill('SIGTERM'));
  process.once('exit', stopAll);
  process.once('SIGINT', () => process.exit(130));
  try {
    const listId = await pipeline(e);
    const port = await freePort();
    children.push(startService('gateway', [], port));
    await officialClient(e, listId, children, `http://127.0.0.1:${port}`);
  } finally {
    stopAll();
  }
}

/**
 * The gateway and the official client: user-1's rows in the client's SQLite after the first
 * sync, then a todo committed now arriving there live.
 */
async function officialClient(
  e: ReturnType<typeof endpointsOf>,
  listId: string,
  children: ChildProcess[],
  endpoint: string,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (
    !(await fetch(`${endpoint}/readyz`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (Date.now() > deadline) throw new Error(`the gateway was not ready at ${endpoint} within 60 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const token = execFileSync(process.execPath, [SYNCLINE, 'token', '--sub', 'user-1'], {
    encoding: 'utf8',
  }).trim();
  process.stdout.write(`gateway: ${endpoint}; token for user-1 from \`syncline token --sub user-1\`\n`);
  const client = spawn(process.execPath, [path.join(__dirname, 'client.mjs')], {
    env: { ...process.env, SYNC_ENDPOINT: endpoint, SYNC_TOKEN: token },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(client);
  const lines = readline.createInterface({ input: client.stdout! })[Symbol.asyncIterator]();
  type Rows = { lists: { id: string; name: string }[]; todos: { list_id: string; description: string }[] };
  const until = async (what: string, done: (rows: Rows) => boolean): Promise<Rows> => {
    const timer = setTimeout(() => client.kill('SIGTERM'), 120_000);
    try {
      for (;;) {
        const next = await lines.next();
        if (next.done) throw new Error(`the official client ended before ${what}; see its output above`);
        const rows = JSON.parse(next.value) as Rows;
        if (done(rows)) return rows;
      }
    } finally {
      clearTimeout(timer);
    }
  };
  const ours = (rows: Rows) => rows.todos.filter((t) => t.list_id === listId).map((t) => t.description);
  const first = await until('its first sync', (r) => r.lists.some((l) => l.id === listId));
  process.stdout.write(
    `official client (@powersync/node): first sync of user-1 into SQLite: ${first.lists.length} list(s), ` +
      `${first.todos.length} todo(s); list ${listId}: ${JSON.stringify(ours(first))}\n`,
  );
  const pg = new Client({ connectionString: e.pgUrl });
  await pg.connect();
  await pg.query("INSERT INTO todos (list_id, description) VALUES ($1, 'eggs')", [listId]);
  await pg.end();
  const committed = Date.now();
  process.stdout.write(`committed one more todo ('eggs') in Postgres\n`);
  const live = await until('the new todo', (r) => ours(r).includes('eggs'));
  process.stdout.write(
    `official client: the todo arrived in SQLite after ${Date.now() - committed} ms; list ${listId}: ` +
      `${JSON.stringify(ours(live))}\n` +
      'end to end: Postgres -> Debezium -> Kafka -> rules-evaluator -> Redis -> gateway -> the official client\n',
  );
  // The client first: a gateway stopping under it would make it report a broken stream.
  const exited = new Promise((resolve) => client.once('exit', resolve));
  client.kill('SIGTERM');
  await exited;
}

/** The pipeline up to Redis; returns the demo list's id. */
async function pipeline(e: ReturnType<typeof endpointsOf>): Promise<string> {
  const names = topicNamesFor(e.topicPrefix);
  const pg = new Client({ connectionString: e.pgUrl });
  await pg.connect();
  const listId = randomUUID();
  await pg.query('BEGIN');
  await pg.query("INSERT INTO lists (id, name, owner_id) VALUES ($1, 'Groceries', 'user-1')", [listId]);
  await pg.query("INSERT INTO todos (list_id, description) VALUES ($1, 'milk'), ($1, 'bread')", [listId]);
  // A write checkpoint in the same transaction: the checkpoint that includes it covers the rows.
  await pg.query('SELECT pg_logical_emit_message(true, $1, $2)', [
    writeCheckpointPrefix(DEPLOYMENT),
    formatWriteCheckpoint({ userId: 'user-1', clientId: 'demo', n: WRITE_CHECKPOINT }),
  ]);
  const { rows } = await pg.query<{ xid: string }>('SELECT (txid_current() % 4294967296)::text AS xid');
  await pg.query('COMMIT');
  await pg.end();
  const xid = rows[0]!.xid;
  process.stdout.write(`committed transaction ${xid}: 1 list + 2 todos (list ${listId})\n`);

  const kafka = new Kafka({ brokers: [...e.kafkaBrokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `demo-${randomUUID()}` });
  const topics = [names.change('public.lists'), names.change('public.todos'), names.transaction];
  const tableTopics = new Set(topics.slice(0, 2));
  await waitForTopics(kafka, topics);
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  // Topics are not ordered relative to each other: the END record may arrive before the last
  // data event (the evaluator handles exactly this). Finish when both are in.
  let seen = 0;
  let expected: number | undefined;
  const finishIfComplete = (resolve: () => void, timer: NodeJS.Timeout) => {
    if (expected !== undefined && seen === expected) {
      clearTimeout(timer);
      resolve();
    }
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the transaction did not arrive within 60 s; see `syncline stack status`')),
      60000,
    );
    void consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (!message.value) return;
        const p = (JSON.parse(message.value.toString()) as { payload: Record<string, any> }).payload; // eslint-disable-line @typescript-eslint/no-explicit-any -- demo output only
        const txId = String(p.transaction?.id ?? p.id ?? '').split(':')[0];
        if (txId !== xid) return;
        if (topic.endsWith('.transaction')) {
          process.stdout.write(
            `  ${topic}  ${p.status}${p.status === 'END' ? ` event_count=${p.event_count}` : ''}\n`,
          );
          // The write-checkpoint message is counted too but lives on the message topic.
          if (p.status === 'END') expected = Number(p.event_count) - 1;
        } else if (tableTopics.has(topic)) {
          seen++;
          process.stdout.write(
            `  ${topic}  op=${p.op} total_order=${p.transaction.total_order} after=${JSON.stringify(p.after)}\n`,
          );
        }
        finishIfComplete(resolve, timer);
      },
    });
  }).finally(() => consumer.disconnect());

  const redis = new Redis(e.redisUrl);
  try {
    const reader = new RedisBucketReader(redis, keyPrefixFor(DEPLOYMENT, '1'));
    const checkpoint = await coveringCheckpoint(reader).finally(() => reader.close());
    const bucket = `user_lists[${JSON.stringify(listId)}]`;
    const ops = await reader.opsBetween(bucket, 0n, checkpoint, 10_000);
    const [sum] = await reader.checksumsAt([bucket], checkpoint);
    process.stdout.write(
      `rules-evaluator: checkpoint ${checkpoint} covers the transaction; bucket ${bucket} at it:\n`,
    );
    for (const op of ops) {
      const row = 'objectId' in op ? ` ${op.objectType}/${op.objectId}` : '';
      process.stdout.write(`  ${op.op} op_id=${op.opId}${row} checksum=${op.checksum}\n`);
    }
    process.stdout.write(`  ${sum?.count} ops, bucket checksum ${sum?.checksum}\n`);
  } finally {
    redis.disconnect();
  }
  process.stdout.write(
    'the pipeline works: Postgres -> Debezium -> Kafka -> rules-evaluator -> Redis, one whole transaction\n',
  );
  return listId;
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
