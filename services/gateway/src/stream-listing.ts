// What a connection's full checkpoint line says about sync streams (edition 3), as the official
// service words it: `streams` lists, in file order, each stream the connection is subscribed to
// (an auto_subscribe one unless include_defaults is false, or one it names; unknown names are not
// listed), with its subscriptions' errors; each bucket's `subscriptions` says which default stream
// (`{default: <index in streams>}`) or which request subscription (`{sub: <index>}`) reached it.
// Pure.
import type { StreamDescription, StreamSubscriptionRef } from '@syncline/protocol';
import type {
  StreamSubscriptionError,
  StreamSubscriptionRequest,
  SubscribedBucket,
  SyncRules,
} from '@syncline/sync-rules';

export class StreamListing {
  /** Stream name -> its index in the `streams` list. */
  private readonly index = new Map<string, number>();
  private readonly listed: { name: string; isDefault: boolean }[] = [];

  constructor(rules: SyncRules, request: StreamSubscriptionRequest) {
    const defaults = new Set(rules.autoSubscribeStreams);
    const named = new Set(request.subscriptions.map((s) => s.stream));
    for (const name of rules.streamNames) {
      const isDefault = defaults.has(name);
      if ((isDefault && request.includeDefaults) || named.has(name)) {
        this.index.set(name, this.listed.length);
        this.listed.push({ name, isDefault });
      }
    }
  }

  /** The `streams` of the full checkpoint line, each with the errors of its subscriptions. */
  describe(errors: readonly StreamSubscriptionError[]): StreamDescription[] {
    return this.listed.map(({ name, isDefault }) => ({
      name,
      isDefault,
      errors: errors
        .filter((e) => e.stream === name)
        .map((e) => ({
          subscription: e.reason === 'default' ? ('default' as const) : e.reason.subscription,
          message: e.message,
        })),
    }));
  }

  /** A bucket's `subscriptions`: the default streams and the request subscriptions that reached it. */
  references(bucket: SubscribedBucket): StreamSubscriptionRef[] {
    const refs: StreamSubscriptionRef[] = [];
    for (const reason of bucket.reasons) {
      if (reason !== 'default') refs.push({ sub: reason.subscription });
      else
        for (const stream of bucket.defaultStreams) {
          const index = this.index.get(stream);
          if (index !== undefined) refs.push({ default: index });
        }
    }
    return refs;
  }
}
