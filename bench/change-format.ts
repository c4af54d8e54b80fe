// Avro or JSON for Debezium's change events: the same rows through a JSON connector and an Avro
// connector (Apicurio's converter) on one Connect worker of the benchmark's own, one after the
// other. Prints per format the bytes per event (key + value, and headers apart), the Connect
// worker's CPU per event while it drains the inserts (/proc), and the evaluator decoder's CPU per
// event (decodeChange over the captured records), then the Avro/JSON ratios.
//   npx tsx bench/change-format.ts [--rows 20000] [--tx-rows 100] [--decode-rounds 5] [--repeat 2]
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { AvroCdcDecoder, CdcDecoder, isMalformed, type ChangeDecoder, type KafkaRecord } from '@syncline/cdc';
import {
  isPortFree,
  loadStackConfig,
  repoRoot,
  startExtraConnectWorker,
  type ChangeFormat,
  type ExtraConnectWorker,
} from '@syncline/stack';
import {
  avroRegistryUrl,
  startCapture,
  uniqueName,
  useShellStack,
  type CdcCapture,
} from '@syncline/test-kit';
import { apicurioSchemaFetch } from '@syncline/rules-evaluator';
import { processTreeCpuSeconds } from './cpu-time';
import { cleanUpOnInterrupt } from './interrupt';
import { print, runBenchmark } from './script';
import { recordsInTopic } from './topic-records';

const SETUP = `
CREATE TABLE items (id bigint PRIMARY KEY, owner text NOT NULL, title text, n numeric(20,4),
  ts timestamptz, big bigint, done boolean, body text);
ALTER TABLE items REPLICA IDENTITY FULL;
`;

interface FormatResult {
  readonly format: ChangeFormat;
  readonly events: number;
  readonly keyValueBytes: number;
  readonly headerBytes: number;
  readonly connectCpuUs: number;
  readonly decodeCpuUs: number;
}

async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 21000 + Math.floor(Math.random() * 11000);
    if (await isPortFree(port)) return port;
  }
  throw new Error('no free port for the Connect worker');
}

async function startWorker(): Promise<ExtraConnectWorker> {
  const base = loadStackConfig(process.env, repoRoot());
  const name = uniqueName('bench_fmt_connect');
  return startExtraConnectWorker({
    ...base,
    stateDir: path.join(os.tmpdir(), 'syncline-bench-connect', name),
    ports: { ...base.ports, connect: await freePort() },
    topicPrefix: name,
  });
}

async function insertRows(capture: CdcCapture, rows: number, txRows: number): Promise<void> {
  for (let first = 1; first <= rows; first += txRows) {
    const last = Math.min(rows, first + txRows - 1);
    await capture.pg.query(
      `INSERT INTO items SELECT g, 'owner' || (g % 50), 'title ' || g, g * 1.2345, now(),
         g * 1000003, g % 2 = 0, repeat('x', 80) || g FROM generate_series($1::bigint, $2::bigint) g`,
      [first, last],
    );
  }
}

/** Reads the change topic until it holds `events` records; returns them as the decoder sees them. */
async function readAll(
  kafka: Kafka,
  topic: string,
  events: number,
  timeoutMs: number,
): Promise<KafkaRecord[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('bench_fmt_read'), maxBytes: 64 << 20 });
  const records: KafkaRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) records.push(asRecord(topic, batch.partition, m));
        if (records.length >= events) done();
      },
    });
    const timeout = new Promise<never>((_r, reject) =>
      setTimeout(() => reject(new Error(`${topic}: ${records.length} of ${events} records`)), timeoutMs),
    );
    await Promise.race([all, timeout]);
  } finally {
    await consumer.disconnect();
  }
  return records;
}

function asRecord(topic: string, partition: number, m: KafkaMessage): KafkaRecord {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key,
    value: m.value,
    headers: m.headers as KafkaRecord['headers'],
  };
}

/** Sum of the change topic's end offsets: how many records Connect has written to it. */
async function topicCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await recordsInTopic(admin, topic);
  } finally {
    await admin.disconnect();
  }
}

function headerBytes(r: KafkaRecord): number {
  let n = 0;
  for (const [k, v] of Object.entries(r.headers ?? {})) {
    const values = Array.isArray(v) ? v : [v];
    for (const x of values)
      n += k.length + (x === undefined ? 0 : typeof x === 'string' ? x.length : x.length);
  }
  return n;
}

