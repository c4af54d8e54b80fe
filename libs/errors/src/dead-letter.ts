// Why a record goes to the dead-letter topic: one union of reasons (the decoder's and the
// evaluator's), each with its code. The header `syncline.dlq.reason` carries the reason string.
import type { ErrorCode } from './codes';

/** Why the decoder (`@syncline/cdc`) rejected a change or transaction record. */
export type MalformedReason =
  | 'invalid-utf8'
  | 'invalid-json'
  | 'missing-value'
  | 'wrong-type'
  | 'unknown-op'
  | 'unknown-status'
  | 'invalid-transaction-id'
  | 'invalid-sequence'
  | 'invalid-schema'
  | 'invalid-header'
  | 'inconsistent-record'
  | 'internal-error'
  /** Avro records (`SYNCLINE_CHANGE_FORMAT=avro`): bad framing, unknown writer schema, undecodable bytes. */
  | 'invalid-avro';

/** Every reason a record is sent to the dead-letter topic. */
export type DeadLetterReason =
  | MalformedReason
  /** The sync rules failed on a decoded row. */
  | 'evaluation-failed'
  /** A `syncline-wc:<deployment>` logical message with content that is not `<user_id>/<client_id>:<n>`. */
  | 'invalid-write-checkpoint'
  /** A row of a Debezium blocking snapshot (rows newer than the stream position: docs/consistency.md §3.3). */
  | 'blocking-snapshot';

const DEAD_LETTER_CODES: Readonly<Record<DeadLetterReason, ErrorCode>> = {
  'invalid-utf8': 'SYNC_E301',
  'invalid-json': 'SYNC_E302',
  'missing-value': 'SYNC_E303',
  'wrong-type': 'SYNC_E304',
  'unknown-op': 'SYNC_E305',
  'unknown-status': 'SYNC_E306',
  'invalid-transaction-id': 'SYNC_E307',
  'invalid-sequence': 'SYNC_E308',
  'invalid-schema': 'SYNC_E309',
  'invalid-header': 'SYNC_E310',
  'inconsistent-record': 'SYNC_E311',
  'internal-error': 'SYNC_E312',
  'evaluation-failed': 'SYNC_E313',
  'invalid-write-checkpoint': 'SYNC_E314',
  'blocking-snapshot': 'SYNC_E315',
  'invalid-avro': 'SYNC_E316',
};

export const DEAD_LETTER_REASONS = Object.keys(DEAD_LETTER_CODES) as readonly DeadLetterReason[];

/** The code sent in the `syncline.dlq.code` header beside the reason. */
export function deadLetterCode(reason: DeadLetterReason): ErrorCode {
  return DEAD_LETTER_CODES[reason];
}
