// A long download and a newer checkpoint: after 1,000 ops the newer checkpoint interrupts it (no
// checkpoint_complete for the old one), and its line goes on from where each bucket stopped, so
// the client gets every op exactly once and completes the newest checkpoint.
import { MemoryBucketStore } from '@syncline/bucket-store';
import { serializeSyncLine, type BucketOp, type SyncLine } from '@syncline/protocol';
import { compileSyncRulesOrThrow } from '@syncline/sync-rules';
import { createGatewayMetrics } from '../src/metrics';
import type { NdjsonWriter } from '../src/ndjson-writer';
import { SharedReads } from '../src/shared-reads';
import { SyncSession } from '../src/sync-session';
import { putOp } from './put-op';
import { checkpoint } from './test-checkpoint';

const RULES = compileSyncRulesOrThrow('bucket_definitions:\n  g:\n    data:\n      - SELECT id FROM t\n');

const op = (opId: number, bucket = 'g[]'): BucketOp => putOp(bucket, BigInt(opId), String(opId));

type Wire = Record<string, Record<string, unknown>>;

/** Collects the lines; calls `onLine` after each (the test publishes from there). */
class RecordingWriter {
  readonly lines: Wire[] = [];
  constructor(private readonly onLine: (line: Wire, lines: Wire[]) => Promise<void>) {}
  write(line: SyncLine): Promise<void> {
    return this.writeText(serializeSyncLine(line));
  }
  async writeText(text: string): Promise<void> {
    const line = JSON.parse(text) as Wire;
    this.lines.push(line);
    await this.onLine(line, this.lines);
  }
  end(): void {}
}

async function stream(
  store: MemoryBucketStore,
  onLine: (line: Wire, lines: Wire[], stop: () => void) => Promise<void>,
): Promise<Wire[]> {
  // 101 read, the last op id left to the next page: pages of 100 ops.
  const reads = new SharedReads(store, { pageOps: 101, pageBytes: 1 << 20, pageCacheBytes: 0 });
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
      after: new Map(),
      clientId: null,
      parameters: {},
      streams: { includeDefaults: true, subscriptions: [] },
    },
  );
  const abort = new AbortController();
  const writer = new RecordingWriter((line, lines) => onLine(line, lines, () => abort.abort()));
  const first = await session.target((await store.currentCheckpoint())!);
  await session.run(
    writer as unknown as NdjsonWriter,
    first,
    (signal) => store.checkpoints(signal),
    abort.signal,
  );
  return writer.lines;
}

const kinds = (lines: Wire[]): string[] => lines.map((l) => Object.keys(l)[0]!);
const opIds = (lines: Wire[]): number[] =>
  lines.flatMap((l) => ((l.data?.data as { op_id: string }[] | undefined) ?? []).map((o) => Number(o.op_id)));
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function storeWith(ops: number): Promise<MemoryBucketStore> {
  const store = new MemoryBucketStore();
  await store.addOps(range(1, ops).map((i) => op(i)));
  await store.publishCheckpoint(checkpoint(ops));
  return store;
}

describe('SyncSession with a newer checkpoint during a long download', () => {
  it('interrupts after 1,000 ops and goes on under the newer checkpoint', async () => {
    const store = await storeWith(3000);
    const lines = await stream(store, async (line, _, stop) => {
      if (line.data?.after === '0') {
        await store.addOps([op(3001)]);
        await store.publishCheckpoint(checkpoint(3001));
      }
      if (line.checkpoint_complete) stop();
    });
    expect(kinds(lines)).toEqual([
      'checkpoint',
      ...Array(10).fill('data'),
      'checkpoint_diff',
      ...Array(21).fill('data'),
      'checkpoint_complete',
    ]);
    expect(lines[0]!.checkpoint!.last_op_id).toBe('3000');
    expect(lines[11]!.checkpoint_diff).toMatchObject({ last_op_id: '3001', removed_buckets: [] });
    expect(lines[12]!.data!.after).toBe('1000');
    expect(lines[lines.length - 1]!.checkpoint_complete!.last_op_id).toBe('3001');
    expect(opIds(lines)).toEqual(range(1, 3001));
  });

  it('finishes the interrupted checkpoint when the newer one changed nothing the client sees', async () => {
    const store = await storeWith(3000);
    const lines = await stream(store, async (line, _, stop) => {
      if (line.data?.after === '0') {
        await store.addOps([op(3001, 'other[]')]);
        await store.publishCheckpoint(checkpoint(3001));
      }
      if (line.checkpoint_complete) stop();
    });
    expect(kinds(lines)).toEqual(['checkpoint', ...Array(30).fill('data'), 'checkpoint_complete']);
    expect(lines[lines.length - 1]!.checkpoint_complete!.last_op_id).toBe('3000');
    expect(opIds(lines)).toEqual(range(1, 3000));
  });

  it('does not interrupt a download of fewer than 1,000 ops', async () => {
    const store = await storeWith(900);
    const lines = await stream(store, async (line, lines, stop) => {
      if (line.data?.after === '0') {
        await store.addOps([op(901)]);
        await store.publishCheckpoint(checkpoint(901));
      }
      if (lines.filter((l) => l.checkpoint_complete).length === 2) stop();
    });
    expect(kinds(lines)).toEqual([
      'checkpoint',
      ...Array(9).fill('data'),
      'checkpoint_complete',
      'checkpoint_diff',
      'data',
      'checkpoint_complete',
    ]);
    expect(opIds(lines)).toEqual(range(1, 901));
  });
});
