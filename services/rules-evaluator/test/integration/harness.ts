// Shared helpers of the evaluator's integration tests: run evaluators (in this process or as
// CLI child processes) against a capture, wait for a checkpoint that covers a write, and
// materialize buckets from Redis at a checkpoint.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import pino from 'pino';
import { BucketStore, type Checkpoint, type StoredOp } from '@syncline/bucket-store';
import { parseOpId, sumChecksums } from '@syncline/protocol';
import { getTestStack, type CdcCapture } from '@syncline/test-kit';
import { loadConfig, type EvaluatorConfig } from '../../src/config';
import { Evaluator, loadRules } from '../../src/evaluator';

export const REPO = path.resolve(__dirname, '../../../..');

/** One bucket with every row of a `notes (id int PRIMARY KEY, body text)` table. */
export const ALL_NOTES_RULES = `
bucket_definitions:
  all_notes:
    data:
      - SELECT id, body FROM notes
`;

export function writeRules(yaml: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'syncline-rules-'));
  const file = path.join(dir, 'rules.yaml');
  writeFileSync(file, yaml);
  return file;
}

export function evaluatorEnv(
  capture: CdcCapture,
  rulesFile: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  const { endpoints } = getTestStack();
  return {
    SYNCLINE_RULES_FILE: rulesFile,
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    REDIS_URL: endpoints.redisUrl,
    SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
    SYNCLINE_TOPIC_PREFIX: capture.topicPrefix,
    SYNCLINE_DEPLOYMENT: capture.name,
    SYNCLINE_DEFAULT_SCHEMA: capture.schema,
    SYNCLINE_HTTP_PORT: '0',
    SYNCLINE_TOPIC_REFRESH_MS: '500',
    SYNCLINE_SESSION_TIMEOUT_MS: '10000',
    SYNCLINE_LEASE_TTL_MS: '2000',
    SYNCLINE_LOG_LEVEL: 'warn',
    ...extra,
  };
}

export interface InProcessEvaluator {
  readonly evaluator: Evaluator;
  readonly config: EvaluatorConfig;
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export async function startInProcess(env: Record<string, string>): Promise<InProcessEvaluator> {
  const config = loadConfig(env);
  const rules = await loadRules(config.rulesFile, config.defaultSchema);
  const evaluator = new Evaluator(config, rules, pino({ level: config.logLevel }));
  const done = evaluator.run();
  done.catch(() => undefined);
  return { evaluator, config, done, stop: () => evaluator.stop() };
}

export interface ChildEvaluator {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

export function startChild(env: Record<string, string>, args: string[] = []): ChildEvaluator {
  const child = spawn(
    process.execPath,
    [path.join(REPO, 'services/cli/bin/syncline.js'), 'evaluator', ...args],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

export function storeFor(config: { keyPrefix: string }): { store: BucketStore; redis: Redis } {
  const redis = new Redis(getTestStack().endpoints.redisUrl);
  return { store: new BucketStore(redis, config.keyPrefix), redis };
}

/** Every checkpoint the store's channel publishes from now on, in order; close() unsubscribes. */
export async function recordCheckpoints(
  store: BucketStore,
): Promise<{ readonly published: Checkpoint[]; close(): void }> {
  const subscriber = new Redis(getTestStack().endpoints.redisUrl);
  const published: Checkpoint[] = [];
  await subscriber.subscribe(store.keys.checkpointChannel);
  subscriber.on('message', (_c: string, json: string) => published.push(JSON.parse(json) as Checkpoint));
  return { published, close: () => subscriber.disconnect() };
}

let writeCheckpointCounter = 0;

/** Emits a write checkpoint after everything committed so far and waits for a checkpoint covering it. */
export async function syncTo(
  capture: CdcCapture,
  store: BucketStore,
  timeoutMs = 60_000,
): Promise<Checkpoint> {
  const n = ++writeCheckpointCounter;
  // Logical messages reach every replication slot of the database (publications filter tables
  // only), so other tests' write checkpoints arrive here too: the user id names this capture.
  const user = `tester_${capture.name}`;
  await capture.pg.query(`SELECT pg_logical_emit_message(true, 'syncline-wc', $1)`, [`${user}/c1:${n}`]);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const wc = (await store.writeCheckpointsOf(user))['c1'];
    const cp = await store.getCheckpoint();
    if (wc && BigInt(wc.n) >= BigInt(n) && cp && parseOpId(cp.lastOpId) >= parseOpId(wc.opId)) return cp;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `no checkpoint covered write checkpoint ${n} within ${timeoutMs} ms; checkpoint: ${JSON.stringify(await store.getCheckpoint())}`,
  );
}

export interface MaterializedBucket {
  /** `type/id` -> data JSON */
  readonly rows: Map<string, string>;
  readonly ops: StoredOp[];
  readonly checksum: number;
}

/** Applies a bucket's ops up to `checkpoint` the way a client does. */
export async function materialize(
  store: BucketStore,
  bucket: string,
  checkpoint: bigint,
): Promise<MaterializedBucket> {
  const ops = await store.opsBetween(bucket, 0n, checkpoint, 1_000_000);
  const rows = new Map<string, string>();
  for (const op of ops) {
    const key = `${op.object_type}/${op.object_id}`;
    if (op.op === 'PUT') rows.set(key, op.data!);
    else if (op.op === 'REMOVE') rows.delete(key);
  }
  return { rows, ops, checksum: sumChecksums(ops.map((o) => o.checksum)) };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
