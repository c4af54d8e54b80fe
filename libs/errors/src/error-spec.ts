// What the error table says of each code (codes.ts, gateway-codes.ts).
import type { ErrorCategory } from './categories';

export interface ErrorSpec {
  readonly category: ErrorCategory;
  /** Short stable name; for a dead letter, the reason string in its `syncline.dlq.reason` header. */
  readonly title: string;
  /** True when the same operation may succeed later unchanged (a dependency comes back). */
  readonly retriable: boolean;
  /** What happened, one line. */
  readonly meaning: string;
  /** What to do about it, one line. */
  readonly fix: string;
  /** Gateway errors: the HTTP status of the response (absent when the stream was already open). */
  readonly httpStatus?: number;
}
