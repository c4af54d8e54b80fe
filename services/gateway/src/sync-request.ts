// The body of POST /sync/stream (the PowerSync StreamingSyncRequest), validated: what the gateway
// uses of it typed (buckets, client id, connection parameters, stream subscriptions), everything
// else (include_checksum, raw_data, binary_data, app_metadata) accepted and ignored.
import { z } from 'zod';
import { SynclineError } from '@syncline/errors';
import { parseOpId } from '@syncline/protocol';
import type { StreamSubscriptionRequest } from '@syncline/sync-rules';

export class ParametersTooLargeError extends SynclineError {
  override readonly name = 'ParametersTooLargeError';
  readonly code = 'SYNC_E807';
}

export class SyncRequestError extends SynclineError {
  override readonly name = 'SyncRequestError';
  readonly code = 'SYNC_E808';
}

const OP_ID = /^(0|[1-9][0-9]{0,18})$/;

// The official client always sends `parameters` and `override_priority` (null when unset);
// absent counts as null, as the service's own defaults do.
const SUBSCRIPTION = z
  .object({
    stream: z.string(),
    parameters: z.record(z.unknown()).nullable().optional(),
    override_priority: z.number().int().min(0).max(3).nullable().optional(),
  })
  .passthrough();

const SCHEMA = z
  .object({
    buckets: z
      .array(
        z
          .object({ name: z.string().min(1), after: z.string().regex(OP_ID, 'a decimal op id') })
          .passthrough(),
      )
      .default([]),
    client_id: z.string().max(256).optional(),
    parameters: z.record(z.unknown()).default({}),
    streams: z
      .object({ include_defaults: z.boolean().optional(), subscriptions: z.array(SUBSCRIPTION).default([]) })
      .passthrough()
      .optional(),
  })
  .passthrough();

export interface SyncRequest {
  /** The client's buckets and the op id after which each resumes. */
  readonly after: ReadonlyMap<string, bigint>;
  readonly clientId: string | null;
  readonly parameters: Record<string, unknown>;
  /**
   * The sync streams the client subscribed to, in request order (a bucket's `{sub: i}` indexes
   * them), and whether it also wants the auto_subscribe streams (default true, as in PowerSync).
   */
  readonly streams: StreamSubscriptionRequest;
}

/**
 * Parses an already JSON-decoded body; throws SyncRequestError (400) naming what is wrong, or
 * ParametersTooLargeError (413) when the JSON of the client parameters and of every
 * subscription's parameters together exceeds `maxParameterBytes`.
 */
export function parseSyncRequest(body: unknown, maxParameterBytes = Infinity): SyncRequest {
  const parsed = SCHEMA.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SyncRequestError(`invalid sync request: ${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  const after = new Map<string, bigint>();
  for (const b of parsed.data.buckets) {
    try {
      after.set(b.name, parseOpId(b.after));
    } catch {
      throw new SyncRequestError(`invalid sync request: bucket ${b.name}: after ${b.after} is not an op id`);
    }
  }
  const subscriptions = (parsed.data.streams?.subscriptions ?? []).map((s) => ({
    stream: s.stream,
    parameters: s.parameters ?? null,
    overridePriority: s.override_priority ?? null,
  }));
  const parameterBytes = [parsed.data.parameters, ...subscriptions.map((s) => s.parameters)].reduce(
    (sum, p) => sum + (p === null ? 0 : Buffer.byteLength(JSON.stringify(p))),
    0,
  );
  if (parameterBytes > maxParameterBytes)
    throw new ParametersTooLargeError(
      `the client parameters are ${parameterBytes} bytes of JSON (with the stream subscriptions' parameters), over the limit of ${maxParameterBytes} (SYNCLINE_MAX_PARAMETER_BYTES)`,
    );
  return {
    after,
    clientId: parsed.data.client_id ?? null,
    parameters: parsed.data.parameters,
    streams: { includeDefaults: parsed.data.streams?.include_defaults ?? true, subscriptions },
  };
}
