import { DebeziumRecordGenerator, transactionRecord, TransactionTopicFeed } from '../src';

const payloadOf = (value: unknown) =>
  (JSON.parse(String(value)) as { payload: Record<string, unknown> }).payload;

describe('transactionRecord', () => {
  const tx = { xid: 7, beginLsn: 500, endLsn: 900, commitMs: 1234, counts: { 's.a': 2, 's.b': 1 } };

  it('writes BEGIN with its own LSN in the id and no counts', () => {
    const begin = transactionRecord('BEGIN', tx);
    expect(begin.key).toBe('{"id":"7:500"}');
    expect(begin.partition).toBe(0);
    expect(payloadOf(begin.value)).toEqual({
      status: 'BEGIN',
      id: '7:500',
      event_count: null,
      data_collections: null,
      ts_ms: 1234,
    });
  });

  it('writes END with the commit LSN, the total and the per-collection counts', () => {
    const end = transactionRecord('END', tx);
    expect(end.key).toBe('{"id":"7:900"}');
    expect(payloadOf(end.value)).toEqual({
      status: 'END',
      id: '7:900',
      event_count: 3,
      data_collections: [
        { data_collection: 's.a', event_count: 2 },
        { data_collection: 's.b', event_count: 1 },
      ],
      ts_ms: 1234,
    });
  });

  it('carries the JsonConverter schema of the transaction topic', () => {
    const { schema } = JSON.parse(String(transactionRecord('END', tx).value)) as {
      schema: { fields: { field: string }[] };
    };
    expect(schema.fields.map((f) => f.field)).toEqual([
      'status',
      'id',
      'event_count',
      'data_collections',
      'ts_ms',
    ]);
  });
});

describe('TransactionTopicFeed', () => {
  it('makes BEGIN/END pairs with growing xids and the LSNs the change generator would use', () => {
    const feed = new TransactionTopicFeed('s.accounts');
    const generated = new DebeziumRecordGenerator('p').transaction([1], 'u', 5);
    const records = feed.next(3, 5);
    expect(records.slice(0, 2)).toEqual(generated.tx);
    expect(records.map((r) => payloadOf(r.value).id)).toEqual([
      '1000:1000100',
      '1000:1000200',
      '1001:1000300',
      '1001:1000400',
      '1002:1000500',
      '1002:1000600',
    ]);
    expect(feed.made).toBe(3);
  });

  it('spaces BEGIN and END by the events of a transaction', () => {
    const [begin, end] = new TransactionTopicFeed('s.t', 4, { xid: 1, lsn: 0 }).next(1, 0);
    expect(payloadOf(begin!.value).id).toBe('1:100');
    expect(payloadOf(end!.value)).toMatchObject({ id: '1:500', event_count: 4 });
  });
});
