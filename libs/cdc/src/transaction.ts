// Transaction-topic records (`<prefix>.transaction`, provide.transaction.metadata=true): BEGIN and
// END, with END's per-collection event counts normalised to stable collection names.
import type { JsonValue } from '@syncline/lossless-json';
import { LOGICAL_DECODING_MESSAGE } from './change';
import { RecordShapeError } from './malformed';
import type { RecordPosition } from './record';
import { readArray, readObject, readSafeInteger, readString } from './shape';
import { parseTransactionId, type TransactionId } from './source';

export interface TransactionBegin extends TransactionId {
  readonly kind: 'begin';
  readonly position: RecordPosition;
  readonly tsMs: number;
}

export interface DataCollectionCount {
  /** `schema.table`, or LOGICAL_DECODING_MESSAGE for transactional logical messages. */
  readonly dataCollection: string;
  readonly eventCount: number;
}

export interface TransactionEnd extends TransactionId {
  readonly kind: 'end';
  readonly position: RecordPosition;
  readonly tsMs: number;
  readonly eventCount: number;
  readonly dataCollections: readonly DataCollectionCount[];
}

export type TransactionRecord = TransactionBegin | TransactionEnd;

// Debezium 3.6.1 counts transactional logical messages under the toString of a
// LogicalDecodingMessageId object (class name + identity hash), not under the documented
// "LOGICAL_DECODING_MESSAGE". The hash differs per object, so match the class name only.
const MESSAGE_COLLECTION_OBJECT =
  /^io\.debezium\.connector\.postgresql\.LogicalDecodingMessageMonitor\$LogicalDecodingMessageId@[0-9a-f]+$/;

/** Maps the collection names END records use onto stable names. */
export function normalizeDataCollection(name: string): string {
  return MESSAGE_COLLECTION_OBJECT.test(name) ? LOGICAL_DECODING_MESSAGE : name;
}

export function decodeTransactionPayload(payload: JsonValue, position: RecordPosition): TransactionRecord {
  const node = readObject(payload, 'payload');
  const status = readString(node.status, 'payload.status');
  const id = parseTransactionId(readString(node.id, 'payload.id'), 'payload.id');
  const tsMs = readSafeInteger(node.ts_ms, 'payload.ts_ms');
  if (status === 'BEGIN') return { kind: 'begin', position, ...id, tsMs };
  if (status !== 'END')
    throw new RecordShapeError('unknown-status', `payload.status: unknown status ${JSON.stringify(status)}`);
  const eventCount = readSafeInteger(node.event_count, 'payload.event_count');
  const counts = new Map<string, number>();
  readArray(node.data_collections, 'payload.data_collections').forEach((entry, i) => {
    const path = `payload.data_collections[${i}]`;
    const item = readObject(entry, path);
    const name = normalizeDataCollection(readString(item.data_collection, `${path}.data_collection`));
    // Several message-id objects in one transaction would normalise to one name: add them up.
    counts.set(name, (counts.get(name) ?? 0) + readSafeInteger(item.event_count, `${path}.event_count`));
  });
  const dataCollections = [...counts].map(([dataCollection, n]) => ({ dataCollection, eventCount: n }));
  return { kind: 'end', position, ...id, tsMs, eventCount, dataCollections };
}
