// One deployment's Redis state as tests see it: the reader, writer and coordination of its key
// prefix, waiting (by subscription) for a checkpoint that covers what was committed, recording
// every published checkpoint, and materializing a bucket the way a client applies it.
import {
  RedisBucketReader,
  RedisBucketWriter,
  RedisCoordination,
  StoreKeys,
  type Checkpoint,
  type CompactableOp,
  type StoreConnection,
} from '@syncline/bucket-store';
import { Cluster, Redis } from 'ioredis';
import { parseRedisTarget } from '@syncline/service-runtime';
import { formatWriteCheckpoint, parseOpId, sumChecksums, writeCheckpointPrefix } from '@syncline/protocol';
import type { CdcCapture } from './cdc';
import { getTestStack } from './test-stack';

export interface DeploymentState {
  readonly keyPrefix: string;
  readonly reader: RedisBucketReader;
  readonly writer: RedisBucketWriter;
  readonly coordination: RedisCoordination;
  /** The raw client and key names, for tests that damage state on purpose. */
  readonly redis: StoreConnection;
  readonly keys: StoreKeys;
  /** Deletes the prefix's keys and disconnects. */
  close(): Promise<void>;
}

/** `redisUrl`: the run's stack's Redis unless given (any REDIS_URL form, e.g. a test's cluster). */
export function openDeploymentState(
  keyPrefix: string,
  redisUrl: string = getTestStack().endpoints.redisUrl,
): DeploymentState {
  const redis = connect(redisUrl);
  const reader = new RedisBucketReader(redis, keyPrefix);
  const coordination = new RedisCoordination(redis, keyPrefix);
  return {
    keyPrefix,
    reader,
    writer: new RedisBucketWriter(redis, keyPrefix),
    coordination,
    redis,
    keys: new StoreKeys(keyPrefix),
    async close() {
      await reader.close();
      await coordination.deleteAll().catch(() => undefined);
      redis.disconnect();
    },
  };
}

/** Every checkpoint the deployment publishes from now on, in order; close() unsubscribes. */
/** ioredis' defaults, as tests always used; a cluster client for a `redis+cluster://` URL. */
function connect(redisUrl: string): StoreConnection {
  const target = parseRedisTarget(redisUrl);
  if (target.kind === 'single') return new Redis(target.url);
  return new Cluster(target.seeds.map((s) => ({ host: s.host, port: s.port })));
}

export async function recordCheckpoints(
  state: DeploymentState,
  onCheckpoint: (checkpoint: Checkpoint) => void = () => undefined,
): Promise<{ readonly published: Checkpoint[]; close(): void }> {
  // The raw channel, not reader.checkpoints(): that one lets a slow consumer skip checkpoints.
  const subscriber = state.redis.duplicate();
  const published: Checkpoint[] = [];
  await subscriber.subscribe(state.keys.checkpointChannel);
  subscriber.on('message', (_c: string, json: string) => {
    const checkpoint = JSON.parse(json) as Checkpoint;
    published.push(checkpoint);
    onCheckpoint(checkpoint);
  });
  return { published, close: () => subscriber.disconnect() };
}

/**
 * Runs `check` for every checkpoint published from now on, one at a time in order. `settled()`
 * waits for the checks of the checkpoints seen so far and rejects with the first check's error.
 * `close()` stops listening and waits for the check in flight, so a test that disconnects Redis
 * after it never leaves a check failing with "Connection is closed" (which jest would charge to
 * the test that started the follower).
 */
export async function followCheckpoints(
  state: DeploymentState,
  check: (checkpoint: Checkpoint) => Promise<void>,
): Promise<{ readonly published: Checkpoint[]; settled(): Promise<void>; close(): Promise<void> }> {
  let chain = Promise.resolve();
  let closed = false;
  const recording = await recordCheckpoints(state, (checkpoint) => {
    if (!closed) chain = chain.then(() => check(checkpoint));
  });
  return {
    published: recording.published,
    settled: () => chain,
    async close() {
      closed = true;
      recording.close();
      await chain.catch(() => undefined);
    },
  };
}

let writeCheckpointCounter = 0;

/**
 * Emits a write checkpoint after everything committed so far and waits, subscribed to the
 * deployment's checkpoints, for one that covers it.
 */
export async function syncTo(
  capture: CdcCapture,
  state: DeploymentState,
  timeoutMs = 60_000,
  /** The evaluator's SYNCLINE_DEPLOYMENT; `evaluatorEnv` makes it the capture's name. */
  deployment: string = capture.name,
): Promise<Checkpoint> {
  const n = String(++writeCheckpointCounter);
  // Logical messages reach every replication slot of the database (publications filter tables
  // only): the prefix names the deployment, which the test kit gives the capture's name.
  const userId = `tester_${capture.name}`;
  const content = formatWriteCheckpoint({ userId, clientId: 'c1', n });
  await capture.pg.query(`SELECT pg_logical_emit_message(true, $1, $2)`, [
    writeCheckpointPrefix(deployment),
    content,
  ]);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  let last: Checkpoint | null = null;
  try {
    for await (const checkpoint of state.reader.checkpoints(abort.signal)) {
      last = checkpoint;
      const wc = (await state.reader.writeCheckpointsOf(userId))['c1'];
      if (wc && BigInt(wc.n) >= BigInt(n) && parseOpId(checkpoint.lastOpId) >= parseOpId(wc.opId))
        return checkpoint;
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error(
    `no checkpoint covered write checkpoint ${n} within ${timeoutMs} ms; last checkpoint: ${JSON.stringify(last)}`,
  );
}

export interface MaterializedBucket {
  /** `type/id` -> data JSON */
  readonly rows: Map<string, string>;
  readonly ops: CompactableOp[];
  readonly checksum: number;
  /**
   * False when compaction has since superseded past `checkpoint` (a MOVE or CLEAR with a target
   * above it): the rows are then not that checkpoint's, though the checksum matches, and a
   * gateway would move a client on to a newer checkpoint (docs/consistency.md 2.6).
   */
  readonly complete: boolean;
}

/** Applies a bucket's ops up to `checkpoint` the way a client does. */
export async function materialize(
  state: DeploymentState,
  bucket: string,
  checkpoint: bigint,
): Promise<MaterializedBucket> {
  const ops = await state.reader.opsBetween(bucket, 0n, checkpoint, 1_000_000);
  const rows = new Map<string, string>();
  let complete = true;
  for (const op of ops) {
    if (op.op === 'MOVE' || op.op === 'CLEAR') {
      if (op.target > checkpoint) complete = false;
      if (op.op === 'CLEAR') rows.clear();
      continue;
    }
    const key = `${op.objectType}/${op.objectId}`;
    if (op.op === 'PUT') rows.set(key, op.data!);
    else rows.delete(key);
  }
  return { rows, ops, checksum: sumChecksums(ops.map((o) => o.checksum)), complete };
}
