// The buckets a user has at a checkpoint: the rules' parameter queries evaluated for the request
// (JWT payload, client parameters) with lookup-backed queries read as of that checkpoint.
import { SynclineError } from '@syncline/errors';
import type { SqliteJsonRow } from '@syncline/sqlite-value';
import {
  serializeParameterLookup,
  type RequestContext,
  type ResolvedBucket,
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
  const buckets = await rules.resolveBuckets(request, (lookups) =>
    Promise.all(
      lookups.map(
        async (l) => (await reads.lookupAt(serializeParameterLookup(l), checkpoint)) as SqliteJsonRow[],
      ),
    ),
  );
  if (buckets.length > maxBuckets)
    throw new TooManyBucketsError(
      `the sync rules give this user ${buckets.length} buckets, more than the limit of ${maxBuckets} (SYNCLINE_MAX_BUCKETS)`,
    );
  return buckets.sort((a, b) => (a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : 0));
}
