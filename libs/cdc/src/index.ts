// @syncline/cdc: decodes Debezium (Postgres connector) records from Kafka, written by JsonConverter
// or by Apicurio's AvroConverter, into typed values and maps row images to SQLite rows through their
// Connect schema. Pure: no I/O (Avro writer schemas come through an injected fetch); the evaluator
// feeds it records and routes MalformedRecords to the DLT.
export type { KafkaRecord, RecordPosition, HeaderValue } from './record';
export { MalformedRecord, isMalformed, type MalformedReason, type SalvagedTransaction } from './malformed';
export {
  CdcDecoder,
  salvageTransaction,
  type ChangeDecoder,
  type CdcDecoderOptions,
  type CdcDecoderStats,
} from './decoder';
export {
  AvroCdcDecoder,
  AvroSchemaFetchError,
  type AvroCdcDecoderOptions,
  type FetchWriterSchema,
} from './avro-decoder';
export {
  SchemaCache,
  toConnectSchema,
  type ConnectSchema,
  type ConnectField,
  type ConnectType,
} from './connect-schema';
export { toSqliteRow, toSqliteValue, TypeMappingError, type TypeMappingOptions } from './type-mapping';
export {
  dataCollectionOf,
  LOGICAL_DECODING_MESSAGE,
  NEW_KEY_HEADER,
  OLD_KEY_HEADER,
  OP_CODES,
  type ChangeEvent,
  type ChangeRecord,
  type ChangeSchema,
  type CreateEvent,
  type DeleteEvent,
  type LogicalMessage,
  type MessageEvent,
  type ReadEvent,
  type RowImage,
  type RowSchema,
  type Tombstone,
  type TruncateEvent,
  type UpdateEvent,
} from './change';
export {
  parseSequence,
  parseTransactionId,
  type ProcessingTime,
  type SnapshotMarker,
  type SourceInfo,
  type TransactionBlock,
  type TransactionId,
} from './source';
export {
  normalizeDataCollection,
  type DataCollectionCount,
  type TransactionBegin,
  type TransactionEnd,
  type TransactionRecord,
} from './transaction';
export { DEFAULT_UNAVAILABLE_VALUE_PLACEHOLDER, toastPlaceholders, type ToastPlaceholders } from './toast';
