// Change-topic records (`<prefix>.<schema>.<table>` and `<prefix>.message`) decoded into a
// discriminated union: one variant per Debezium op code, plus the tombstone that follows a delete.
import type { ConnectField, ConnectSchema } from './connect-schema';
import { fieldSchema } from './connect-schema';
import { ownString, parseJson, type JsonObject, type JsonValue } from '@syncline/lossless-json';
import { RecordShapeError } from './malformed';
import { headerText, type KafkaRecord, type RecordPosition } from './record';
import { isObject, readObject, readObjectOrNull, readString } from './shape';
import {
  readProcessingTime,
  readSourceInfo,
  readTransactionBlock,
  type ProcessingTime,
  type SourceInfo,
  type TransactionBlock,
} from './source';
import { unavailableColumns, type ToastPlaceholders } from './toast';

/** Header on the `d` of a primary-key change: the row's new key. */
export const NEW_KEY_HEADER = '__debezium.newkey';
/** Header on the `c` of a primary-key change: the row's old key. */
export const OLD_KEY_HEADER = '__debezium.oldkey';

/** The Connect schema of a table's row (the envelope's `before`/`after` struct). */
export interface RowSchema {
  readonly name: string | null;
  readonly columns: readonly ConnectField[];
  readonly columnsByName: ReadonlyMap<string, ConnectSchema>;
}

/** What the schema cache keeps per distinct envelope schema text. */
export interface ChangeSchema {
  readonly envelope: ConnectSchema;
  readonly row: RowSchema | null;
}

export function toChangeSchema(envelope: ConnectSchema): ChangeSchema {
  const struct = fieldSchema(envelope, 'after') ?? fieldSchema(envelope, 'before');
  const columns = struct?.fields ?? null;
  const row =
    struct === null || columns === null
      ? null
      : { name: struct.name, columns, columnsByName: new Map(columns.map((c) => [c.field, c.schema])) };
  return { envelope, row };
}

/** A row image with the columns that hold the TOAST placeholder instead of a value. */
export interface RowImage {
  readonly values: JsonObject;
  /** Unchanged TOAST columns: fill them from the stored row, never sync the placeholder. */
  readonly unavailableColumns: readonly string[];
}

/** A `pg_logical_emit_message` payload. `content` is as the connector encoded it (base64 by default). */
export interface LogicalMessage {
  readonly prefix: string;
  readonly content: string | null;
}

interface EventBase {
  readonly position: RecordPosition;
  /** The record key: the primary-key columns, `{prefix}` for messages, null for truncates. */
  readonly key: JsonObject | null;
  readonly source: SourceInfo;
  /** Null for snapshot reads and non-transactional messages. */
  readonly transaction: TransactionBlock | null;
  readonly processedAt: ProcessingTime;
  /** Null when the connector runs with value schemas disabled. */
  readonly rowSchema: RowSchema | null;
}

export interface CreateEvent extends EventBase {
  readonly kind: 'create';
  readonly after: RowImage;
  /** Set when this create is the second half of a primary-key change. */
  readonly oldKey: JsonObject | null;
}
export interface UpdateEvent extends EventBase {
  readonly kind: 'update';
  /** Null unless the table has REPLICA IDENTITY FULL (or the key changed). */
  readonly before: RowImage | null;
  readonly after: RowImage;
}
export interface DeleteEvent extends EventBase {
  readonly kind: 'delete';
  /** Under REPLICA IDENTITY DEFAULT only the key columns are set; the others are null. */
  readonly before: RowImage | null;
  /** Set when this delete is the first half of a primary-key change. */
  readonly newKey: JsonObject | null;
}
export interface ReadEvent extends EventBase {
  readonly kind: 'read';
  readonly after: RowImage;
}
export interface TruncateEvent extends EventBase {
  readonly kind: 'truncate';
}
export interface MessageEvent extends EventBase {
  readonly kind: 'message';
  readonly message: LogicalMessage;
}

export type ChangeEvent = CreateEvent | UpdateEvent | DeleteEvent | ReadEvent | TruncateEvent | MessageEvent;

/** The null-valued record Debezium writes after a delete so that compaction can drop the key. */
export interface Tombstone {
  readonly kind: 'tombstone';
  readonly position: RecordPosition;
  readonly key: JsonObject;
}

export type ChangeRecord = ChangeEvent | Tombstone;

/** Debezium's op code for each event kind (a new kind breaks the build until listed). */
export const OP_CODES: Readonly<Record<ChangeEvent['kind'], string>> = {
  create: 'c',
  update: 'u',
  delete: 'd',
  read: 'r',
  truncate: 't',
  message: 'm',
};

const KIND_OF_OP: ReadonlyMap<string, ChangeEvent['kind']> = new Map(
  Object.entries(OP_CODES).map(([kind, op]) => [op, kind as ChangeEvent['kind']]),
);

/** Inputs that decodeChangePayload needs besides the record: parsed once by the decoder. */
export interface ChangeContext {
  readonly position: RecordPosition;
  readonly record: KafkaRecord;
  readonly key: JsonObject | null;
  readonly schema: ChangeSchema | null;
  readonly placeholders: ToastPlaceholders;
}

