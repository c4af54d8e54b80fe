// Smoke test of the real pipeline Postgres -> Debezium -> Kafka, pinning down the event shapes
// the rules-evaluator relies on (docs/local-stack.md "Verified on the real stack").
import {
  getTestStack,
  readUntil,
  startCapture,
  testKafka,
  type CdcCapture,
  type ReadRecord,
} from '@syncline/test-kit';

interface Envelope {
  op: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  source: {
    lsn: number;
    txId: number;
    table: string;
    schema: string;
    snapshot: string | null;
    sequence: string;
  };
  transaction: { id: string; total_order: number; data_collection_order: number } | null;
  message?: { prefix: string; content: string };
}

function payload(r: ReadRecord): Envelope {
  const v = JSON.parse(r.value as string) as { schema?: unknown; payload?: Envelope };
  // The template enables value schemas: every value is {schema, payload}.
  expect(v.schema).toBeDefined();
  return v.payload as Envelope;
}

const xidOf = (id: string) => id.split(':')[0];

interface TransactionPayload {
  readonly status: string;
  readonly id: string;
  readonly event_count?: number;
  readonly data_collections?: Array<{ data_collection: string; event_count: number }>;
}

/**
 * This xid's BEGIN or END among transaction-topic payloads. Other transactions may be on the topic
 * too: every connector's heartbeat is a transactional logical message, which reaches every
 * connector's stream (messages are not filtered by the publication); the message itself is
 * excluded by prefix, its BEGIN and END are not.
 */
function transactionOf(
  payloads: readonly TransactionPayload[],
  status: string,
  xid: string,
): TransactionPayload | undefined {
  return payloads.find((t) => t.status === status && xidOf(t.id) === xid);
}

const transactionPayload = (value: string): TransactionPayload =>
  (JSON.parse(value) as { payload: TransactionPayload }).payload;

