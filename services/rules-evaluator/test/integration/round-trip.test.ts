// Postgres statement -> Debezium -> evaluator -> the expected Redis ops and bucket-topic records,
// for every op code and the awkward types (numeric, timestamptz, jsonb, arrays, int8 near 2^63,
// TOAST columns under REPLICA IDENTITY DEFAULT).
import { readBucketTopic, type BucketOpRecord } from '@syncline/bucket-topic';
import { topicNamesFor } from '@syncline/kafka-topics';
import { putChecksum, removeChecksum, parseOpId, sumChecksums } from '@syncline/protocol';
import {
  evaluatorEnv,
  getTestStack,
  materialize,
  openDeploymentState,
  startCapture,
  syncTo,
  testKafka,
  writeRulesFile,
  type CdcCapture,
  type DeploymentState,
} from '@syncline/test-kit';
import { serializeParameterLookup } from '@syncline/sync-rules';
import { loadSyncRulesFile } from '@syncline/service-runtime';
import { startInProcess, type InProcessEvaluator } from './harness';

const RULES = `
bucket_definitions:
  by_owner:
    parameters: SELECT request.user_id() AS owner
    data:
      - SELECT id, owner, title, body FROM items WHERE owner = bucket.owner
  by_list:
    parameters: SELECT id AS list_id FROM lists WHERE member = request.user_id()
    data:
      - SELECT * FROM todos WHERE list_id = bucket.list_id
  kinds:
    data:
      - SELECT * FROM kinds
`;

const SETUP = `
CREATE TABLE items (id int PRIMARY KEY, owner text NOT NULL, title text, body text);
CREATE TABLE lists (id int PRIMARY KEY, member text);
CREATE TABLE todos (id int PRIMARY KEY, list_id int, title text);
CREATE TABLE kinds (id int PRIMARY KEY, n numeric, ts timestamptz, doc jsonb, tags text[], big bigint);
`;

