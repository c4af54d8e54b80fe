// Write checkpoints: the gateway emits `pg_logical_emit_message(true, 'syncline-wc',
// '<user_id>/<client_id>:<n>')` in a transaction; the checkpoint that includes it records it.
import type { WriteCheckpoint } from '@syncline/bucket-store';

export const WRITE_CHECKPOINT_PREFIX = 'syncline-wc';

const CONTENT = /^(.+)\/([^/]+):(\d+)$/;

/** Parses a message's content (base64, binary.handling.mode=base64|bytes); null when not well formed. */
export function parseWriteCheckpoint(content: string | null): WriteCheckpoint | null {
  if (content === null) return null;
  const text = Buffer.from(content, 'base64').toString('utf8');
  const match = CONTENT.exec(text);
  if (match === null) return null;
  return { userId: match[1]!, clientId: match[2]!, n: match[3]! };
}
