// The request side of sync streams: a connection's stream subscriptions (and the auto_subscribe
// streams it includes by default) resolved to buckets, each with its priority and the
// subscriptions that reached it. Pure: stored lookup rows are read through the injected reader.
import { serializeBucketName } from './bucket-name';
import { withSubscriptionParameters, type RequestContext } from './request-context';
import type { CompiledStream, CompiledStreams, StreamBucketResolver } from './stream-compiler';
import { boundTuples } from './stream-bindings';
import { StreamRequestEvaluation, type LookupReader } from './stream-lookup';

/** One entry of the sync request's `streams.subscriptions`. */
export interface StreamSubscription {
  stream: string;
  /** The subscription's parameters; absent or null counts as `{}`, as in PowerSync. */
  parameters?: object | null;
  /** 0..3: replaces the stream's priority for the buckets this subscription reaches. */
  overridePriority?: number | null;
}

/** The sync request's `streams` field. */
export interface StreamSubscriptionRequest {
  /** Also subscribe to every `auto_subscribe: true` stream (the protocol's default is true). */
  includeDefaults: boolean;
  subscriptions: readonly StreamSubscription[];
}

/** Why a bucket is included: a default (auto_subscribe) stream, or the subscription at this index. */
export type BucketReason = 'default' | { subscription: number };

export interface SubscribedBucket {
  bucket: string;
  /** The most urgent (lowest) priority among the subscriptions that reached the bucket. */
  priority: number;
  /** The stream of the first subscription that reached the bucket. */
  stream: string;
  /** Each subscription that reached the bucket once, in request order, then 'default'. */
  reasons: BucketReason[];
  /** The auto_subscribe streams whose default subscription reached the bucket (streams can share one). */
  defaultStreams: string[];
}

/** A subscription whose buckets could not be evaluated; the others are still resolved. */
export interface StreamSubscriptionError {
  stream: string;
  reason: BucketReason;
  message: string;
}

export interface StreamResolution {
  buckets: SubscribedBucket[];
  errors: StreamSubscriptionError[];
}

interface Subscriber {
  stream: CompiledStream;
  reason: BucketReason;
  request: RequestContext;
  priority: number;
}

/**
 * Resolves a connection's subscriptions. `bucketPrefix` is the `<version>#` prefix of versioned
 * bucket ids (or ''). Subscriptions to unknown streams reach no bucket, as in PowerSync.
 */
export async function resolveStreamSubscriptions(
  compiled: CompiledStreams,
  bucketPrefix: string,
  request: RequestContext,
  subscriptions: StreamSubscriptionRequest,
  read: LookupReader,
): Promise<StreamResolution> {
  const subscribers = subscribersFor(compiled, request, subscriptions);
  const found = new Map<string, SubscribedBucket>();
  const errors: StreamSubscriptionError[] = [];
  const results = await Promise.all(
    subscribers.map(async (subscriber) => {
      try {
        return await bucketsOf(subscriber, compiled, bucketPrefix, read);
      } catch (err) {
        const message = `Error evaluating bucket ids: ${err instanceof Error ? err.message : String(err)}`;
        errors.push({ stream: subscriber.stream.name, reason: subscriber.reason, message });
        return [];
      }
    }),
  );
  results.forEach((names, i) => {
    const { stream, reason, priority } = subscribers[i]!;
    for (const bucket of names) {
      let existing = found.get(bucket);
      if (existing === undefined) {
        existing = { bucket, priority, stream: stream.name, reasons: [], defaultStreams: [] };
        found.set(bucket, existing);
      }
      existing.priority = Math.min(existing.priority, priority);
      if (reason === 'default') {
        if (existing.defaultStreams.includes(stream.name)) continue;
        existing.defaultStreams.push(stream.name);
        if (!existing.reasons.includes('default')) existing.reasons.push(reason);
      } else if (!existing.reasons.some((r) => r !== 'default' && r.subscription === reason.subscription))
        existing.reasons.push(reason);
    }
  });
  return { buckets: [...found.values()], errors };
}

/** Explicit subscriptions in request order, then the default subscription of auto_subscribe streams. */
function subscribersFor(
  compiled: CompiledStreams,
  request: RequestContext,
  subscriptions: StreamSubscriptionRequest,
): Subscriber[] {
  const byName = new Map(compiled.streams.map((s) => [s.name, s]));
  const subscribers: Subscriber[] = [];
  subscriptions.subscriptions.forEach((subscription, index) => {
    const stream = byName.get(subscription.stream);
    if (!stream) return;
    subscribers.push({
      stream,
      reason: { subscription: index },
      request: withSubscriptionParameters(request, subscription.parameters ?? {}),
      priority: validPriority(subscription.overridePriority) ?? stream.priority,
    });
  });
  if (subscriptions.includeDefaults) {
    for (const stream of compiled.streams) {
      if (!stream.autoSubscribe) continue;
      subscribers.push({ stream, reason: 'default', request, priority: stream.priority });
    }
  }
  return subscribers;
}

function validPriority(value: number | null | undefined): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 3 ? value : undefined;
}

async function bucketsOf(
  subscriber: Subscriber,
  compiled: CompiledStreams,
  bucketPrefix: string,
  read: LookupReader,
): Promise<string[]> {
  const evaluation = new StreamRequestEvaluation(subscriber.request, read, compiled.lookupIds);
  const perResolver = await Promise.all(
    subscriber.stream.resolvers.map((resolver) => resolverBuckets(resolver, evaluation, bucketPrefix)),
  );
  return perResolver.flat();
}

async function resolverBuckets(
  resolver: StreamBucketResolver,
  evaluation: StreamRequestEvaluation,
  bucketPrefix: string,
): Promise<string[]> {
  const { plan } = resolver;
  if (!plan.requestFilters.every((f) => evaluation.holds(f.evaluate))) return [];
  if (plan.rowBound) {
    const bound = await boundTuples(plan, evaluation);
    return bound.map((tuple) => serializeBucketName(bucketPrefix + resolver.bucket, tuple));
  }
  const found = await Promise.all(plan.existence.map((lookup) => evaluation.rows(lookup)));
  if (found.some((rows) => rows.length === 0)) return [];
  const tuples = await evaluation.tuples(plan.values);
  return tuples.map((tuple) => serializeBucketName(bucketPrefix + resolver.bucket, tuple));
}