describe('evaluator round trip', () => {
  let capture: CdcCapture;
  let running: InProcessEvaluator;
  let state: DeploymentState;

  beforeAll(async () => {
    capture = await startCapture({ label: 'eval_rt', setupSql: SETUP, partitions: 4 });
    running = await startInProcess(evaluatorEnv(capture, writeRulesFile(RULES)));
    state = openDeploymentState(running.config.keyPrefix);
  });

  afterAll(async () => {
    await running?.stop();
    await state?.close();
    await capture?.close();
  });

  const bucket = (name: string) => async () => {
    const cp = await syncTo(capture, state);
    return { cp, ...(await materialize(state, name, parseOpId(cp.lastOpId))) };
  };

  it('puts an inserted row into its bucket with the PowerSync checksum of the exact data', async () => {
    await capture.pg.query(`INSERT INTO items VALUES (1, 'alice', 'first', 'short')`);
    const { rows, ops, checksum } = await bucket('by_owner["alice"]')();
    const data = rows.get('items/1');
    expect(JSON.parse(data!)).toEqual({ id: 1, owner: 'alice', title: 'first', body: 'short' });
    expect(ops).toHaveLength(1);
    expect(ops[0]!.checksum).toBe(putChecksum('items', '1', data!));
    const [stored] = await state.reader.checksumsAt(
      ['by_owner["alice"]'],
      parseOpId((await state.reader.currentCheckpoint())!.lastOpId),
    );
    expect(stored).toEqual({ bucket: 'by_owner["alice"]', checksum: checksum, count: 1 });
  });

  it('moves a row: REMOVE in the old bucket and PUT in the new one, at the same op id', async () => {
    await capture.pg.query(`UPDATE items SET owner = 'bob' WHERE id = 1`);
    const alice = await bucket('by_owner["alice"]')();
    const bob = await materialize(state, 'by_owner["bob"]', parseOpId(alice.cp.lastOpId));
    expect(alice.rows.has('items/1')).toBe(false);
    const remove = alice.ops[alice.ops.length - 1]!;
    expect(remove.op).toBe('REMOVE');
    expect(remove.checksum).toBe(removeChecksum(remove.op === 'REMOVE' ? remove.subkey : ''));
    expect(JSON.parse(bob.rows.get('items/1')!).owner).toBe('bob');
    expect(bob.ops[0]!.opId).toBe(remove.opId);
    expect(remove.opId).toBeGreaterThan(alice.ops[0]!.opId);
  });

  it('fills an unchanged TOAST column from the stored row (REPLICA IDENTITY DEFAULT)', async () => {
    const big = 'x'.repeat(20_000) + Math.random().toString(36);
    await capture.pg.query(`ALTER TABLE items ALTER COLUMN body SET STORAGE EXTERNAL`);
    await capture.pg.query(`INSERT INTO items VALUES (2, 'carol', 'toast', $1)`, [big]);
    await capture.pg.query(`UPDATE items SET title = 'toast 2' WHERE id = 2`);
    const { rows, ops } = await bucket('by_owner["carol"]')();
    const row = JSON.parse(rows.get('items/2')!);
    expect(row.title).toBe('toast 2');
    expect(row.body).toBe(big);
    expect(ops.map((o) => o.op)).toEqual(['PUT', 'PUT']);
  });

  it('removes a deleted row from every bucket', async () => {
    await capture.pg.query(`DELETE FROM items WHERE id = 2`);
    const { rows, ops } = await bucket('by_owner["carol"]')();
    expect(rows.size).toBe(0);
    expect(ops.map((o) => o.op)).toEqual(['PUT', 'PUT', 'REMOVE']);
  });

  it('handles a primary-key change as remove old + put new', async () => {
    await capture.pg.query(`UPDATE items SET id = 10 WHERE id = 1`);
    const { rows } = await bucket('by_owner["bob"]')();
    expect([...rows.keys()]).toEqual(['items/10']);
  });

  it('maps numeric, timestamptz, jsonb, arrays and int8 near 2^63 exactly', async () => {
    await capture.pg.query(
      `INSERT INTO kinds VALUES (1, 12345678901234567890.123456789, '2024-03-01 12:34:56.789+02', '{"a":[1,2,{"b":null}]}', ARRAY['x','y z'], 9223372036854775806)`,
    );
    const { rows, ops } = await bucket('kinds[]')();
    const data = rows.get('kinds/1')!;
    expect(data).toContain('"big":9223372036854775806');
    const row = JSON.parse(data);
    expect(row.n).toBe('12345678901234567890.123456789');
    expect(row.ts).toBe('2024-03-01 10:34:56.789000Z');
    expect(JSON.parse(row.doc)).toEqual({ a: [1, 2, { b: null }] });
    expect(JSON.parse(row.tags)).toEqual(['x', 'y z']);
    expect(ops[0]!.checksum).toBe(putChecksum('kinds', '1', data));
  });

  it('versions parameter lookups by op id and resolves them as of a checkpoint', async () => {
    await capture.pg.query(`INSERT INTO lists VALUES (7, 'dave')`);
    const before = await syncTo(capture, state);
    await capture.pg.query(`UPDATE lists SET member = 'erin' WHERE id = 7`);
    const after = await syncTo(capture, state);
    const lookupKey = (await state.redis.keys(`${running.config.keyPrefix}:{pl:*}:idx`)).length;
    expect(lookupKey).toBeGreaterThanOrEqual(2);
    const compiled = await loadSyncRulesFile(running.config.rulesFile, {
      defaultSchema: running.config.defaultSchema,
    });
    const entries = compiled.evaluateParameterRow(`${capture.schema}.lists`, { id: 7n, member: 'dave' });
    const key = serializeParameterLookup(entries[0]!.lookup);
    expect(await state.reader.lookupAt(key, parseOpId(before.lastOpId))).toEqual([{ list_id: 7 }]);
    expect(await state.reader.lookupAt(key, parseOpId(after.lastOpId))).toEqual([]);
  });

  it('keeps lookups right when a parameter table is truncated and reloaded with the same rows', async () => {
    await capture.pg.query(`INSERT INTO lists VALUES (8, 'fay'), (9, 'fay')`);
    const compiled = await loadSyncRulesFile(running.config.rulesFile, {
      defaultSchema: running.config.defaultSchema,
    });
    const [entry] = compiled.evaluateParameterRow(`${capture.schema}.lists`, { id: 8n, member: 'fay' });
    const key = serializeParameterLookup(entry!.lookup);
    const lookupAt = async () => {
      const cp = await syncTo(capture, state);
      const found = await state.reader.lookupAt(key, parseOpId(cp.lastOpId));
      return found.map((r) => (r as { list_id: number }).list_id).sort();
    };
    expect(await lookupAt()).toEqual([8, 9]);
    // In one transaction: the lookup must not end up "gone" (it was once written as a diff
    // against the state before the truncate).
    await capture.pg.query(`BEGIN; TRUNCATE lists; INSERT INTO lists VALUES (8, 'fay'), (9, 'fay'); COMMIT`);
    expect(await lookupAt()).toEqual([8, 9]);
    // In two: gone at the checkpoint after the truncate, back after the reload.
    await capture.pg.query(`TRUNCATE lists`);
    expect(await lookupAt()).toEqual([]);
    await capture.pg.query(`INSERT INTO lists VALUES (9, 'fay'), (8, 'fay')`);
    expect(await lookupAt()).toEqual([8, 9]);
  });

  it('fills an unchanged TOAST column from the old key when the primary key changes', async () => {
    const big = 'y'.repeat(20_000) + Math.random().toString(36);
    await capture.pg.query(`ALTER TABLE items ALTER COLUMN body SET STORAGE EXTERNAL`);
    await capture.pg.query(`INSERT INTO items VALUES (3, 'gus', 'toast', $1)`, [big]);
    await bucket('by_owner["gus"]')();
    // Moves across the table's 4 partitions (old and new key in one partition, and in two), the
    // last one together with a change of another column.
    for (const [from, to] of [
      [3, 30],
      [30, 31],
      [31, 32],
      [32, 33],
      [33, 34],
    ])
      await capture.pg.query(`UPDATE items SET id = $2 WHERE id = $1`, [from, to]);
    await capture.pg.query(`UPDATE items SET id = 35, title = 'moved' WHERE id = 34`);
    const { rows } = await bucket('by_owner["gus"]')();
    expect([...rows.keys()]).toEqual(['items/35']);
    const row = JSON.parse(rows.get('items/35')!) as { title: string; body: string | null };
    expect(row.title).toBe('moved');
    expect({ length: row.body?.length, end: row.body?.slice(-12) }).toEqual({
      length: big.length,
      end: big.slice(-12),
    });
  });

  it('truncate removes every row of the table, and the bucket topic carries the same ops', async () => {
    await capture.pg.query(`INSERT INTO todos VALUES (1, 7, 'a'), (2, 7, 'b'), (3, 8, 'c')`);
    await syncTo(capture, state);
    await capture.pg.query(`TRUNCATE todos`);
    const seven = await bucket('by_list[7]')();
    expect(seven.rows.size).toBe(0);
    // Two PUTs and the truncate's two REMOVEs, or what compaction (on by default, running in the
    // background) has made of them so far: MOVEs, then one CLEAR standing for all four.
    const kinds = seven.ops.map((o) => (o.op === 'CLEAR' ? `CLEAR/${o.count}` : o.op));
    expect([
      ['PUT', 'PUT', 'REMOVE', 'REMOVE'],
      ['MOVE', 'MOVE', 'REMOVE', 'REMOVE'],
      ['CLEAR/4'],
    ]).toContainEqual(kinds);
    const eight = await materialize(state, 'by_list[8]', parseOpId(seven.cp.lastOpId));
    expect(eight.rows.size).toBe(0);

    const { endpoints } = getTestStack();
    const records: BucketOpRecord[] = [];
    await readBucketTopic({
      kafka: testKafka(endpoints.kafkaBrokers),
      schemaRegistryUrl: endpoints.schemaRegistryUrl,
      topic: topicNamesFor(capture.topicPrefix).buckets(`${capture.name}.1`),
      onMessage: (m) => {
        if (m.op) records.push(m.op);
      },
    });
    const topicSeven = records.filter((r) => r.bucket === 'by_list[7]');
    const asText = (x: [string, string, number]) => x.join(' ');
    expect(topicSeven.map((r) => asText([r.op, String(r.opId), r.checksum])).sort()).toEqual(
      seven.ops.map((o) => asText([o.op, String(o.opId), o.checksum])).sort(),
    );
    // Every Redis op of every bucket is on the topic with the same op id and checksum.
    for (const name of await state.writer.bucketNames()) {
      const { ops } = await materialize(state, name, parseOpId(seven.cp.lastOpId));
      const onTopic = records.filter((r) => r.bucket === name && r.opId <= parseOpId(seven.cp.lastOpId));
      expect(sumChecksums(onTopic.map((r) => r.checksum))).toBe(sumChecksums(ops.map((o) => o.checksum)));
    }
  });

  it('a truncate after inserts in the same transaction removes them in every partition', async () => {
    // The inserts land in all 4 partitions, the truncate in one: rows of the same transaction that
    // other partitions store after the truncate scanned the table must still end up removed. The
    // race is timing-dependent, so the scenario runs several times (without the fix about one
    // round in three left rows behind).
    for (let round = 0; round < 4; round++) {
      const base = 10_000 * (round + 1);
      await capture.pg.query('BEGIN');
      await capture.pg.query(
        `INSERT INTO kinds (id) SELECT g FROM generate_series(${base}, ${base + 3999}) g`,
      );
      await capture.pg.query('TRUNCATE kinds');
      await capture.pg.query(`INSERT INTO kinds (id, n) VALUES (${base + 5000}, 1), (${base + 5001}, 2)`);
      await capture.pg.query('COMMIT');
      const cp = await syncTo(capture, state);
      const { rows } = await materialize(state, 'kinds[]', parseOpId(cp.lastOpId));
      expect([...rows.keys()].sort()).toEqual([`kinds/${base + 5000}`, `kinds/${base + 5001}`]);
    }
  });
});
