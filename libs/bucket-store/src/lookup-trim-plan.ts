// Which parameter-lookup versions a trim at a horizon drops (docs/consistency.md §2.6, "Bounded
// bookkeeping"): per source row, every version at or below the horizon but the newest, and that
// one too when it says the row no longer matches. Pure: a walk over one lookup's members from the
// horizon down, chunk by chunk, and the reference executor the Redis script is tested against.
import { decodeOpIdMember } from '@syncline/protocol';
import { lookupMemberRow } from './encoding';

/** A stored lookup version: its `<op16>|<rowKey>` member and value (`'null'`: no match; null: absent). */
export interface LookupVersion {
  readonly member: string;
  readonly value: string | null;
}

/** A version to drop, with the newer version of its row (at or below the horizon) that hides it. */
export interface LookupDrop {
  readonly member: string;
  readonly keeper: string;
}

/**
 * The state of one lookup's walk between chunks: per row seen, its newest version at or below the
 * horizon; those newest versions that say `null`, dropped only once the walk has passed every
 * older version (or an older match would show again); and where the next chunk starts.
 */
export interface LookupWalk {
  readonly keepers: Map<string, string>;
  readonly nulls: string[];
  /** The lowest member read so far (the next chunk reads below it); null before the first chunk. */
  readonly below: string | null;
}

export function startLookupWalk(): LookupWalk {
  return { keepers: new Map(), nulls: [], below: null };
}

/**
 * Plans one chunk: `chunk` holds the next members at or below the horizon in descending member
 * order (below `walk.below`). Returns the versions to drop now and the walk to continue with. The
 * drops keep every lookupAt(c), c >= horizon: each is hidden by a newer version at or below it.
 * Successive walks share their map and list (a walk over a large lookup must not copy them per
 * chunk): planning a chunk again from an earlier walk (a call retried after an error) sees its
 * own keepers as seen, and plans the same drops, since a member is never its own keeper.
 */
export function planLookupChunk(
  walk: LookupWalk,
  chunk: readonly LookupVersion[],
): { drops: LookupDrop[]; walk: LookupWalk } {
  const drops: LookupDrop[] = [];
  let below = walk.below;
  for (const { member, value } of chunk) {
    if (below !== null && member >= below)
      throw new RangeError(`lookup walk went backwards: ${member} is not below ${below}`);
    below = member;
    const row = lookupMemberRow(member);
    const keeper = walk.keepers.get(row);
    if (keeper !== undefined) {
      if (keeper > member) drops.push({ member, keeper });
    } else {
      walk.keepers.set(row, member);
      if (value === 'null') walk.nulls.push(member);
    }
  }
  return { drops, walk: { keepers: walk.keepers, nulls: walk.nulls, below } };
}

/**
 * The reference trim: the versions left after trimming `versions` (any order) at `horizon` in
 * one go. A version whose value is absent is kept as a newest one (it is being written).
 */
export function trimLookupVersions(versions: readonly LookupVersion[], horizon: bigint): LookupVersion[] {
  const sorted = [...versions].sort((a, b) => (a.member < b.member ? 1 : a.member > b.member ? -1 : 0));
  const atOrBelow = sorted.filter((v) => decodeOpIdMember(v.member) <= horizon);
  const { drops, walk } = planLookupChunk(startLookupWalk(), atOrBelow);
  const gone = new Set([...drops.map((d) => d.member), ...walk.nulls]);
  return versions.filter((v) => !gone.has(v.member));
}

/** The reader's answer (`lookupAt`) over stored versions: per row, the newest at or below `at`. */
export function lookupValuesAt(versions: readonly LookupVersion[], at: bigint): string[] {
  const latest = new Map<string, { member: string; value: string | null }>();
  for (const v of versions) {
    if (decodeOpIdMember(v.member) > at) continue;
    const row = lookupMemberRow(v.member);
    const held = latest.get(row);
    if (held === undefined || held.member < v.member) latest.set(row, v);
  }
  return [...latest.values()]
    .filter((v) => v.value !== null && v.value !== 'null')
    .map((v) => `${lookupMemberRow(v.member)}=${v.value}`)
    .sort();
}
