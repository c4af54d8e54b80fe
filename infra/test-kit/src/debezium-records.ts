// Synthetic Debezium-format records for benchmarks and tests that must control what Debezium
// would write (e.g. an END that counts a record the decoder rejects): change events of a 3-column
// `s.accounts` table (JsonConverter envelope with its schema, transaction block) and the
// transaction topic's BEGIN/END records, shaped like the connector template's output.
import type { KafkaMessage, Message } from 'kafkajs';

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

export class DebeziumRecordGenerator {
  private xid = 1000;
  private lsn = 1_000_000;
  readonly schema: string;
  readonly balances = new Array<number>(ACCOUNTS + 1).fill(1000);
  constructor(readonly prefix: string) {
    this.schema = envelopeSchema(prefix);
  }
  get dataTopic(): string {
    return `${this.prefix}.s.accounts`;
  }
  get txTopic(): string {
    return `${this.prefix}.transaction`;
  }
  /** One transaction: BEGIN, `rows` data events, END. */
  transaction(ids: number[], op: 'c' | 'u', commitMs: number): { data: Message[]; tx: Message[] } {
    const xid = this.xid++;
    const begin = this.lsn;
    const data = ids.map((id, i) => {
      const lsn = (this.lsn += 100);
      if (op === 'u') this.balances[id]! += i % 2 === 0 ? -1 : 1;
      const after = { id, balance: this.balances[id], branch: `b${id % 20}` };
      const payload = {
        before: null,
        after,
        source: {
          version: '3.6.1.Final',
          connector: 'postgresql',
          name: this.prefix,
          ts_ms: commitMs,
          snapshot: null,
          db: 'bench',
          sequence: `[null,"${lsn}"]`,
          ts_us: null,
          ts_ns: null,
          schema: 's',
          table: 'accounts',
          txId: xid,
          lsn,
          xmin: null,
          origin: null,
          origin_lsn: null,
        },
        transaction: { id: `${xid}:${lsn}`, total_order: i + 1, data_collection_order: i + 1 },
        op,
        ts_ms: commitMs,
      };
      return { key: `{"id":${id}}`, value: `{"schema":${this.schema},"payload":${JSON.stringify(payload)}}` };
    });
    const end = (this.lsn += 100);
    const record = (status: string, lsn: number, count: number | null) => ({
      key: `{"id":"${xid}:${lsn}"}`,
      value: `{"schema":${TX_SCHEMA},"payload":${JSON.stringify({
        status,
        id: `${xid}:${lsn}`,
        event_count: count,
        data_collections: count === null ? null : [{ data_collection: 's.accounts', event_count: count }],
        ts_ms: commitMs,
      })}}`,
      partition: 0,
    });
    return { data, tx: [record('BEGIN', begin, null), record('END', end, ids.length)] };
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
