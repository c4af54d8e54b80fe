import { toConnectSchema, type ConnectField } from '@syncline/cdc';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseJson, type JsonObject } from '@syncline/lossless-json';
import { compileSyncRulesOrThrow } from '@syncline/sync-rules';
import { putChecksum, removeChecksum, firstGeneration, snapshotCheckpointOpId } from '@syncline/protocol';
import { planRowChange, DELETED_ROW, type RowState } from '../src/op-planner';
import { rowEvaluator } from '../src/evaluator';
import { snapshotEventOpId, snapshotSequence, SnapshotNumberingError } from '../src/snapshot-numbering';

const rules = compileSyncRulesOrThrow(
  `
bucket_definitions:
  by_owner:
    parameters: SELECT request.user_id() AS owner
    data:
      - SELECT id, owner, body FROM items WHERE owner = bucket.owner
  by_group:
    parameters: SELECT group_id FROM members WHERE user_id = request.user_id()
    data: []
`,
  { defaultSchema: 's' },
);
const evaluator = rowEvaluator(rules);

/** A row schema's columns, from the `fields` of a struct schema as JsonConverter writes it. */
function rowColumns(fields: JsonObject[]): readonly ConnectField[] {
  return toConnectSchema({ type: 'struct', fields }).fields ?? [];
}

const columns = rowColumns([
  { field: 'id', type: 'int32' },
  { field: 'owner', type: 'string', optional: true },
  { field: 'body', type: 'string', optional: true },
]);
const memberColumns = rowColumns([
  { field: 'user_id', type: 'string' },
  { field: 'group_id', type: 'int32' },
]);

function change(
  opId: bigint,
  previous: RowState | null,
  image: Record<string, unknown> | null,
  unavailable: string[] = [],
) {
  return planRowChange(
    {
      table: 's.items',
      subkey: 'sk1',
      rowKey: 's.items/{"id":1}',
      opId,
      previous,
      image: image as never,
      unavailableColumns: unavailable,
      columns,
    },
    evaluator,
  );
}

