// Synthetic Debezium-format records for benchmarks and tests that must control what Debezium
// would write (e.g. an END that counts a record the decoder rejects): change events of a 3-column
// `s.accounts` table (JsonConverter envelope with its schema, transaction block) and the
// transaction topic's BEGIN/END records, shaped like the connector template's output.
import type { KafkaMessage, Message } from 'kafkajs';
import { transactionRecord } from './transaction-records';

export const ACCOUNTS = 10_000;

const ROW = [
  { type: 'int32', optional: false, field: 'id' },
  { type: 'int64', optional: false, field: 'balance' },
  { type: 'string', optional: true, field: 'branch' },
];
const SOURCE_FIELDS = [
  ['string', 'version', false],
  ['string', 'connector', false],
  ['string', 'name', false],
  ['int64', 'ts_ms', false],
  ['string', 'snapshot', true],
  ['string', 'db', false],
  ['string', 'sequence', true],
  ['int64', 'ts_us', true],
  ['int64', 'ts_ns', true],
  ['string', 'schema', false],
  ['string', 'table', false],
  ['int64', 'txId', true],
  ['int64', 'lsn', true],
  ['int64', 'xmin', true],
  ['string', 'origin', true],
  ['int64', 'origin_lsn', true],
].map(([type, field, optional]) => ({ type, field, optional }));

function envelopeSchema(prefix: string): string {
  const value = { type: 'struct', fields: ROW, optional: true, name: `${prefix}.s.accounts.Value` };
  return JSON.stringify({
    type: 'struct',
    fields: [
      { ...value, field: 'before' },
      { ...value, field: 'after' },
      {
        type: 'struct',
        fields: SOURCE_FIELDS,
        optional: false,
        name: 'io.debezium.connector.postgresql.Source',
        field: 'source',
      },
      {
        type: 'struct',
        fields: [
          { type: 'string', optional: false, field: 'id' },
          { type: 'int64', optional: false, field: 'total_order' },
          { type: 'int64', optional: false, field: 'data_collection_order' },
        ],
        optional: true,
        name: 'event.block',
        field: 'transaction',
      },
      { type: 'string', optional: false, field: 'op' },
      { type: 'int64', optional: true, field: 'ts_ms' },
    ],
    optional: false,
    name: `${prefix}.s.accounts.Envelope`,
  });
}
export class DebeziumRecordGenerator {
  private xid = 1000;
  private lsn = 1_000_000;
  readonly schema: string;
  readonly balances = new Array<number>(ACCOUNTS + 1).fill(1000);
  /** `start`: the first xid and LSN, to continue after another generator's transactions. */
  constructor(
    readonly prefix: string,
    start: { readonly xid?: number; readonly lsn?: number } = {},
  ) {
    this.schema = envelopeSchema(prefix);
    this.xid = start.xid ?? this.xid;
    this.lsn = start.lsn ?? this.lsn;
  }
  get dataTopic(): string {
    return `${this.prefix}.s.accounts`;
  }
  get txTopic(): string {
    return `${this.prefix}.transaction`;
  }
  /**
   * A row read by a snapshot (no transaction block): the initial one (`true`, read at `lsn`), an
   * incremental one (`incremental`, no lsn, `source.sequence` the close watermark's LSN) or a
   * blocking one (`true`, read at `lsn` while streaming: `source.sequence` names that commit, as
   * Debezium 3.6.1 sends it).
   */
  read(id: number, snapshot: 'true' | 'incremental' | 'blocking', lsn: number, readMs: number): Message {
    const incremental = snapshot === 'incremental';
    const payload = {
      before: null,
      after: { id, balance: this.balances[id], branch: `b${id % 20}` },
      source: {
        ...this.source(readMs, null, incremental ? null : lsn),
        snapshot: snapshot === 'blocking' ? 'true' : snapshot,
        sequence: snapshot === 'true' ? null : `["${lsn}","${lsn}"]`,
      },
      transaction: null,
      op: 'r',
      ts_ms: readMs,
    };
    return { key: `{"id":${id}}`, value: `{"schema":${this.schema},"payload":${JSON.stringify(payload)}}` };
  }

  /** One transaction: BEGIN, `rows` data events, END. BEGIN's LSN is its first event's, as Debezium's. */
  transaction(
    ids: number[],
    op: 'c' | 'u',
    commitMs: number,
  ): { data: Message[]; tx: Message[]; beginLsn: number } {
    const xid = this.xid++;
    const begin = this.lsn + 100;
    const data = ids.map((id, i) => {
      const lsn = (this.lsn += 100);
      if (op === 'u') this.balances[id]! += i % 2 === 0 ? -1 : 1;
      // Rows past ACCOUNTS (inserts of new rows) start at the same balance as the others.
      const after = { id, balance: this.balances[id] ?? 1000, branch: `b${id % 20}` };
      const payload = {
        before: null,
        after,
        source: { ...this.source(commitMs, xid, lsn), sequence: `[null,"${lsn}"]` },
        transaction: { id: `${xid}:${lsn}`, total_order: i + 1, data_collection_order: i + 1 },
        op,
        ts_ms: commitMs,
      };
      return { key: `{"id":${id}}`, value: `{"schema":${this.schema},"payload":${JSON.stringify(payload)}}` };
    });
    const end = (this.lsn += 100);
    const markers = { xid, beginLsn: begin, endLsn: end, commitMs, counts: { 's.accounts': ids.length } };
    return {
      data,
      tx: [transactionRecord('BEGIN', markers), transactionRecord('END', markers)],
      beginLsn: begin,
    };
  }

  private source(tsMs: number, xid: number | null, lsn: number | null) {
    return {
      version: '3.6.1.Final',
      connector: 'postgresql',
      name: this.prefix,
      ts_ms: tsMs,
      snapshot: null as string | null,
      db: 'bench',
      sequence: null as string | null,
      ts_us: null,
      ts_ns: null,
      schema: 's',
      table: 'accounts',
      txId: xid,
      lsn,
      xmin: null,
      origin: null,
      origin_lsn: null,
    };
  }
}

/** A record as a kafkajs consumer hands it over (what ChangeProcessor.processBatch takes). */
export function consumedMessage(
  key: string,
  value: string,
  offset: number,
  timestampMs: number,
): KafkaMessage {
  return {
    key: Buffer.from(key),
    value: Buffer.from(value),
    offset: String(offset),
    timestamp: String(timestampMs),
    attributes: 0,
    headers: {},
  };
}
