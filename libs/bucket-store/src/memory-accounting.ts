// What a deployment's Redis state costs, by what it is for (docs/deploy.md, "Sizing"): the key
// layout of keys.ts read backwards. Pure: the reader in memory-usage.ts feeds it each key's
// bytes (Redis `MEMORY USAGE`) and op count, and the bucket names from the bucket registry.
import { tagOf } from './keys';

/** What a key holds, by the part of the design that writes it. */
export type MemoryCategory =
  'buckets' | 'rows' | 'lookups' | 'transactions' | 'write-checkpoints' | 'coordination';

export const MEMORY_CATEGORIES: readonly MemoryCategory[] = [
  'buckets',
  'rows',
  'lookups',
  'transactions',
  'write-checkpoints',
  'coordination',
];

/** One key's cost: bytes as Redis reports them, and the ops it orders (bucket op lists only). */
export interface KeyUsage {
  readonly key: string;
  readonly bytes: number;
  readonly ops?: number;
}

export interface BucketUsage {
  /** The bucket's name, or `#<tag>` when the registry does not name it. */
  readonly bucket: string;
  readonly bytes: number;
  /** Ops stored (members of its op list). */
  readonly ops: number;
}

export interface MemoryReport {
  readonly prefix: string;
  readonly bytes: number;
  readonly keys: number;
  readonly categories: Readonly<Record<MemoryCategory, { readonly bytes: number; readonly keys: number }>>;
  /** Every bucket, the most expensive first. */
  readonly buckets: readonly BucketUsage[];
  /** Ops stored over all buckets. */
  readonly ops: number;
}

const BUCKET_KEY = /^\{b:([0-9a-f]{16})\}:(ops|body|meta)$/;

/** The category of a key of `prefix` (and its bucket's tag), or null for a key of another prefix. */
export function classifyKey(
  prefix: string,
  key: string,
): { readonly category: MemoryCategory; readonly bucketTag?: string } | null {
  if (!key.startsWith(`${prefix}:`)) return null;
  const rest = key.slice(prefix.length + 1);
  const bucket = BUCKET_KEY.exec(rest);
  if (bucket !== null) return { category: 'buckets', bucketTag: bucket[1]! };
  if (rest === 'buckets') return { category: 'buckets' };
  if (rest.startsWith('{rs:')) return { category: 'rows' };
  if (rest.startsWith('{pl:')) return { category: 'lookups' };
  if (rest === '{cp}:counts' || rest.startsWith('{cp}:seen:') || rest.startsWith('txwc:'))
    return { category: 'transactions' };
  if (rest.startsWith('wc:')) return { category: 'write-checkpoints' };
  return { category: 'coordination' };
}

/** Sums key usages of `prefix` by category and by bucket; keys of other prefixes are left out. */
export function summarizeMemory(
  prefix: string,
  usages: Iterable<KeyUsage>,
  bucketNames: Iterable<string>,
): MemoryReport {
  const names = new Map<string, string>();
  for (const name of bucketNames) names.set(tagOf(name), name);
  const categories = Object.fromEntries(MEMORY_CATEGORIES.map((c) => [c, { bytes: 0, keys: 0 }])) as Record<
    MemoryCategory,
    { bytes: number; keys: number }
  >;
  const buckets = new Map<string, { bytes: number; ops: number }>();
  let [bytes, keys, ops] = [0, 0, 0];
  for (const usage of usages) {
    const kind = classifyKey(prefix, usage.key);
    if (kind === null) continue;
    const category = categories[kind.category];
    category.bytes += usage.bytes;
    category.keys++;
    bytes += usage.bytes;
    keys++;
    if (kind.bucketTag === undefined) continue;
    const name = names.get(kind.bucketTag) ?? `#${kind.bucketTag}`;
    const b = buckets.get(name) ?? { bytes: 0, ops: 0 };
    b.bytes += usage.bytes;
    b.ops += usage.ops ?? 0;
    ops += usage.ops ?? 0;
    buckets.set(name, b);
  }
  const list = [...buckets].map(([bucket, b]) => ({ bucket, bytes: b.bytes, ops: b.ops }));
  list.sort((a, b) => b.bytes - a.bytes || (a.bucket < b.bucket ? -1 : 1));
  return { prefix, bytes, keys, categories, buckets: list, ops };
}

/** `12.3 MB`-style size (decimal units, as Redis INFO's human figures are not). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}
