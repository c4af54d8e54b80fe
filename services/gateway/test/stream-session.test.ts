// A sync session on sync streams (edition 3) over the in-memory store: the full checkpoint line's
// `streams` (subscribed streams in file order, unknown names left out, a failing subscription's
// error beside the others' buckets) and each bucket's `subscriptions`/`priority`; a JOIN's lookup
// chain read as of each checkpoint, so a membership change reaches the client as a
// checkpoint_diff; a store that fails its read fails the session instead of dropping buckets.
import { MemoryBucketStore } from '@syncline/bucket-store';
import { serializeSyncLine, type SyncLine } from '@syncline/protocol';
import type { SqliteRow } from '@syncline/sqlite-value';
import {
  compileSyncRulesOrThrow,
  serializeParameterLookup,
  type StreamSubscription,
  type SyncRules,
} from '@syncline/sync-rules';
import { createGatewayMetrics } from '../src/metrics';
import type { NdjsonWriter } from '../src/ndjson-writer';
import { SharedReads } from '../src/shared-reads';
import { SyncSession } from '../src/sync-session';
import { putOp } from './put-op';
import { checkpoint } from './test-checkpoint';

const RULES = compileSyncRulesOrThrow(`config:
  edition: 3
streams:
  mine:
    auto_subscribe: true
    query: SELECT * FROM lists WHERE owner = auth.user_id()
  org_todos:
    priority: 1
    query: |
      SELECT todos.* FROM todos
        JOIN lists ON lists.id = todos.list_id
        JOIN org_members ON org_members.org = lists.org
      WHERE org_members.user_id = auth.user_id()
  picked:
    query: SELECT * FROM todos WHERE id IN subscription.parameter('ids')
  unused:
    auto_subscribe: true
    query: SELECT * FROM lists WHERE owner = 'nobody'
`);

/** Writes a row's lookup entries at `opId` as the evaluator does (every key it had, replaced). */
async function index(
  store: MemoryBucketStore,
  rules: SyncRules,
  table: string,
  rowKey: string,
  row: SqliteRow | null,
  opId: number,
  before: SqliteRow | null = null,
): Promise<void> {
  const rows = new Map<string, unknown[]>();
  for (const e of row === null ? [] : rules.evaluateParameterRow(table, row)) {
    const key = serializeParameterLookup(e.lookup);
    rows.set(key, [...(rows.get(key) ?? []), e.parameters]);
  }
  const gone = (before === null ? [] : rules.evaluateParameterRow(table, before))
    .map((e) => serializeParameterLookup(e.lookup))
    .filter((k) => !rows.has(k));
  await store.writeLookups([
    ...[...rows].map(([lookupKey, p]) => ({
      lookupKey,
      rowKey,
      opId: BigInt(opId),
      parameters: JSON.stringify(p, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)),
    })),
    ...gone.map((lookupKey) => ({ lookupKey, rowKey, opId: BigInt(opId), parameters: null })),
  ]);
}

type Wire = Record<string, Record<string, unknown>>;

function session(store: MemoryBucketStore, subscriptions: StreamSubscription[], includeDefaults = true) {
  return new SyncSession(
    {
      rules: RULES,
      reads: new SharedReads(store, { pageOps: 100, pageBytes: 1 << 20, pageCacheBytes: 0 }),
      limits: { maxBuckets: 10, keepaliveMs: 60_000 },
      metrics: createGatewayMetrics(),
      writeCheckpointAt: async () => null,
    },
    { userId: 'alice', payload: { sub: 'alice' }, expiresAt: Math.floor(Date.now() / 1000) + 3600 },
    { after: new Map(), clientId: null, parameters: {}, streams: { includeDefaults, subscriptions } },
  );
}

/** Streams until `stop` says so after a checkpoint_complete; returns the lines. */
async function run(
  store: MemoryBucketStore,
  s: SyncSession,
  onComplete: (completes: number) => Promise<boolean>,
): Promise<Wire[]> {
  const lines: Wire[] = [];
  const abort = new AbortController();
  const writer = {
    write: (line: SyncLine) => writer.writeText(serializeSyncLine(line)),
    async writeText(text: string) {
      const line = JSON.parse(text) as Wire;
      lines.push(line);
      if (line.checkpoint_complete && (await onComplete(lines.filter((l) => l.checkpoint_complete).length)))
        abort.abort();
    },
    end() {},
  };
  const first = await s.target((await store.currentCheckpoint())!);
  await s.run(writer as unknown as NdjsonWriter, first, (signal) => store.checkpoints(signal), abort.signal);
  return lines;
}

