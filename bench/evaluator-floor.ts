// What the evaluator's libraries cost with none of its own work: the same pre-produced records as
// `evaluator-throughput` A (the accounts workload, 6 change partitions and the transaction topic),
// consumed in this process with the evaluator's consumer settings, layer by layer:
//   fetch        kafkajs consumers of both topics, an offset commit per change batch (nothing else)
//   decode       + every record decoded by the evaluator's JSON decoder (CdcDecoder)
// Each layer reads the topics from the start with consumer groups of its own and prints this
// process' CPU per change record from its first batch to its last record, and the batches it saw.
// Compare with `evaluator-throughput --only A`, the whole evaluator on the same workload.
// The records are all in Kafka before a layer starts, so batches are large (as in A): what a Redis
// round trip per batch costs at a steady rate is `bench/redis-round-trip.ts`' figure.
// Usage: npx tsx bench/evaluator-floor.ts [--transactions 40000] [--layers fetch,decode]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Admin, type Consumer, type EachBatchPayload } from 'kafkajs';
import { CdcDecoder, isMalformed } from '@syncline/cdc';
import {
  CHANGE_CONSUMER_FETCH,
  CHANGE_PARTITIONS_CONCURRENTLY,
  TRANSACTION_CONSUMER_FETCH,
} from '@syncline/rules-evaluator';
import { DebeziumRecordGenerator } from '@syncline/test-kit';
import { produceAccountsWorkload, type ProducedWorkload } from './accounts-workload';
import { cleanUpOnInterrupt } from './interrupt';
import { positiveInteger, print, runBenchmark } from './script';

const LAYERS = ['fetch', 'decode'] as const;
type Layer = (typeof LAYERS)[number];

const { values: args } = parseArgs({
  options: {
    transactions: { type: 'string', default: '40000' },
    layers: { type: 'string', default: LAYERS.join(',') },
  },
});
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const kafka = new Kafka({ clientId: 'bench-floor', brokers: BROKERS, logLevel: logLevel.NOTHING });

function layersOf(text: string): Layer[] {
  return text.split(',').map((name) => {
    if (!(LAYERS as readonly string[]).includes(name))
      throw new Error(`--layers: unknown layer ${JSON.stringify(name)} (known: ${LAYERS.join(', ')})`);
    return name as Layer;
  });
}

interface LayerResult {
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
  readonly batches: number;
}

/** Reads both topics from the start with fresh groups, doing what `layer` adds per record and batch. */
async function runLayer(
  layer: Layer,
  g: DebeziumRecordGenerator,
  workload: ProducedWorkload,
  admin: Admin,
): Promise<LayerResult> {
  const run = randomBytes(3).toString('hex');
  const decoder = new CdcDecoder();
  const decodes = layer === 'decode';
  let changeRecords = 0;
  let transactionRecords = 0;
  let batches = 0;
  let started: { cpu: NodeJS.CpuUsage; at: number } | null = null;
  let finished: LayerResult | null = null;
  const begin = (): void => {
    started ??= { cpu: process.cpuUsage(), at: Date.now() };
  };
  const check = (): void => {
    if (finished !== null || started === null) return;
    if (changeRecords < workload.totalEvents || transactionRecords < 2 * workload.transactions) return;
    const cpu = process.cpuUsage(started.cpu);
    finished = {
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      wallSeconds: (Date.now() - started.at) / 1000,
      batches,
    };
  };
  const decodeOrThrow = <T>(decoded: T): T => {
    if (isMalformed(decoded)) throw new Error(`the workload's record did not decode: ${decoded.reason}`);
    return decoded;
  };

  // The evaluator's change consumer and transaction reader settings, from the evaluator itself.
  const groups = [`bench_floor_${run}_changes`, `bench_floor_${run}_tx`];
  const changes = kafka.consumer({
    groupId: groups[0]!,
    ...CHANGE_CONSUMER_FETCH,
    allowAutoTopicCreation: false,
  });
  const transactions = kafka.consumer({
    groupId: groups[1]!,
    ...TRANSACTION_CONSUMER_FETCH,
    allowAutoTopicCreation: false,
  });
  const consumers: Consumer[] = [changes, transactions];
  try {
    await Promise.all(consumers.map((c) => c.connect()));
    await changes.subscribe({ topic: g.dataTopic, fromBeginning: true });
    await transactions.subscribe({ topic: g.txTopic, fromBeginning: true });
    await changes.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: CHANGE_PARTITIONS_CONCURRENTLY,
      eachBatch: async ({ batch, resolveOffset }: EachBatchPayload) => {
        if (batch.messages.length === 0) return;
        begin();
        batches++;
        if (decodes)
          for (const m of batch.messages)
            decodeOrThrow(decoder.decodeChange({ topic: batch.topic, partition: batch.partition, ...m }));
        const last = batch.messages[batch.messages.length - 1]!;
        resolveOffset(last.offset);
        await changes.commitOffsets([
          { topic: batch.topic, partition: batch.partition, offset: String(BigInt(last.offset) + 1n) },
        ]);
        changeRecords += batch.messages.length;
        check();
      },
    });
    await transactions.run({
      autoCommit: false,
      eachBatch: async ({ batch }: EachBatchPayload) => {
        if (batch.messages.length === 0) return;
        begin();
        if (decodes)
          for (const m of batch.messages)
            decodeOrThrow(decoder.decodeTransaction({ topic: batch.topic, partition: 0, ...m }));
        transactionRecords += batch.messages.length;
        check();
      },
    });
    const deadline = Date.now() + 600_000;
    while (finished === null) {
      if (Date.now() > deadline)
        throw new Error(
          `layer ${layer}: ${changeRecords} of ${workload.totalEvents} change records and ${transactionRecords} of ${2 * workload.transactions} transaction records in 10 minutes`,
        );
      await new Promise((r) => setTimeout(r, 20));
    }
    return finished;
  } finally {
    await Promise.all(consumers.map((c) => c.disconnect()));
    // The layer's groups are of no use afterwards: leave none behind in the stack.
    await admin.deleteGroups(groups).catch(() => undefined);
  }
}

async function deleteTopics(admin: Admin, g: DebeziumRecordGenerator): Promise<void> {
  await admin.deleteTopics({ topics: [g.dataTopic, g.txTopic] }).catch(() => undefined);
}

async function main(): Promise<void> {
  const layers = layersOf(args.layers);
  const transactions = positiveInteger('--transactions', args.transactions);
  const g = new DebeziumRecordGenerator(`bench_floor_${randomBytes(3).toString('hex')}`);
  const admin = kafka.admin();
  await admin.connect();
  const release = cleanUpOnInterrupt(() => deleteTopics(admin, g));
  try {
    const workload = await produceAccountsWorkload(kafka, g, transactions);
    print(
      `${workload.totalEvents} change records and ${2 * workload.transactions} BEGIN/END records (${workload.transactions} transactions) produced`,
    );
    for (const layer of layers) {
      const r = await runLayer(layer, g, workload, admin);
      const perEvent = (r.cpuSeconds * 1e6) / workload.totalEvents;
      print(
        `${layer}: CPU per change record ${perEvent.toFixed(1)} µs (${r.cpuSeconds.toFixed(2)} s CPU in ${r.wallSeconds.toFixed(2)} s; ${r.batches} change batches, ${(workload.totalEvents / r.batches).toFixed(0)} records each)`,
      );
    }
  } finally {
    release();
    await deleteTopics(admin, g);
    await admin.disconnect();
  }
}

runBenchmark(main);
