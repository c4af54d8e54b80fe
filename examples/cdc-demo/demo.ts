// The pipeline demo (`npm run demo`): commits one transaction to the stack's demo schema and
// shows it arriving through Debezium and Kafka: the data events of both tables and the
// transaction's BEGIN/END records. Later stages (evaluator, gateway, client) extend this demo.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import { endpointsOf, loadStackConfig, repoRoot, waitForTopics } from '@syncline/stack';

async function main(): Promise<void> {
  const e = endpointsOf(loadStackConfig(process.env, repoRoot()));
  const pg = new Client({ connectionString: e.pgUrl });
  await pg.connect();
  const listId = randomUUID();
  await pg.query('BEGIN');
  await pg.query("INSERT INTO lists (id, name, owner_id) VALUES ($1, 'Groceries', 'user-1')", [listId]);
  await pg.query("INSERT INTO todos (list_id, description) VALUES ($1, 'milk'), ($1, 'bread')", [listId]);
  const { rows } = await pg.query<{ xid: string }>('SELECT (txid_current() % 4294967296)::text AS xid');
  await pg.query('COMMIT');
  await pg.end();
  const xid = rows[0]!.xid;
  process.stdout.write(`committed transaction ${xid}: 1 list + 2 todos (list ${listId})\n`);

  const kafka = new Kafka({ brokers: [...e.kafkaBrokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `demo-${randomUUID()}` });
  const topics = [
    `${e.topicPrefix}.public.lists`,
    `${e.topicPrefix}.public.todos`,
    `${e.topicPrefix}.transaction`,
  ];
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
          if (p.status === 'END') expected = Number(p.event_count);
        } else {
          seen++;
          process.stdout.write(
            `  ${topic}  op=${p.op} total_order=${p.transaction.total_order} after=${JSON.stringify(p.after)}\n`,
          );
        }
        finishIfComplete(resolve, timer);
      },
    });
  }).finally(() => consumer.disconnect());
  process.stdout.write('the pipeline works: Postgres -> Debezium -> Kafka, one whole transaction\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
