// Write checkpoints on the wire between services: the gateway emits
// `pg_logical_emit_message(true, 'syncline-wc:<deployment>', '<user_id>/<client_id>:<n>')` inside
// a transaction; the evaluator of that deployment reads it back from Debezium's message topic and
// the checkpoint that includes that transaction carries it. Logical messages reach every
// replication slot of the database, so the prefix names the deployment: two deployments on one
// database never take each other's. The user id may contain `/`; the client id may not.

/** The logical-message prefix of a deployment's write checkpoints. */
export function writeCheckpointPrefix(deployment: string): string {
  return `syncline-wc:${deployment}`;
}

export interface WriteCheckpoint {
  readonly userId: string;
  readonly clientId: string;
  /** Decimal, increasing per (user, client). */
  readonly n: string;
}

const CONTENT = /^(.+)\/([^/]+):(\d+)$/;

/** The message content to emit for a write checkpoint (text; Postgres stores it as bytes). */
export function formatWriteCheckpoint(wc: WriteCheckpoint): string {
  const text = `${wc.userId}/${wc.clientId}:${wc.n}`;
  if (!CONTENT.test(text) || CONTENT.exec(text)![1] !== wc.userId)
    throw new RangeError(
      `write checkpoint ${JSON.stringify(wc)}: user id must be non-empty, client id non-empty without '/', n decimal`,
    );
  return text;
}

/** Parses a message's content as Debezium sends it (base64); null when not well formed. */
export function parseWriteCheckpoint(content: string | null): WriteCheckpoint | null {
  if (content === null) return null;
  const match = CONTENT.exec(Buffer.from(content, 'base64').toString('utf8'));
  if (match === null) return null;
  return { userId: match[1]!, clientId: match[2]!, n: match[3]! };
}
