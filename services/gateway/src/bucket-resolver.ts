// The buckets a user has at a checkpoint: the rules' parameter queries (editions 1-2) or the
// connection's stream subscriptions (edition 3) evaluated for the request (JWT payload, client
// and subscription parameters), with every lookup read as of that checkpoint.
import { SynclineError } from '@syncline/errors';
import type { SqliteJsonRow } from '@syncline/sqlite-value';
import {
  serializeParameterLookup,
  type ParameterLookup,
  type RequestContext,
  type ResolvedBucket,
  type StreamSubscriptionError,
  type StreamSubscriptionRequest,
  type SubscribedBucket,
  type SyncRules,
} from '@syncline/sync-rules';
import type { SharedReads } from './shared-reads';

export class TooManyBucketsError extends SynclineError {
  override readonly name = 'TooManyBucketsError';
  readonly code = 'SYNC_E816';
}

export async function resolveBuckets(
  rules: SyncRules,
  request: RequestContext,
  reads: SharedReads,
  checkpoint: bigint,
  maxBuckets: number,
): Promise<ResolvedBucket[]> {
  const buckets = await rules.resolveBuckets(request, (lookups) => lookupRows(reads, lookups, checkpoint));
  if (buckets.length > maxBuckets)
    throw new TooManyBucketsError(
      `the sync rules give this user ${buckets.length} buckets, more than the limit of ${maxBuckets} (SYNCLINE_MAX_BUCKETS)`,
    );
  return buckets.sort((a, b) => (a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : 0));
}

export interface SubscribedBuckets {
  /** Sorted by name. */
  readonly buckets: SubscribedBucket[];
  readonly errors: StreamSubscriptionError[];
}

/**
 * Edition 3: the buckets a connection's stream subscriptions reach at a checkpoint, every stage of
 * a lookup chain read as of that checkpoint; a subscription that cannot be evaluated is reported
 * in `errors` and the others still resolve. A failed read of the store is not a subscription's
 * error: it fails the whole resolution (the stream closes and the client retries), so that a
 * store outage never makes a client drop the buckets it holds.
 */
export async function resolveSubscribedBuckets(
  rules: SyncRules,
  request: RequestContext,
  subscriptions: StreamSubscriptionRequest,
  reads: SharedReads,
  checkpoint: bigint,
  maxBuckets: number,
): Promise<SubscribedBuckets> {
  let readFailure: { error: unknown } | null = null;
  const { buckets, errors } = await rules.resolveStreamSubscriptions(request, subscriptions, (lookups) =>
    lookupRows(reads, lookups, checkpoint).catch((error: unknown) => {
      readFailure ??= { error };
      throw error;
    }),
  );
  if (readFailure !== null) throw (readFailure as { error: unknown }).error;
  if (buckets.length > maxBuckets)
    throw new TooManyBucketsError(
      `the stream subscriptions give this user ${buckets.length} buckets, more than the limit of ${maxBuckets} (SYNCLINE_MAX_BUCKETS)`,
    );
  return {
    buckets: buckets.sort((a, b) => (a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : 0)),
    errors,
  };
}

function lookupRows(
  reads: SharedReads,
  lookups: readonly ParameterLookup[],
  checkpoint: bigint,
): Promise<SqliteJsonRow[][]> {
  return Promise.all(
    lookups.map(
      async (l) => (await reads.lookupAt(serializeParameterLookup(l), checkpoint)) as SqliteJsonRow[],
    ),
  );
}