describe('planRowChange', () => {
  it('puts a new row into its bucket with the checksum of the exact data string', () => {
    const plan = change(100n, null, { id: 1, owner: 'a', body: 'x' });
    expect(plan.ops).toEqual([
      {
        bucket: 'by_owner["a"]',
        op: 'PUT',
        opId: 100n,
        objectType: 'items',
        objectId: '1',
        subkey: 'sk1',
        // The data keeps the integer id (as PowerSync's does); the object id is its text.
        data: '{"id":1,"owner":"a","body":"x"}',
        checksum: putChecksum('items', '1', '{"id":1,"owner":"a","body":"x"}'),
      },
    ]);
    expect(plan.state.memberships).toEqual([{ bucket: 'by_owner["a"]', type: 'items', id: '1' }]);
  });

  it("moves a row's op to the new bucket when its owner changes (REMOVE old, PUT new, same op id)", () => {
    const first = change(100n, null, { id: 1, owner: 'a', body: 'x' });
    const plan = change(200n, first.state, { id: 1, owner: 'b', body: 'x' });
    expect(plan.ops.map((o) => [o.op, o.bucket, o.opId])).toEqual([
      ['REMOVE', 'by_owner["a"]', 200n],
      ['PUT', 'by_owner["b"]', 200n],
    ]);
    expect(plan.ops[0]!.checksum).toBe(removeChecksum('sk1'));
  });

  it('removes a deleted row from every bucket and leaves a tombstone state', () => {
    const first = change(100n, null, { id: 1, owner: 'a', body: 'x' });
    const plan = change(300n, first.state, null);
    expect(plan.ops.map((o) => [o.op, o.bucket])).toEqual([['REMOVE', 'by_owner["a"]']]);
    expect(plan.state).toEqual(DELETED_ROW);
  });

  it('truncate of a stored row plans the same removals as a delete', () => {
    const first = change(100n, null, { id: 1, owner: 'a', body: 'x' });
    expect(change(400n, first.state, null).ops.map((o) => o.op)).toEqual(['REMOVE']);
    expect(change(400n, DELETED_ROW, null).ops).toEqual([]);
  });

  it('fills TOAST placeholders from the stored row, and counts what it cannot fill', () => {
    const first = change(100n, null, { id: 1, owner: 'a', body: 'long text' });
    const plan = change(200n, first.state, { id: 1, owner: 'a', body: '__debezium_unavailable_value' }, [
      'body',
    ]);
    expect(JSON.parse(plan.ops[0]!.data!).body).toBe('long text');
    expect(plan.unfilledToast).toBe(0);
    const orphan = change(200n, null, { id: 1, owner: 'a', body: '__debezium_unavailable_value' }, ['body']);
    expect(JSON.parse(orphan.ops[0]!.data!).body).toBeNull();
    expect(orphan.unfilledToast).toBe(1);
  });

  it("keeps the image on a key change's tombstone, and fills the new key's TOAST columns from it", () => {
    const first = change(100n, null, { id: 1, owner: 'a', body: 'long text' });
    const moved = planRowChange(
      {
        table: 's.items',
        subkey: 'sk1',
        rowKey: 's.items/{"id":1}',
        opId: 201n,
        previous: first.state,
        image: null,
        unavailableColumns: [],
        columns,
        keepImage: true,
      },
      evaluator,
    );
    expect(moved.ops.map((o) => o.op)).toEqual(['REMOVE']);
    expect(moved.state).toEqual({ ...DELETED_ROW, moved: first.state.raw });
    // A plain delete keeps nothing.
    expect(change(201n, first.state, null).state).toEqual(DELETED_ROW);
    const inserted = planRowChange(
      {
        table: 's.items',
        subkey: 'sk2',
        rowKey: 's.items/{"id":2}',
        opId: 202n,
        previous: null,
        image: { id: 2, owner: 'a', body: '__debezium_unavailable_value' } as never,
        unavailableColumns: ['body'],
        columns,
        fillFrom: moved.state.moved ?? null,
      },
      evaluator,
    );
    expect(JSON.parse(inserted.ops[0]!.data!)).toEqual({ id: 2, owner: 'a', body: 'long text' });
    expect(inserted.unfilledToast).toBe(0);
  });

  it('keeps int8 values beyond 2^53 exact in the data string', () => {
    const plan = planRowChange(
      {
        table: 's.items',
        subkey: 'sk',
        rowKey: 'r',
        opId: 1n,
        previous: null,
        image: { id: 1, owner: 'a', body: 9223372036854775806n } as never,
        unavailableColumns: [],
        columns: [...columns.slice(0, 2), ...rowColumns([{ field: 'body', type: 'int64' }])],
      },
      evaluator,
    );
    expect(plan.ops[0]!.data).toBe('{"id":1,"owner":"a","body":9223372036854775806}');
  });

  it('writes a lookup entry when a parameter row appears and a null entry when it stops matching', () => {
    const plan = (previous: RowState | null, image: Record<string, unknown> | null, opId: bigint) =>
      planRowChange(
        {
          table: 's.members',
          subkey: 'm',
          rowKey: 's.members/1',
          opId,
          previous,
          image: image as never,
          unavailableColumns: [],
          columns: memberColumns,
        },
        evaluator,
      );
    const a = plan(null, { user_id: 'u1', group_id: 5 }, 10n);
    expect(a.lookups).toHaveLength(1);
    expect(a.lookups[0]!.parameters).toBe('[{"group_id":5}]');
    // The full current set every time, also when it did not change: the previous state may be
    // stale (another instance's truncate wrote the entry as gone), and a skipped write keeps it gone.
    const same = plan(a.state, { user_id: 'u1', group_id: 5 }, 11n);
    expect(same.lookups).toEqual([{ ...a.lookups[0]!, opId: 11n }]);
    const moved = plan(a.state, { user_id: 'u2', group_id: 5 }, 12n);
    expect(moved.lookups.map((l) => [l.lookupKey === a.lookups[0]!.lookupKey, l.parameters])).toEqual([
      [false, '[{"group_id":5}]'],
      [true, null],
    ]);
  });

  test('rows of several buckets: equal data shares its text and checksum, other data does not', () => {
    const several = rowEvaluator(
      compileSyncRulesOrThrow(
        `
bucket_definitions:
  everything:
    data:
      - SELECT * FROM items
  by_owner:
    parameters: SELECT request.user_id() AS owner
    data:
      - SELECT * FROM items WHERE owner = bucket.owner
  reordered:
    data:
      - SELECT body, owner, id FROM items
  narrower:
    data:
      - SELECT id, owner FROM items
`,
        { defaultSchema: 's' },
      ),
    );
    const plan = planRowChange(
      {
        table: 's.items',
        subkey: 'sk1',
        rowKey: 's.items/{"id":1}',
        opId: 10n,
        previous: null,
        image: { id: 1, owner: 'u1', body: 'x"y' } as never,
        unavailableColumns: [],
        columns,
      },
      several,
    );
    const byBucket = new Map(plan.ops.map((op) => [op.bucket.split('[')[0], op]));
    const expected: Record<string, string> = {
      everything: '{"id":1,"owner":"u1","body":"x\\"y"}',
      by_owner: '{"id":1,"owner":"u1","body":"x\\"y"}',
      reordered: '{"body":"x\\"y","owner":"u1","id":1}',
      narrower: '{"id":1,"owner":"u1"}',
    };
    expect(byBucket.size).toBe(4);
    for (const [bucket, data] of Object.entries(expected)) {
      const op = byBucket.get(bucket)!;
      expect(op.data).toBe(data);
      expect(op.checksum).toBe(putChecksum('items', '1', data));
    }
  });
});