async function aliceStore(): Promise<MemoryBucketStore> {
  const store = new MemoryBucketStore();
  await index(store, RULES, 'org_members', 'm1', { org: 'o1', user_id: 'alice' }, 1);
  await index(store, RULES, 'lists', 'l1', { id: 1n, org: 'o1', owner: 'alice' }, 2);
  // Bob's organisation: never alice's.
  await index(store, RULES, 'org_members', 'm2', { org: 'o2', user_id: 'bob' }, 3);
  await index(store, RULES, 'lists', 'l2', { id: 2n, org: 'o2', owner: 'bob' }, 4);
  await store.addOps([
    putOp('1#mine|0["alice"]', 2n, '1'),
    putOp('1#org_todos|0[1]', 5n, 't1'),
    putOp('1#org_todos|0[2]', 6n, 't2'),
    putOp('1#picked|0["t1"]', 5n, 't1'),
  ]);
  // List 3 joins alice's organisation only after checkpoint 6.
  await index(store, RULES, 'lists', 'l3', { id: 3n, org: 'o1', owner: 'carol' }, 7);
  await store.addOps([putOp('1#org_todos|0[3]', 8n, 't3')]);
  await store.publishCheckpoint(checkpoint(6));
  return store;
}

describe('a sync session on sync streams', () => {
  it('lists the subscribed streams with their errors and says which subscriptions reached each bucket', async () => {
    const store = await aliceStore();
    const s = session(store, [
      { stream: 'org_todos', parameters: null, overridePriority: null },
      { stream: 'nope', parameters: {}, overridePriority: null },
      { stream: 'picked', parameters: { ids: 'invalid json' }, overridePriority: null },
      { stream: 'picked', parameters: { ids: '["t1"]' }, overridePriority: 0 },
    ]);
    const lines = await run(store, s, async () => true);
    expect(lines[0]).toEqual({
      checkpoint: {
        last_op_id: '6',
        buckets: [
          {
            bucket: '1#mine|0["alice"]',
            checksum: expect.any(Number),
            count: 1,
            priority: 3,
            subscriptions: [{ default: 0 }],
          },
          {
            bucket: '1#org_todos|0[1]',
            checksum: expect.any(Number),
            count: 1,
            priority: 1,
            subscriptions: [{ sub: 0 }],
          },
          {
            bucket: '1#picked|0["t1"]',
            checksum: expect.any(Number),
            count: 1,
            priority: 0,
            subscriptions: [{ sub: 3 }],
          },
          // A row-only filter: one global bucket, reached by the default subscription.
          { bucket: '1#unused|0[]', checksum: 0, count: 0, priority: 3, subscriptions: [{ default: 3 }] },
        ],
        streams: [
          { name: 'mine', is_default: true, errors: [] },
          { name: 'org_todos', is_default: false, errors: [] },
          {
            name: 'picked',
            is_default: false,
            errors: [
              { subscription: 2, message: expect.stringMatching(/^Error evaluating bucket ids: .*JSON/) },
            ],
          },
          { name: 'unused', is_default: true, errors: [] },
        ],
      },
    });
    expect(Object.keys(lines[lines.length - 1]!)).toEqual(['checkpoint_complete']);
  });

  it('lists no default stream when include_defaults is false', async () => {
    const store = await aliceStore();
    const lines = await run(
      store,
      session(store, [{ stream: 'org_todos', parameters: null, overridePriority: 2 }], false),
      async () => true,
    );
    expect(lines[0]!.checkpoint).toMatchObject({
      buckets: [{ bucket: '1#org_todos|0[1]', priority: 2, subscriptions: [{ sub: 0 }] }],
      streams: [{ name: 'org_todos', is_default: false, errors: [] }],
    });
  });

  it('reads every stage of a JOIN’s lookup chain as of the checkpoint, and follows membership', async () => {
    const store = await aliceStore();
    const s = session(store, [{ stream: 'org_todos', parameters: null, overridePriority: null }], false);
    const lines = await run(store, s, async (completes) => {
      if (completes === 1) await store.publishCheckpoint(checkpoint(8));
      if (completes === 2) {
        await index(store, RULES, 'org_members', 'm1', null, 9, { org: 'o1', user_id: 'alice' });
        await store.publishCheckpoint(checkpoint(9));
      }
      return completes === 3;
    });
    const buckets = (l: Wire) => (l.checkpoint?.buckets as { bucket: string }[]).map((b) => b.bucket);
    // List 3's lookup entry (op 7) is above checkpoint 6: not yet.
    expect(buckets(lines[0]!)).toEqual(['1#org_todos|0[1]']);
    const diffs = lines.filter((l) => l.checkpoint_diff).map((l) => l.checkpoint_diff!);
    expect(diffs).toEqual([
      {
        last_op_id: '8',
        updated_buckets: [
          {
            bucket: '1#org_todos|0[3]',
            checksum: expect.any(Number),
            count: 1,
            priority: 1,
            subscriptions: [{ sub: 0 }],
          },
        ],
        removed_buckets: [],
      },
      { last_op_id: '9', updated_buckets: [], removed_buckets: ['1#org_todos|0[1]', '1#org_todos|0[3]'] },
    ]);
    const sent = lines.flatMap((l) => (l.data ? [l.data.bucket] : []));
    expect(sent).not.toContain('1#org_todos|0[2]');
  });

  it('fails when the store cannot be read, instead of reporting a subscription error', async () => {
    const store = await aliceStore();
    store.lookupAt = () => Promise.reject(new Error('store unavailable'));
    const s = session(store, [{ stream: 'org_todos', parameters: null, overridePriority: null }]);
    await expect(s.target(checkpoint(6))).rejects.toThrow('store unavailable');
  });
});
