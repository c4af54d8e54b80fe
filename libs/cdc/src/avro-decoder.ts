// The record edge for Avro change events (SYNCLINE_CHANGE_FORMAT=avro): Apicurio's framing, writer
// schemas by global id (fetched through an injected function, cached), then the same payload
// decoders as the JSON edge, so a decoded event is identical to the JSON decoder's for the same row.
import type avro from 'avsc';
import type { JsonObject, JsonValue } from '@syncline/lossless-json';
import { avroTypeOf, connectSchemaOfAvro, toJsonValue } from './avro-schema';
import { decodeChangePayload, toChangeSchema, type ChangeRecord, type ChangeSchema } from './change';
import { guarded, salvageFromPayload, type ChangeDecoder } from './decoder';
import { isMalformed, RecordShapeError, type MalformedRecord } from './malformed';
import type { KafkaRecord } from './record';
import { isObject } from './shape';
import { toastPlaceholders, type ToastPlaceholders } from './toast';
import { decodeTransactionPayload, type TransactionRecord } from './transaction';

/**
 * Returns the writer schema (Avro schema JSON text) registered under a global id, null when the
 * registry has none (the record is then malformed); rejects when the registry cannot be asked.
 */
export type FetchWriterSchema = (globalId: bigint) => Promise<string | null>;

export interface AvroCdcDecoderOptions {
  readonly fetchSchema: FetchWriterSchema;
  /** The connector's `unavailable.value.placeholder`; default `__debezium_unavailable_value`. */
  readonly unavailableValuePlaceholder?: string;
}

/** Apicurio 2.x: magic byte 0, then the 8-byte big-endian global id, when ids are not in headers. */
const MAGIC = 0;
const FRAMED_HEADER_BYTES = 9;

interface WriterSchema {
  readonly type: avro.Type;
  readonly change: ChangeSchema;
}

type Side = 'key' | 'value';

interface Framed {
  readonly globalId: bigint;
  readonly body: Buffer;
}

export class AvroCdcDecoder implements ChangeDecoder {
  private readonly schemas = new Map<bigint, WriterSchema>();
  private readonly failed = new Map<bigint, string>();
  private readonly pending = new Map<bigint, Promise<void>>();
  private readonly placeholders: ToastPlaceholders;

  constructor(private readonly options: AvroCdcDecoderOptions) {
    this.placeholders = toastPlaceholders(options.unavailableValuePlaceholder);
  }

  /** Writer schemas held (one per global id seen). */
  get schemaCount(): number {
    return this.schemas.size;
  }

  /** Synchronous once the record's writer schemas are cached; a promise while they are fetched. */
  decodeChange(
    record: KafkaRecord,
  ): ChangeRecord | MalformedRecord | Promise<ChangeRecord | MalformedRecord> {
    return this.withSchemas(record, () => this.decodeChangeNow(record));
  }

  /**
   * A record's value as JSON values, schema-free (for topics without a typed decoder, such as the
   * connector's notifications). A MalformedRecord when it is not Avro this decoder can read.
   */
  decodeValue(record: KafkaRecord): JsonValue | MalformedRecord | Promise<JsonValue | MalformedRecord> {
    return this.withSchemas(record, () =>
      guarded(record, () => (record.value === null ? null : this.read(record, 'value').value)),
    );
  }

  /** Decodes a record of the transaction topic (BEGIN / END). */
  decodeTransaction(
    record: KafkaRecord,
  ): TransactionRecord | MalformedRecord | Promise<TransactionRecord | MalformedRecord> {
    return this.withSchemas(record, () =>
      guarded(record, (position) => {
        if (record.value === null)
          throw new RecordShapeError('missing-value', 'value: transaction records are never null');
        return decodeTransactionPayload(this.read(record, 'value').value, position);
      }),
    );
  }

  private decodeChangeNow(record: KafkaRecord): ChangeRecord | MalformedRecord {
    let payload: JsonValue = null;
    const decoded = guarded(record, (position): ChangeRecord => {
      const key = record.key === null ? null : this.readKey(record);
      if (record.value === null) {
        if (key === null) throw new RecordShapeError('inconsistent-record', 'both key and value are null');
        return { kind: 'tombstone', position, key };
      }
      const { value, schema } = this.read(record, 'value');
      payload = value;
      return decodeChangePayload(value, {
        position,
        record,
        key,
        schema: schema.change,
        placeholders: this.placeholders,
      });
    });
    // Still counted in its END when the Avro decoded but the envelope was rejected (docs/evaluator.md).
    if (isMalformed(decoded)) decoded.transaction = salvageFromPayload(payload);
    return decoded;
  }

  private readKey(record: KafkaRecord): JsonObject | null {
    const { value } = this.read(record, 'key');
    if (value === null) return null;
    if (!isObject(value)) throw new RecordShapeError('wrong-type', 'key: expected a record');
    return value;
  }

