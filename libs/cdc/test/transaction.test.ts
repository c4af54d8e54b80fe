// Transaction-topic records decoded from bytes captured on Debezium 3.6.1.Final.
import {
  CdcDecoder,
  isMalformed,
  normalizeDataCollection,
  type KafkaRecord,
  type MalformedRecord,
  type TransactionEnd,
  type TransactionRecord,
} from '../src';
import { findRecord, loadRecords, withValue } from './fixtures';

const MESSAGE_ID_OBJECT =
  'io.debezium.connector.postgresql.LogicalDecodingMessageMonitor$LogicalDecodingMessageId@49f61447';

function decode(record: KafkaRecord, decoder = new CdcDecoder()): TransactionRecord {
  const result = decoder.decodeTransaction(record);
  if (isMalformed(result)) throw new Error(`unexpected malformed record: ${result.message}`);
  return result;
}

describe('decoding captured transaction records', () => {
  test.each([
    ['schemas-disabled', 't1.transaction', '0', 'begin', '727', '22192640'],
    ['schemas-disabled', 't1.transaction', '1', 'end', '727', '22193328'],
    ['schemas-disabled', 't1.transaction', '2', 'begin', '728', '22196232'],
    ['schemas-disabled', 't1.transaction', '3', 'end', '728', '22196648'],
    ['schemas-enabled', 't2.transaction', '0', 'begin', '745', '22527184'],
    ['schemas-enabled', 't2.transaction', '1', 'end', '745', '22527504'],
  ] as const)('%s %s@%s is %s of xid %s at lsn %s', (set, topic, offset, kind, xid, lsn) => {
    const record = decode(findRecord(set, topic, 0, offset));
    expect(record.kind).toBe(kind);
    expect(record.xid).toBe(BigInt(xid));
    expect(record.lsn).toBe(BigInt(lsn));
    expect(record.id).toBe(`${xid}:${lsn}`);
    expect(record.position).toEqual({ topic, partition: 0, offset: BigInt(offset) });
  });

  test('normalises the logical-message collection that 3.6.1 names by object identity', () => {
    const end = decode(findRecord('schemas-disabled', 't1.transaction', 0, '1')) as TransactionEnd;
    expect(end.eventCount).toBe(5);
    expect(end.dataCollections).toEqual([
      { dataCollection: 's1.items', eventCount: 4 },
      { dataCollection: 'LOGICAL_DECODING_MESSAGE', eventCount: 1 },
    ]);
  });

  test('reads the per-collection counts of a schema-enabled END', () => {
    const end = decode(findRecord('schemas-enabled', 't2.transaction', 0, '1')) as TransactionEnd;
    expect(end).toMatchObject({ eventCount: 1, tsMs: 1795757285610 });
    expect(end.dataCollections).toEqual([{ dataCollection: 's1.types', eventCount: 1 }]);
  });

  test('reuses the transaction schema across records', () => {
    const decoder = new CdcDecoder();
    for (const record of loadRecords('schemas-enabled').filter((r) => r.topic.endsWith('.transaction'))) {
      decode(record, decoder);
    }
    expect(decoder.stats).toMatchObject({ schemaCacheHits: 1, schemaCacheMisses: 1 });
  });

  test('adds up several message-id objects of one transaction (derived record)', () => {
    const end = findRecord('schemas-disabled', 't1.transaction', 0, '1');
    const twoMessages = withValue(end, (v) =>
      v
        .replace('"event_count":5', '"event_count":6')
        .replace(
          `{"data_collection":"${MESSAGE_ID_OBJECT}","event_count":1}`,
          `{"data_collection":"${MESSAGE_ID_OBJECT}","event_count":1},{"data_collection":"${MESSAGE_ID_OBJECT.replace('49f61447', '1a2b3c')}","event_count":1}`,
        ),
    );
    expect((decode(twoMessages) as TransactionEnd).dataCollections).toEqual([
      { dataCollection: 's1.items', eventCount: 4 },
      { dataCollection: 'LOGICAL_DECODING_MESSAGE', eventCount: 2 },
    ]);
  });

  test('ties each data event to its END by xid, and END counts to the events of that xid', () => {
    const decoder = new CdcDecoder();
    const records = loadRecords('schemas-disabled');
    const ends = records
      .map((r) => (r.topic.endsWith('.transaction') ? decoder.decodeTransaction(r) : null))
      .filter((r): r is TransactionEnd => r !== null && !isMalformed(r) && r.kind === 'end');
    const eventsPerXid = new Map<bigint, number>();
    for (const record of records.filter((r) => !r.topic.endsWith('.transaction'))) {
      const event = decoder.decodeChange(record);
      if (isMalformed(event) || event.kind === 'tombstone' || event.transaction === null) continue;
      eventsPerXid.set(event.transaction.xid, (eventsPerXid.get(event.transaction.xid) ?? 0) + 1);
    }
    expect(ends.map((e) => [e.xid, e.eventCount])).toEqual([...eventsPerXid]);
  });
});

describe('normalizeDataCollection', () => {
  test.each([
    [MESSAGE_ID_OBJECT, 'LOGICAL_DECODING_MESSAGE'],
    [
      'io.debezium.connector.postgresql.LogicalDecodingMessageMonitor$LogicalDecodingMessageId@0',
      'LOGICAL_DECODING_MESSAGE',
    ],
    ['LOGICAL_DECODING_MESSAGE', 'LOGICAL_DECODING_MESSAGE'],
    ['s1.items', 's1.items'],
    ['public.LogicalDecodingMessageId@1', 'public.LogicalDecodingMessageId@1'],
  ])('maps %s to %s', (name, expected) => {
    expect(normalizeDataCollection(name)).toBe(expected);
  });
});

describe('malformed transaction records', () => {
  const end = findRecord('schemas-disabled', 't1.transaction', 0, '1');
  test.each<[string, KafkaRecord, MalformedRecord['reason']]>([
    ['an unknown status', withValue(end, (v) => v.replace('"END"', '"COMMIT"')), 'unknown-status'],
    [
      'an END without counts',
      withValue(end, (v) => v.replace('"event_count":5', '"event_count":null')),
      'missing-value',
    ],
    [
      'an id without lsn',
      withValue(end, (v) => v.replace('"id":"727:22193328"', '"id":"727"')),
      'invalid-transaction-id',
    ],
    ['a null value', { ...end, value: null }, 'missing-value'],
    ['garbage', { ...end, value: Buffer.from('\u0000\u0001') }, 'invalid-json'],
  ])('returns %s as a MalformedRecord', (_name, record, reason) => {
    const result = new CdcDecoder().decodeTransaction(record);
    expect(isMalformed(result) ? result.reason : result.kind).toBe(reason);
    expect(isMalformed(result) && result.position).toEqual({
      topic: 't1.transaction',
      partition: 0,
      offset: 1n,
    });
  });
});
