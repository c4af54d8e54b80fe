// What a row-state tombstone looks like in a row shard, and which ones a trim at a horizon deletes
// (docs/consistency.md §2.6, "Bounded bookkeeping"). Pure. The evaluator writes a deleted row's
// state as `{"raw":null,"memberships":[],"lookups":[]}`, a primary-key change's delete with a
// `"moved"` image after it; its tests check that both match `isRowTombstone`.

/** The start of every tombstone's state JSON. */
export const TOMBSTONE_STATE_PREFIX = '{"raw":null,"memberships":[],"lookups":[]';

/** Whether a stored state (the JSON after the 16 hex digits of its op) is a tombstone. */
export function isRowTombstone(state: string): boolean {
  if (!state.startsWith(TOMBSTONE_STATE_PREFIX)) return false;
  const next = state.charAt(TOMBSTONE_STATE_PREFIX.length);
  return next === '}' || next === ',';
}

/**
 * The fields of one shard page to delete: tombstones written at or below the horizon (`horizon16`
 * is its op member, 16 hex: members compare as op ids). Each is deleted only if its value is still
 * the one read (a newer state written meanwhile stays).
 */
export function tombstonesAtOrBelow(
  fields: readonly (readonly [pk: string, value: string])[],
  horizon16: string,
): Array<readonly [string, string]> {
  return fields.filter(([, value]) => value.slice(0, 16) <= horizon16 && isRowTombstone(value.slice(16)));
}
