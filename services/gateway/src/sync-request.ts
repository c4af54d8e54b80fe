// The body of POST /sync/stream (the PowerSync StreamingSyncRequest), validated: what the gateway
// uses of it typed, everything else (include_checksum, raw_data, binary_data, app_metadata, streams)
// accepted and ignored.
import { z } from 'zod';
import { SynclineError } from '@syncline/errors';
import { parseOpId } from '@syncline/protocol';

export class ParametersTooLargeError extends SynclineError {
  override readonly name = 'ParametersTooLargeError';
  readonly code = 'SYNC_E807';
}

export class SyncRequestError extends SynclineError {
  override readonly name = 'SyncRequestError';
  readonly code = 'SYNC_E808';
}

const OP_ID = /^(0|[1-9][0-9]{0,18})$/;

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
  })
  .passthrough();

export interface SyncRequest {
  /** The client's buckets and the op id after which each resumes. */
  readonly after: ReadonlyMap<string, bigint>;
  readonly clientId: string | null;
  readonly parameters: Record<string, unknown>;
}

/**
 * Parses an already JSON-decoded body; throws SyncRequestError (400) naming what is wrong, or
 * ParametersTooLargeError (413) when the client parameters' JSON exceeds `maxParameterBytes`.
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
  const parameterBytes = Buffer.byteLength(JSON.stringify(parsed.data.parameters));
  if (parameterBytes > maxParameterBytes)
    throw new ParametersTooLargeError(
      `the client parameters are ${parameterBytes} bytes of JSON, over the limit of ${maxParameterBytes} (SYNCLINE_MAX_PARAMETER_BYTES)`,
    );
  return { after, clientId: parsed.data.client_id ?? null, parameters: parsed.data.parameters };
}