describe('Debezium on the local stack', () => {
  let cap: CdcCapture;
  const kafka = testKafka(getTestStack().endpoints.kafkaBrokers);

  beforeAll(async () => {
    cap = await startCapture({
      label: 'smoke',
      setupSql:
        'CREATE TABLE items (id bigint PRIMARY KEY, name text, qty int); CREATE TABLE notes (id int PRIMARY KEY, body text);',
    });
  });
  afterAll(async () => {
    await cap?.close();
  });

  it('carries one transaction as data events plus BEGIN/END with per-table counts and total_order', async () => {
    await cap.pg.query('BEGIN');
    await cap.pg.query("INSERT INTO items VALUES (1, 'one', 1), (2, 'two', 2), (3, 'three', 3)");
    await cap.pg.query("UPDATE items SET qty = 20, name = 'TWO' WHERE id = 2");
    await cap.pg.query('DELETE FROM items WHERE id = 3');
    await cap.pg.query("INSERT INTO notes VALUES (7, 'hello')");
    await cap.pg.query("SELECT pg_logical_emit_message(true, 'syncline-test', 'in-tx')");
    const { rows } = await cap.pg.query<{ xid: string }>('SELECT txid_current()::text AS xid');
    await cap.pg.query('COMMIT');
    const xid = String(Number(rows[0]!.xid) % 2 ** 32);

    const topics = [cap.tableTopic('items'), cap.tableTopic('notes'), cap.transactionTopic, cap.messageTopic];
    // Topics are not ordered relative to each other: read until the END, all 7 events and the
    // delete's tombstone are in (the tombstone may come in a later fetch than the delete).
    const all = await readUntil(
      kafka,
      topics,
      (rs) =>
        rs.filter((r) => r.topic !== cap.transactionTopic && r.value !== null).length >= 7 &&
        rs.some((r) => r.topic === cap.tableTopic('items') && r.value === null) &&
        transactionOf(
          rs
            .filter((r) => r.topic === cap.transactionTopic && r.value !== null)
            .map((r) => transactionPayload(r.value!)),
          'END',
          xid,
        ) !== undefined,
    );

    const data = all.filter(
      (r) => r.topic === cap.tableTopic('items') || r.topic === cap.tableTopic('notes'),
    );
    const events = data.filter((r) => r.value !== null).map(payload);
    const ops = events.map((e) => `${e.source.table}:${e.op}`).sort();
    expect(ops).toEqual(['items:c', 'items:c', 'items:c', 'items:d', 'items:u', 'notes:c'].sort());

    // Every event belongs to the transaction (grouped by xid) and has a distinct 1-based total_order.
    const message = all.filter((r) => r.topic === cap.messageTopic).map(payload);
    expect(message).toHaveLength(1);
    const inTx = [...events, ...message];
    for (const e of inTx) {
      expect(xidOf(e.transaction!.id)).toBe(xid);
      expect(typeof e.source.lsn).toBe('number');
    }
    expect(inTx.map((e) => e.transaction!.total_order).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // LSNs rise with total_order within the transaction.
    const byOrder = [...inTx].sort((a, b) => a.transaction!.total_order - b.transaction!.total_order);
    for (let i = 1; i < byOrder.length; i++)
      expect(byOrder[i]!.source.lsn).toBeGreaterThan(byOrder[i - 1]!.source.lsn);

    const update = events.find((e) => e.op === 'u')!;
    expect(update.after).toEqual({ id: 2, name: 'TWO', qty: 20 });
    const del = events.find((e) => e.op === 'd')!;
    expect(del.after).toBeNull();
    expect(del.before).toMatchObject({ id: 3 }); // REPLICA IDENTITY DEFAULT: key only
    // A delete is followed by a tombstone (same key, null value) for compaction.
    const tombstones = data.filter((r) => r.value === null);
    expect(tombstones.map((t) => JSON.parse(t.key as string))).toEqual([{ id: 3 }]);

    const txRecords = all
      .filter((r) => r.topic === cap.transactionTopic)
      .map((r) => transactionPayload(r.value as string));
    const begin = transactionOf(txRecords, 'BEGIN', xid)!;
    const end = transactionOf(txRecords, 'END', xid)!;
    expect(begin).toBeDefined();
    expect(end).toBeDefined();
    // The id's LSN part differs between BEGIN and END: group by the xid part only.
    expect(begin.id).not.toBe(end.id);
    expect(end.event_count).toBe(7);
    const perTable = Object.fromEntries(end.data_collections!.map((d) => [d.data_collection, d.event_count]));
    expect(perTable[`${cap.schema}.items`]).toBe(5);
    expect(perTable[`${cap.schema}.notes`]).toBe(1);
    // Logical messages are counted under a connector-internal name (not "LOGICAL_DECODING_MESSAGE").
    const others = Object.entries(perTable).filter(([k]) => !k.startsWith(`${cap.schema}.`));
    expect(others.map(([, n]) => n)).toEqual([1]);

    expect(message[0]!.op).toBe('m');
    expect(message[0]!.message!.prefix).toBe('syncline-test');
    expect(Buffer.from(message[0]!.message!.content, 'base64').toString()).toBe('in-tx');
  });

  it('emits a truncate event when a captured table is truncated', async () => {
    await cap.pg.query('TRUNCATE notes');
    const all = await readUntil(kafka, [cap.tableTopic('notes')], (rs) =>
      rs.some((r) => r.value !== null && payload(r).op === 't'),
    );
    const t = all.map((r) => (r.value ? payload(r) : null)).find((e) => e?.op === 't')!;
    expect(t.before).toBeNull();
    expect(t.after).toBeNull();
    expect(t.source.table).toBe('notes');
  });

  it('uses the configured number of partitions for table topics and one for the transaction topic', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({
        topics: [cap.tableTopic('items'), cap.transactionTopic],
      });
      const parts = Object.fromEntries(meta.topics.map((t) => [t.name, t.partitions.length]));
      expect(parts[cap.tableTopic('items')]).toBe(4);
      expect(parts[cap.transactionTopic]).toBe(1);
    } finally {
      await admin.disconnect();
    }
  });
});
