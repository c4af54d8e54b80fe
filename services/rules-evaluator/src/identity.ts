// A deployment's identity in Redis (`meta`): the storage layout, the rules' hash and the op-id
// generation. An evaluator refuses state written by other rules or another layout.
import { LAYOUT_VERSION, type RedisCoordination } from '@syncline/bucket-store';
import { SynclineError } from '@syncline/errors';
import { firstGeneration, type OpIdGeneration } from '@syncline/protocol';

export class RulesMismatchError extends SynclineError {
  override readonly name = 'RulesMismatchError';
  readonly code = 'SYNC_E102';
}

export class LayoutMismatchError extends SynclineError {
  override readonly name = 'LayoutMismatchError';
  readonly code = 'SYNC_E103';
}

export interface Identity {
  readonly rulesHash: string;
  readonly keyPrefix: string;
  readonly rulesFile: string;
}

/**
 * Records the identity on a first start and checks it on every later one. A Redis without meta
 * is first checked by `refuseWiped` (SYNC_E405 when the group has committed offsets).
 */
export async function checkIdentity(
  store: Pick<RedisCoordination, 'getMeta' | 'initMeta'>,
  identity: Identity,
  refuseWiped: () => Promise<void>,
): Promise<OpIdGeneration> {
  const { rulesHash, keyPrefix, rulesFile } = identity;
  const generation = firstGeneration();
  const existing = await store.getMeta();
  if (Object.keys(existing).length === 0) await refuseWiped();
  // State written before the layout was versioned has no `layout` field: layout 1.
  const layout = Object.keys(existing).length === 0 ? LAYOUT_VERSION : (existing.layout ?? '1');
  if (layout !== LAYOUT_VERSION)
    throw new LayoutMismatchError(
      `Redis prefix ${keyPrefix} holds state in storage layout ${layout}; this evaluator ` +
        `writes layout ${LAYOUT_VERSION}. Reprocess into it: syncline evaluator --reset --rules ${rulesFile}`,
    );
  const meta = await store.initMeta({
    layout: LAYOUT_VERSION,
    rulesHash,
    generation: JSON.stringify(generation, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
    createdAt: new Date().toISOString(),
  });
  if (meta.rulesHash !== rulesHash) {
    throw new RulesMismatchError(
      `sync rules changed: Redis prefix ${keyPrefix} holds state of rules ${meta.rulesHash?.slice(0, 12)}, ` +
        `this evaluator runs rules ${rulesHash.slice(0, 12)}. Either deploy them as a new version ` +
        `(SYNCLINE_RULES_VERSION) or reset this one: syncline evaluator --reset --rules ${rulesFile}`,
    );
  }
  return generation;
}