  private read(
    record: KafkaRecord,
    side: Side,
  ): { value: ReturnType<typeof toJsonValue>; schema: WriterSchema } {
    const framed = frame(record, side);
    const schema = this.schemas.get(framed.globalId);
    if (schema === undefined) throw this.unknownSchema(framed.globalId, side);
    let decoded: unknown;
    try {
      decoded = schema.type.fromBuffer(framed.body);
    } catch (error) {
      throw new RecordShapeError(
        'invalid-avro',
        `${side}: does not decode with writer schema ${framed.globalId}: ${(error as Error).message}`,
      );
    }
    return { value: toJsonValue(decoded), schema };
  }

  private unknownSchema(globalId: bigint, side: Side): RecordShapeError {
    const why = this.failed.get(globalId) ?? 'not fetched';
    return new RecordShapeError('invalid-avro', `${side}: writer schema ${globalId}: ${why}`);
  }

  /** Runs `decode` now when every global id the record names is cached, else after fetching them. */
  private withSchemas<T>(record: KafkaRecord, decode: () => T): T | Promise<T> {
    const missing: bigint[] = [];
    for (const side of ['key', 'value'] as const) {
      const id = globalIdOrNull(record, side);
      if (id !== null && !this.schemas.has(id) && !this.failed.has(id)) missing.push(id);
    }
    if (missing.length === 0) return decode();
    return Promise.all(missing.map((id) => this.loadOnce(id))).then(decode);
  }

  /** One fetch per id, however many records wait for it. */
  private loadOnce(globalId: bigint): Promise<void> {
    let loading = this.pending.get(globalId);
    if (loading === undefined) {
      loading = this.load(globalId).finally(() => this.pending.delete(globalId));
      this.pending.set(globalId, loading);
    }
    return loading;
  }

  private async load(globalId: bigint): Promise<void> {
    let text: string | null;
    try {
      text = await this.options.fetchSchema(globalId);
    } catch (error) {
      // Not cached: a registry that is down now may answer on the next record.
      throw new AvroSchemaFetchError(globalId, error);
    }
    if (text === null) {
      this.failed.set(globalId, 'the registry has no schema with this global id');
      return;
    }
    try {
      const type = avroTypeOf(text);
      const envelope = connectSchemaOfAvro(text);
      this.schemas.set(globalId, { type, change: toChangeSchema(envelope) });
    } catch (error) {
      this.failed.set(globalId, error instanceof RecordShapeError ? error.detail : String(error));
    }
  }
}

/**
 * The registry did not answer for a writer schema: retriable, unlike a malformed record. kafkajs
 * reads `retriable`: it retries the batch, then restarts the consumer instead of giving it up.
 */
export class AvroSchemaFetchError extends Error {
  override readonly name = 'AvroSchemaFetchError';
  readonly retriable = true;
  constructor(
    readonly globalId: bigint,
    cause: unknown,
  ) {
    super(`fetching Avro writer schema ${globalId} failed: ${(cause as Error)?.message ?? String(cause)}`, {
      cause,
    });
  }
}

function headerBytes(record: KafkaRecord, name: string): Buffer | null {
  const raw = record.headers?.[name];
  if (raw === undefined) return null;
  const last = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (last === undefined) return null;
  return typeof last === 'string' ? Buffer.from(last, 'latin1') : Buffer.from(last as Uint8Array);
}

function bytesOf(record: KafkaRecord, side: Side): Buffer | null {
  const raw = record[side];
  if (raw === null) return null;
  return typeof raw === 'string'
    ? Buffer.from(raw, 'latin1')
    : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
}

function globalIdOrNull(record: KafkaRecord, side: Side): bigint | null {
  try {
    return frame(record, side).globalId;
  } catch {
    return null;
  }
}

/** Where the writer schema id is: the `apicurio.<side>.globalId` header, else the payload's first 9 bytes. */
function frame(record: KafkaRecord, side: Side): Framed {
  const bytes = bytesOf(record, side);
  if (bytes === null) throw new RecordShapeError('missing-value', `${side}: null`);
  const header = headerBytes(record, `apicurio.${side}.globalId`);
  if (header !== null) {
    if (header.length !== 8)
      throw new RecordShapeError('invalid-avro', `${side}: header apicurio.${side}.globalId is not 8 bytes`);
    return { globalId: header.readBigInt64BE(0), body: bytes };
  }
  if (bytes.length < FRAMED_HEADER_BYTES || bytes[0] !== MAGIC)
    throw new RecordShapeError(
      'invalid-avro',
      `${side}: neither an apicurio.${side}.globalId header nor magic byte 0 and an 8-byte global id`,
    );
  return { globalId: bytes.readBigInt64BE(1), body: bytes.subarray(FRAMED_HEADER_BYTES) };
}