/** CPU µs per record of decodeChange, best of `rounds` passes (the first warms caches and the JIT). */
async function decodeCost(
  decoder: ChangeDecoder,
  records: readonly KafkaRecord[],
  rounds: number,
): Promise<number> {
  for (const r of records.slice(0, 50)) {
    const d = await decoder.decodeChange(r);
    if (isMalformed(d)) throw new Error(`could not decode ${d.message}`);
  }
  let best = Infinity;
  for (let i = 0; i < rounds; i++) {
    const start = process.cpuUsage();
    for (const r of records) {
      const d = decoder.decodeChange(r);
      if (d instanceof Promise) await d;
    }
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / records.length);
  }
  return best;
}

async function measure(
  format: ChangeFormat,
  worker: ExtraConnectWorker,
  kafka: Kafka,
  opts: { rows: number; txRows: number; rounds: number },
): Promise<FormatResult> {
  const capture = await startCapture({
    label: `bench_fmt_${format}`,
    setupSql: SETUP,
    partitions: 1,
    changeFormat: format,
    connectUrl: worker.url,
  });
  const unregister = cleanUpOnInterrupt(() => capture.close());
  try {
    const topic = capture.tableTopic('items');
    const cpu0 = processTreeCpuSeconds(worker.pid);
    await insertRows(capture, opts.rows, opts.txRows);
    const deadline = Date.now() + 600_000;
    while ((await topicCount(kafka, topic)) < opts.rows) {
      if (Date.now() > deadline) throw new Error(`${format}: Connect did not write ${opts.rows} records`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const connectCpu = processTreeCpuSeconds(worker.pid) - cpu0;
    const records = await readAll(kafka, topic, opts.rows, 120_000);
    const decoder: ChangeDecoder =
      format === 'avro'
        ? new AvroCdcDecoder({ fetchSchema: apicurioSchemaFetch(avroRegistryUrl()) })
        : new CdcDecoder();
    return {
      format,
      events: records.length,
      keyValueBytes:
        records.reduce((n, r) => n + (r.key?.length ?? 0) + (r.value?.length ?? 0), 0) / records.length,
      headerBytes: records.reduce((n, r) => n + headerBytes(r), 0) / records.length,
      connectCpuUs: (connectCpu * 1e6) / opts.rows,
      decodeCpuUs: await decodeCost(decoder, records, opts.rounds),
    };
  } finally {
    unregister();
    await capture.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '20000' },
      'tx-rows': { type: 'string', default: '100' },
      'decode-rounds': { type: 'string', default: '5' },
      repeat: { type: 'string', default: '2' },
    },
  });
  const repeat = Number(values.repeat);
  const opts = {
    rows: Number(values.rows),
    txRows: Number(values['tx-rows']),
    rounds: Number(values['decode-rounds']),
  };
  const stack = useShellStack();
  if (stack === undefined)
    throw new Error('run `eval "$(npx syncline stack env)"` first: no stack endpoints');
  const kafka = new Kafka({ brokers: [...stack.endpoints.kafkaBrokers], logLevel: logLevel.NOTHING });
  const worker = await startWorker();
  const unregister = cleanUpOnInterrupt(() => worker.stop());
  try {
    print(
      `change-format: ${opts.rows} inserts in transactions of ${opts.txRows}, one Connect worker of its own`,
    );
    // The worker's JIT warms up on whatever it runs first: rounds alternate the formats and the
    // ratios come from the last round.
    let results: FormatResult[] = [];
    for (let round = 1; round <= repeat; round++) {
      results = [];
      for (const format of ['json', 'avro'] as const) {
        const r = await measure(format, worker, kafka, opts);
        results.push(r);
        print(
          `round ${round}  ${format.padEnd(4)}  bytes/event ${r.keyValueBytes.toFixed(0)} (key+value; headers ${r.headerBytes.toFixed(0)})` +
            `  Connect CPU ${r.connectCpuUs.toFixed(1)} µs/event  decode CPU ${r.decodeCpuUs.toFixed(2)} µs/event`,
        );
      }
    }
    const [json, avro] = results as [FormatResult, FormatResult];
    print(
      `avro/json (round ${repeat})  bytes ${(avro.keyValueBytes / json.keyValueBytes).toFixed(2)}` +
        `  Connect CPU ${(avro.connectCpuUs / json.connectCpuUs).toFixed(2)}` +
        `  decode CPU ${(avro.decodeCpuUs / json.decodeCpuUs).toFixed(2)}`,
    );
  } finally {
    unregister();
    await worker.stop();
  }
}

runBenchmark(main);