describe('planRowChange, what a state keeps', () => {
  // The parser returns slices of the record's text; a state kept in the row-state cache must not
  // hold that text alive through its ids (a UUID id would keep the whole record per cached row).
  const gc = (): void => {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
  };

  const textIdColumns = rowColumns([
    { field: 'id', type: 'string' },
    { field: 'owner', type: 'string', optional: true },
    { field: 'body', type: 'string', optional: true },
  ]);

  test('states of rows with long ids do not keep the texts of their records', () => {
    const pad = 'x'.repeat(20_000);
    const states: RowState[] = [];
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1000; i++) {
      const id = `0f8fad5b-d9cb-469f-a165-${String(i).padStart(12, '0')}`;
      // The image as the decoder gives it: parsed from the record's text, ids sliced from it.
      const image = parseJson(`{"pad":"${pad}${i}","id":"${id}","owner":"u1","body":"b"}`) as JsonObject;
      const plan = planRowChange(
        {
          table: 's.items',
          subkey: `sk${i}`,
          rowKey: `s.items/{"id":"${id}"}`,
          opId: BigInt(i + 1),
          previous: null,
          image: { id: image.id!, owner: image.owner!, body: image.body! },
          unavailableColumns: [],
          columns: textIdColumns,
        },
        evaluator,
      );
      expect(plan.state.memberships.map((m) => m.id)).toEqual([id]);
      states.push(plan.state);
    }
    gc();
    const kept = process.memoryUsage().heapUsed - before;
    // 1,000 records of 20 kB: 20 MB if each state kept its record's text; its own ids are ~0.1 MB.
    expect(kept).toBeLessThan(5_000_000);
    expect(states).toHaveLength(1000);
  });
});

describe('snapshot numbering', () => {
  it('is injective over (topic index, partition, offset) and stays below the stream base', () => {
    const g = firstGeneration();
    const seen = new Set<bigint>();
    for (const t of [0, 1, 255])
      for (const p of [0, 1, 127])
        for (const o of [0n, 1n, (1n << 25n) - 2n]) seen.add(snapshotEventOpId(g, t, p, o));
    expect(seen.size).toBe(27);
    for (const id of seen) expect(id).toBeLessThanOrEqual(snapshotCheckpointOpId(g));
  });

  it('fails loudly past its limits', () => {
    expect(() => snapshotSequence(256, 0, 0n)).toThrow(SnapshotNumberingError);
    expect(() => snapshotSequence(0, 128, 0n)).toThrow(SnapshotNumberingError);
    expect(() => snapshotSequence(0, 0, 1n << 25n)).toThrow(/snapshot rows per partition/);
  });
});
