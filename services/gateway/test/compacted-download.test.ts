// The completion rule (docs/consistency.md 2.6): compaction running while a client downloads an
// older checkpoint turns ops of that download into MOVEs (and a CLEAR) superseded by ops above it.
// The client's checksums then match the old checkpoint while its rows do not, so the gateway must
// not complete it: it moves the client on to the newer checkpoint and completes that one.
import { MemoryBucketStore, planCompaction, type CompactionCursor } from '@syncline/bucket-store';
import { serializeSyncLine, type SyncLine } from '@syncline/protocol';
import { ClientState } from '@syncline/sync-client';
import { compileSyncRulesOrThrow } from '@syncline/sync-rules';
import { createGatewayMetrics } from '../src/metrics';
import type { NdjsonWriter } from '../src/ndjson-writer';
import { SharedReads } from '../src/shared-reads';
import { SyncSession } from '../src/sync-session';
import { putOp } from './put-op';
import { checkpoint } from './test-checkpoint';

const RULES = compileSyncRulesOrThrow('bucket_definitions:\n  g:\n    data:\n      - SELECT id FROM t\n');
const ROWS = 10;

/** Op `i` writes row `i % ROWS` with version `i`; op 1 of a pinned history writes row `p`, never updated. */
const update = (i: number, pinned = false) =>
  pinned && i === 1
    ? putOp('g[]', 1n, 'p', '{"id":"p"}')
    : putOp('g[]', BigInt(i), String(i % ROWS), `{"id":"${i % ROWS}","v":${i}}`);

async function write(store: MemoryBucketStore, from: number, to: number, pinned = false): Promise<void> {
  for (let i = from; i <= to; i++) await store.addOps([update(i, pinned)]);
  await store.publishCheckpoint(checkpoint(to));
}

/** Compacts bucket g[] up to `safe` completely, step by step, as the worker would. */
function compact(store: MemoryBucketStore, safe: number): void {
  let cursor: CompactionCursor | undefined;
  do {
    const plan = planCompaction(
      store.opsUpTo('g[]', BigInt(safe)),
      { safeOpId: BigInt(safe), limit: 7 },
      cursor,
    );
    store.compact('g[]', plan);
    cursor = plan.next ?? undefined;
  } while (cursor !== undefined);
}

/** The rows a client must show at checkpoint `at`: each row's latest version at or below it. */
function rowsAt(at: number, pinned = false): Map<string, string> {
  const rows = new Map<string, string>();
  for (let i = 1; i <= at; i++) {
    const op = update(i, pinned);
    rows.set(`t/${op.objectId}`, op.data!);
  }
  return rows;
}

type Wire = Record<string, Record<string, unknown>>;

/** Streams to a client (a new one, or `from`: one resuming with what it holds) until `onLine` stops. */
async function stream(
  store: MemoryBucketStore,
  onLine: (line: Wire, stop: () => void) => Promise<void>,
  from: { client: ClientState; after: Map<string, bigint> } = { client: new ClientState(), after: new Map() },
): Promise<{ lines: Wire[]; client: ClientState; withheld: number }> {
  // Pages of 4 ops: the download of one checkpoint takes many lines.
  const reads = new SharedReads(store, { pageOps: 5, pageBytes: 1 << 20, pageCacheBytes: 1 << 20 });
  const metrics = createGatewayMetrics();
  const session = new SyncSession(
    {
      rules: RULES,
      reads,
      limits: { maxBuckets: 10, keepaliveMs: 60_000 },
      metrics,
      writeCheckpointAt: async () => null,
    },
    { userId: 'u1', payload: { sub: 'u1' }, expiresAt: Math.floor(Date.now() / 1000) + 3600 },
    {
      after: from.after,
      clientId: null,
      parameters: {},
      streams: { includeDefaults: true, subscriptions: [] },
    },
  );
  const abort = new AbortController();
  const client = from.client;
  const lines: Wire[] = [];
  const writer = {
    write: (line: SyncLine) => writer.writeText(serializeSyncLine(line)),
    async writeText(text: string): Promise<void> {
      const line = JSON.parse(text) as Wire;
      lines.push(line);
      client.apply(line);
      await onLine(line, () => abort.abort());
    },
    end(): void {},
  };
  const first = await session.target((await store.currentCheckpoint())!);
  await session.run(
    writer as unknown as NdjsonWriter,
    first,
    (signal) => store.checkpoints(signal),
    abort.signal,
  );
  const withheld = (await metrics.completionsWithheld.get()).values[0]?.value ?? 0;
  return { lines, client, withheld };
}

const completions = (lines: Wire[]): string[] =>
  lines.flatMap((l) => (l.checkpoint_complete ? [String(l.checkpoint_complete.last_op_id)] : []));

describe('a download that compaction overtakes', () => {
  it.each([
    ['MOVEs superseded above it', true],
    ['its range replaced by a CLEAR above it', false],
  ])(
    'is not completed at its checkpoint (%s): the client moves on to the newer one and converges',
    async (_, pinned) => {
      const store = new MemoryBucketStore();
      await write(store, 1, 40, pinned);
      let compacted = false;
      const { lines, client, withheld } = await stream(store, async (line, stop) => {
        if (line.data && !compacted) {
          compacted = true;
          await write(store, 41, 60, pinned);
          compact(store, 60);
        }
        if (line.checkpoint_complete) stop();
      });
      const sent = lines.flatMap((l) => (l.data?.data as { op: string }[] | undefined) ?? []);
      // Pinned: the row written first stays live, so no CLEAR forms and superseded ops are MOVEs.
      expect(sent.some((o) => o.op === 'MOVE')).toBe(pinned);
      expect(completions(lines)).toEqual(['60']);
      expect(withheld).toBe(1);
      expect(lines.find((l) => l.checkpoint_diff)?.checkpoint_diff?.last_op_id).toBe('60');
      expect(client.failures).toEqual([]);
      expect(client.lastCompleted?.rows).toEqual(rowsAt(60, pinned));
    },
  );

  it('completes its checkpoint when the compaction was at or below it', async () => {
    const store = new MemoryBucketStore();
    await write(store, 1, 40);
    compact(store, 40);
    const { lines, client, withheld } = await stream(store, async (line, stop) => {
      if (line.checkpoint_complete) stop();
    });
    const sent = lines.flatMap((l) => (l.data?.data as { op: string }[] | undefined) ?? []);
    expect(sent.map((o) => o.op)).toContain('CLEAR');
    expect(completions(lines)).toEqual(['40']);
    expect(withheld).toBe(0);
    expect(client.failures).toEqual([]);
    expect(client.lastCompleted?.rows).toEqual(rowsAt(40));
    // A new client downloads the CLEAR and the live rows only, not the history.
    expect(client.opsReceived).toBeLessThanOrEqual(ROWS + 1);
  });

  it('serves a client that held an old checkpoint the compacted ops, and it converges', async () => {
    const store = new MemoryBucketStore();
    await write(store, 1, 25);
    const first = await stream(store, async (line, stop) => {
      if (line.checkpoint_complete) stop();
    });
    expect(completions(first.lines)).toEqual(['25']);
    await write(store, 26, 80);
    compact(store, 80);
    // The same client resumes from what it holds.
    const { client } = await stream(
      store,
      async (line, stop) => {
        if (line.checkpoint_complete) stop();
      },
      { client: first.client, after: new Map([['g[]', 25n]]) },
    );
    expect(client.failures).toEqual([]);
    expect(client.lastCompleted?.lastOpId).toBe(80n);
    expect(client.lastCompleted?.rows).toEqual(rowsAt(80));
  });
});