/** Builds the typed event from an envelope payload; throws RecordShapeError on a bad shape. */
export function decodeChangePayload(payload: JsonValue, ctx: ChangeContext): ChangeEvent {
  const node = readObject(payload, 'payload');
  const op = readString(node.op, 'payload.op');
  const kind = KIND_OF_OP.get(op);
  if (kind === undefined)
    throw new RecordShapeError('unknown-op', `payload.op: unknown op code ${JSON.stringify(op)}`);
  // Object literals per variant rather than spreads: this runs for every record.
  const position = ctx.position;
  const key = ctx.key;
  const rowSchema = ctx.schema?.row ?? null;
  const source = readSourceInfo(node.source, 'payload.source');
  const transaction = readTransactionBlock(node.transaction, 'payload.transaction');
  const processedAt = readProcessingTime(node);
  switch (kind) {
    case 'create': {
      mustBeNull(node, 'before', op);
      const after = requiredImage(node, 'after', op, rowSchema, ctx.placeholders);
      const oldKey = keyHeader(ctx.record, OLD_KEY_HEADER);
      return { kind, position, key, source, transaction, processedAt, rowSchema, after, oldKey };
    }
    case 'update': {
      const before = rowImage(node, 'before', rowSchema, ctx.placeholders);
      const after = requiredImage(node, 'after', op, rowSchema, ctx.placeholders);
      return { kind, position, key, source, transaction, processedAt, rowSchema, before, after };
    }
    case 'delete': {
      mustBeNull(node, 'after', op);
      const before = rowImage(node, 'before', rowSchema, ctx.placeholders);
      const newKey = keyHeader(ctx.record, NEW_KEY_HEADER);
      return { kind, position, key, source, transaction, processedAt, rowSchema, before, newKey };
    }
    case 'read': {
      const after = requiredImage(node, 'after', op, rowSchema, ctx.placeholders);
      return { kind, position, key, source, transaction, processedAt, rowSchema, after };
    }
    case 'truncate':
      mustBeNull(node, 'before', op);
      mustBeNull(node, 'after', op);
      return { kind, position, key, source, transaction, processedAt, rowSchema };
    case 'message': {
      const message = readMessage(node.message);
      return { kind, position, key, source, transaction, processedAt, rowSchema, message };
    }
  }
}

type ImageField = 'before' | 'after';

function rowImage(
  node: JsonObject,
  field: ImageField,
  rowSchema: RowSchema | null,
  placeholders: ToastPlaceholders,
): RowImage | null {
  const values = readObjectOrNull(node[field] ?? null, `payload.${field}`);
  if (values === null) return null;
  return {
    values,
    unavailableColumns: unavailableColumns(values, placeholders, rowSchema?.columnsByName ?? null),
  };
}

function requiredImage(
  node: JsonObject,
  field: ImageField,
  op: string,
  rowSchema: RowSchema | null,
  placeholders: ToastPlaceholders,
): RowImage {
  const image = rowImage(node, field, rowSchema, placeholders);
  if (image === null)
    throw new RecordShapeError('inconsistent-record', `payload.${field}: must be set for op ${op}`);
  return image;
}

function mustBeNull(node: JsonObject, field: ImageField, op: string): void {
  if (node[field] !== null && node[field] !== undefined) {
    throw new RecordShapeError('inconsistent-record', `payload.${field}: must be null for op ${op}`);
  }
}

function readMessage(value: JsonValue | undefined): LogicalMessage {
  const node = readObject(value, 'payload.message');
  const content = node.content;
  if (content !== null && content !== undefined && typeof content !== 'string') {
    throw new RecordShapeError('wrong-type', 'payload.message.content: expected a string');
  }
  return { prefix: readString(node.prefix, 'payload.message.prefix'), content: content ?? null };
}

/**
 * Reads a key header. SimpleHeaderConverter (Connect's default) writes a key struct as
 * `{"id":3}`; JsonConverter as a header converter wraps it in `{"schema":..,"payload":..}`.
 */
function keyHeader(record: KafkaRecord, name: string): JsonObject | null {
  let text: string | undefined;
  try {
    text = headerText(record, name);
  } catch {
    throw new RecordShapeError('invalid-header', `header ${name}: not valid UTF-8`);
  }
  if (text === undefined) return null;
  let value: JsonValue;
  try {
    value = unwrapEnvelope(parseJson(text));
  } catch {
    throw new RecordShapeError('invalid-header', `header ${name}: not a JSON key: ${text.slice(0, 80)}`);
  }
  if (!isObject(value))
    throw new RecordShapeError('invalid-header', `header ${name}: expected an object key`);
  return value;
}

/** Drops a `{"schema":..,"payload":..}` wrapper from a small value such as a key. */
export function unwrapEnvelope(value: JsonValue): JsonValue {
  if (isObject(value) && 'payload' in value && 'schema' in value && Object.keys(value).length === 2) {
    return value.payload as JsonValue;
  }
  return value;
}

/** Collection name as END records count it: `schema.table`, or the logical-message pseudo collection. */
export const LOGICAL_DECODING_MESSAGE = 'LOGICAL_DECODING_MESSAGE';

export function dataCollectionOf(event: ChangeEvent): string {
  if (event.kind === 'message') return LOGICAL_DECODING_MESSAGE;
  // A string of its own (`ownString`): the name goes into the keys of the evaluator's row caches,
  // and a schema or table name of 13 characters or more is otherwise a view of the record's text,
  // which every cached key would keep alive.
  return ownString(`${event.source.schema}.${event.source.table}`);
}
