// Turns a stream query's WHERE into OR-variants of AND-ed terms (disjunctive normal form), ordered
// and merged as PowerSync does, because each variant becomes one bucket `<stream>|<n>` and n counts
// variants: single-dependency variants with the same dependency merge into one.

export type BoolNode<T> =
  | { type: 'and' | 'or'; inner: BoolNode<T>[] }
  | { type: 'not'; inner: BoolNode<T> }
  | { type: 'base'; term: T };

export interface VariantRules<T> {
  /** The dependency of a term that reads one thing (a table, or the request); undefined for a link. */
  group(term: T): string | undefined;
  /** NOT term; may report that the term cannot be negated. */
  negate(term: T): T;
  /** One term equivalent to OR over `variants` (each an AND of terms of the same group). */
  mergeOr(variants: readonly T[][]): T;
}

/** More variants than this is an error, as in PowerSync. */
const MAX_VARIANTS = 100;

class TooManyVariants extends Error {}

/** The variants in bucket order, or undefined when there would be more than 100. */
export function toVariants<T>(root: BoolNode<T>, rules: VariantRules<T>): T[][] | undefined {
  let variants: T[][];
  try {
    variants = dnf(root, false, rules);
  } catch (err) {
    if (err instanceof TooManyVariants) return undefined;
    throw err;
  }
  return orderVariants(variants, rules);
}

function dnf<T>(node: BoolNode<T>, negated: boolean, rules: VariantRules<T>): T[][] {
  switch (node.type) {
    case 'base':
      return [[negated ? rules.negate(node.term) : node.term]];
    case 'not':
      return dnf(node.inner, !negated, rules);
    case 'and':
    case 'or': {
      // De Morgan: under NOT, AND becomes OR and OR becomes AND.
      const isAnd = (node.type === 'and') !== negated;
      const parts = node.inner.map((inner) => dnf(inner, negated, rules));
      if (!isAnd) return parts.flat();
      let product: T[][] = [[]];
      for (const part of parts) {
        if (product.length * part.length > MAX_VARIANTS) throw new TooManyVariants();
        product = product.flatMap((prefix) => part.map((variant) => [...prefix, ...variant]));
      }
      return product;
    }
  }
}

/**
 * PowerSync's order: variants that stay an AND of several dependencies first, in order; then those
 * that are one link term; then those reading only the request, merged into one; then those reading
 * one table, merged per table in order of appearance.
 */
function orderVariants<T>(variants: T[][], rules: VariantRules<T>): T[][] {
  const compound: T[][] = [];
  const links: T[][] = [];
  const byGroup = new Map<string, T[][]>();
  for (const variant of variants) {
    const groups = new Set<string>();
    let linkCount = 0;
    for (const term of variant) {
      const group = rules.group(term);
      if (group === undefined) linkCount++;
      else groups.add(group);
    }
    const [only] = groups;
    if (linkCount + groups.size > 1) compound.push(variant);
    else if (linkCount === 1) links.push(variant);
    else {
      const key = only ?? 'request';
      byGroup.set(key, [...(byGroup.get(key) ?? []), variant]);
    }
  }
  const request = byGroup.get('request');
  byGroup.delete('request');
  const merged = [request, ...byGroup.values()]
    .filter((group): group is T[][] => group !== undefined)
    .map((group) => (group.length === 1 ? group[0]! : [rules.mergeOr(group)]));
  return [...compound, ...links, ...merged];
}
