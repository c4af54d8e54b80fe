// The synthetic transaction-topic records the capacity benchmark feeds the leader
// (bench/coordinator-capacity.ts, docs/capacity.md) are read by the real reader as Debezium's are:
// every END becomes a tracked transaction with its counts, in offset order, none malformed.
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { TransactionTopicFeed } from '@syncline/test-kit';
import { TransactionReader } from '../src/transaction-reader';

function reader(malformed: string[]): TransactionReader {
  return new TransactionReader({
    kafka: new Kafka({ clientId: 'unused', brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING }),
    topic: 'feed.transaction',
    groupId: 'unused',
    logger: pino({ level: 'silent' }),
    onMalformed: async (record) => {
      malformed.push(record.reason);
    },
    onFatal: (error) => {
      throw error;
    },
  });
}

const consumed = (feed: TransactionTopicFeed, n: number, from: number) =>
  feed.next(n, 1_700_000_000_000).map((m, i) => ({
    offset: String(from + i),
    key: Buffer.from(m.key as string),
    value: Buffer.from(m.value as string),
  }));

describe('TransactionTopicFeed through the transaction reader', () => {
  it('tracks every END at its offset with the counts it carries, nothing malformed', async () => {
    const malformed: string[] = [];
    const tx = reader(malformed);
    const feed = new TransactionTopicFeed('s.accounts', 3);
    await tx.ingest(consumed(feed, 5, 0));
    await tx.ingest(consumed(feed, 5, 10));
    expect(malformed).toEqual([]);
    const ended = tx.tracker.endsAfter(-1n, 100);
    expect(ended.map((t) => t.endOffset)).toEqual([1n, 3n, 5n, 7n, 9n, 11n, 13n, 15n, 17n, 19n]);
    expect(ended.map((t) => t.xid)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(1000 + i)));
    for (const t of ended) {
      expect(Object.fromEntries(t.counts!)).toEqual({ 's.accounts': 3 });
      expect(t.commitTimeMs).toBe(1_700_000_000_000);
    }
    expect(tx.tracker.position).toBe(20n);
    expect(tx.tracker.redeliveries).toBe(0);
  });

  it('matches an event inside a transaction to its END by the BEGIN..END LSN window', async () => {
    const tx = reader([]);
    await tx.ingest(consumed(new TransactionTopicFeed('s.accounts', 2, { xid: 7, lsn: 0 }), 1, 0));
    // BEGIN at LSN 100 (the first event's), events at 100 and 200, END at 300.
    const found = tx.tracker.lookup(7n, 200n);
    expect(found.status).toBe('ended');
    if (found.status === 'ended') expect(found.transaction.endOffset).toBe(1n);
  });
});
