// The record edge: bytes in, typed values or a MalformedRecord out. Owns the schema caches; holds
// no I/O. Nothing thrown while decoding a record escapes (a bug surfaces as 'internal-error').
import {
  decodeChangePayload,
  toChangeSchema,
  unwrapEnvelope,
  type ChangeRecord,
  type ChangeSchema,
} from './change';
import { SchemaCache, type ConnectSchema } from './connect-schema';
import { JsonSyntaxError, parseJson, type JsonObject, type JsonValue } from '@syncline/lossless-json';
import { isMalformed, MalformedRecord, RecordShapeError, type SalvagedTransaction } from './malformed';
import { bytesToText, type KafkaRecord, type RecordPosition } from './record';
import { isObject } from './shape';
import { readTransactionBlock } from './source';
import { toastPlaceholders, type ToastPlaceholders } from './toast';
import { decodeTransactionPayload, type TransactionRecord } from './transaction';

export interface CdcDecoderOptions {
  /** The connector's `unavailable.value.placeholder`; default `__debezium_unavailable_value`. */
  readonly unavailableValuePlaceholder?: string;
  /** Distinct schema texts kept per cache (change values, transaction values). Default 512. */
  readonly schemaCacheSize?: number;
}

export interface CdcDecoderStats {
  readonly schemaCacheHits: number;
  readonly schemaCacheMisses: number;
  readonly schemaCacheSize: number;
}

/**
 * What the evaluator needs of a decoder: JSON (CdcDecoder, always synchronous) or Avro
 * (AvroCdcDecoder, a promise while it fetches a writer schema it has not seen).
 */
export interface ChangeDecoder {
  decodeChange(record: KafkaRecord): ChangeRecord | MalformedRecord | Promise<ChangeRecord | MalformedRecord>;
  decodeTransaction(
    record: KafkaRecord,
  ): TransactionRecord | MalformedRecord | Promise<TransactionRecord | MalformedRecord>;
}

export class CdcDecoder implements ChangeDecoder {
  private readonly changeSchemas: SchemaCache<ChangeSchema>;
  private readonly transactionSchemas: SchemaCache<ConnectSchema>;
  private readonly placeholders: ToastPlaceholders;

  constructor(options: CdcDecoderOptions = {}) {
    this.placeholders = toastPlaceholders(options.unavailableValuePlaceholder);
    this.changeSchemas = new SchemaCache(toChangeSchema, options.schemaCacheSize);
    this.transactionSchemas = new SchemaCache((schema) => schema, options.schemaCacheSize);
  }

  get stats(): CdcDecoderStats {
    const caches = [this.changeSchemas, this.transactionSchemas];
    return {
      schemaCacheHits: caches.reduce((n, c) => n + c.hits, 0),
      schemaCacheMisses: caches.reduce((n, c) => n + c.misses, 0),
      schemaCacheSize: caches.reduce((n, c) => n + c.size, 0),
    };
  }

  /** Decodes a record of a table change topic or of the logical-message topic. */
  decodeChange(record: KafkaRecord): ChangeRecord | MalformedRecord {
    const decoded = this.decodeChangeRecord(record);
    if (isMalformed(decoded)) decoded.transaction = salvageTransaction(record);
    return decoded;
  }

  private decodeChangeRecord(record: KafkaRecord): ChangeRecord | MalformedRecord {
    return guarded(record, (position) => {
      const key = decodeKey(record);
      if (record.value === null) {
        if (key === null) throw new RecordShapeError('inconsistent-record', 'both key and value are null');
        return { kind: 'tombstone', position, key };
      }
      const value = record.value;
      const fast = isBuffer(value) ? this.changeSchemas.splitBytes(value) : undefined;
      const { schema, payload } =
        fast === undefined
          ? this.changeSchemas.split(text(value, 'value'))
          : {
              schema: fast.schema,
              payload: parseJson(text((value as Buffer).subarray(fast.start, fast.end), 'value')),
            };
      return decodeChangePayload(payload, { position, record, key, schema, placeholders: this.placeholders });
    });
  }

  /** Decodes a record of the transaction topic (BEGIN / END). */
  decodeTransaction(record: KafkaRecord): TransactionRecord | MalformedRecord {
    return guarded(record, (position) => {
      if (record.value === null)
        throw new RecordShapeError('missing-value', 'value: transaction records are never null');
      const value = record.value;
      const fast = isBuffer(value) ? this.transactionSchemas.splitBytes(value) : undefined;
      const payload =
        fast === undefined
          ? this.transactionSchemas.split(text(value, 'value')).payload
          : parseJson(text((value as Buffer).subarray(fast.start, fast.end), 'value'));
      return decodeTransactionPayload(payload, position);
    });
  }
}

/**
 * Best effort: the transaction block (and source LSN) of a change record the decoder rejected,
 * read from its JSON without validating anything else. Null when there is none or it is unreadable.
 */
export function salvageTransaction(record: KafkaRecord): SalvagedTransaction | null {
  try {
    if (record.value === null) return null;
    return salvageFromPayload(unwrapEnvelope(parseJson(bytesToText(record.value))));
  } catch {
    return null;
  }
}

/** salvageTransaction on an already parsed payload (the Avro decoder's). */
export function salvageFromPayload(payload: JsonValue): SalvagedTransaction | null {
  try {
    if (!isObject(payload)) return null;
    const block = readTransactionBlock(payload.transaction);
    if (block === null) return null;
    const source = payload.source;
    const lsn =
      isObject(source) && (typeof source.lsn === 'number' || typeof source.lsn === 'bigint')
        ? BigInt(source.lsn)
        : block.lsn;
    return { xid: block.xid, lsn, totalOrder: block.totalOrder };
  } catch {
    return null;
  }
}

function isBuffer(value: Uint8Array | string): value is Buffer {
  return Buffer.isBuffer(value);
}

/** Runs a record's decoding; any error becomes a MalformedRecord at the record's position. */
export function guarded<T>(
  record: KafkaRecord,
  decode: (position: RecordPosition) => T,
): T | MalformedRecord {
  const position = positionOf(record);
  try {
    if (position.offset < 0n)
      throw new RecordShapeError('wrong-type', `offset: not a Kafka offset: ${String(record.offset)}`);
    return decode(position);
  } catch (error) {
    if (error instanceof RecordShapeError) return new MalformedRecord(error.reason, error.detail, position);
    if (error instanceof JsonSyntaxError)
      return new MalformedRecord('invalid-json', error.message, position, { cause: error });
    const detail = error instanceof Error ? error.message : String(error);
    return new MalformedRecord('internal-error', detail, position, { cause: error });
  }
}

function positionOf(record: KafkaRecord): RecordPosition {
  let offset = -1n;
  try {
    offset = BigInt(record.offset);
  } catch {
    // reported by guarded() as a wrong-type offset
  }
  return { topic: record.topic, partition: record.partition, offset };
}

function text(bytes: Uint8Array | string, what: string): string {
  try {
    return bytesToText(bytes);
  } catch {
    throw new RecordShapeError('invalid-utf8', `${what}: not valid UTF-8`);
  }
}

/** Keys use schemas.enable=false; a wrapped key is unwrapped all the same. */
function decodeKey(record: KafkaRecord): JsonObject | null {
  if (record.key === null) return null;
  const parsed = unwrapEnvelope(parseJson(text(record.key, 'key')));
  if (parsed === null) return null;
  if (!isObject(parsed)) throw new RecordShapeError('wrong-type', 'key: expected a JSON object or null');
  return parsed;
}
