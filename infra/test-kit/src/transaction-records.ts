// Records of Debezium's transaction topic (`provide.transaction.metadata`): BEGIN and END with the
// event counts, keyed and shaped as the connector template's JsonConverter writes them. For
// benchmarks and tests that feed the transaction reader without a connector.
import type { Message } from 'kafkajs';

const TX_SCHEMA = JSON.stringify({
  type: 'struct',
  fields: [
    { type: 'string', optional: false, field: 'status' },
    { type: 'string', optional: false, field: 'id' },
    { type: 'int64', optional: true, field: 'event_count' },
    {
      type: 'array',
      items: {
        type: 'struct',
        fields: [
          { type: 'string', optional: false, field: 'data_collection' },
          { type: 'int64', optional: false, field: 'event_count' },
        ],
        optional: true,
      },
      optional: true,
      field: 'data_collections',
    },
    { type: 'int64', optional: false, field: 'ts_ms' },
  ],
  optional: false,
});

/** One transaction as its BEGIN and END records describe it. */
export interface TransactionMarkers {
  readonly xid: number;
  /** LSN of the BEGIN record (Debezium: its first event's) and of the END record (the commit). */
  readonly beginLsn: number;
  readonly endLsn: number;
  readonly commitMs: number;
  /** Events per data collection (`schema.table`), as END lists them. */
  readonly counts: Readonly<Record<string, number>>;
}

/** A BEGIN or END record: Debezium's id is `<xid>:<lsn>`, the LSN differing between the two. */
export function transactionRecord(status: 'BEGIN' | 'END', tx: TransactionMarkers): Message {
  const lsn = status === 'BEGIN' ? tx.beginLsn : tx.endLsn;
  const collections = Object.entries(tx.counts);
  const total = collections.reduce((n, [, count]) => n + count, 0);
  const payload = {
    status,
    id: `${tx.xid}:${lsn}`,
    event_count: status === 'END' ? total : null,
    data_collections:
      status === 'END'
        ? collections.map(([data_collection, event_count]) => ({ data_collection, event_count }))
        : null,
    ts_ms: tx.commitMs,
  };
  return {
    key: `{"id":"${tx.xid}:${lsn}"}`,
    value: `{"schema":${TX_SCHEMA},"payload":${JSON.stringify(payload)}}`,
    partition: 0,
  };
}

/**
 * Consecutive transactions of `eventsPerTransaction` events in one collection, with growing xids
 * and LSNs (100 apart per event, as the generator of change records spaces them), each as its
 * BEGIN and END records in topic order.
 */
export class TransactionTopicFeed {
  private xid: number;
  private lsn: number;
  /** Transactions made so far. */
  made = 0;

  constructor(
    readonly collection: string,
    readonly eventsPerTransaction = 1,
    start: { readonly xid?: number; readonly lsn?: number } = {},
  ) {
    this.xid = start.xid ?? 1000;
    this.lsn = start.lsn ?? 1_000_000;
  }

  /** The next `n` transactions' records: BEGIN, END, BEGIN, END, ... */
  next(n: number, commitMs: number): Message[] {
    const out: Message[] = [];
    for (let i = 0; i < n; i++) {
      const beginLsn = this.lsn + 100;
      this.lsn += 100 * (this.eventsPerTransaction + 1);
      const tx: TransactionMarkers = {
        xid: this.xid++,
        beginLsn,
        endLsn: this.lsn,
        commitMs,
        counts: { [this.collection]: this.eventsPerTransaction },
      };
      out.push(transactionRecord('BEGIN', tx), transactionRecord('END', tx));
    }
    this.made += n;
    return out;
  }
}
