// Reads a Prometheus histogram from a service's /metrics text and estimates its quantiles the way
// Prometheus' histogram_quantile does, for benchmarks that print what a service measured itself.

/**
 * The cumulative buckets (upper bound, count) of histogram `name` whose series carry `labels`
 * (besides `le`), in the order exposed.
 */
export function histogramBuckets(
  metrics: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): [number, number][] {
  const out: [number, number][] = [];
  const line = new RegExp(`^${name}_bucket\\{([^}]*)\\} (\\S+)$`, 'gm');
  for (const [, labelText, value] of metrics.matchAll(line)) {
    const found = Object.fromEntries([...labelText!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).some(([k, v]) => found[k] !== v)) continue;
    const le = found.le!;
    out.push([le === '+Inf' ? Infinity : Number(le), Number(value)]);
  }
  return out;
}

/** Prometheus' histogram_quantile: linear inside the bucket the rank falls in; NaN when empty. */
export function histogramQuantile(buckets: readonly [number, number][], q: number): number {
  const total = buckets[buckets.length - 1]?.[1] ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let [lower, below] = [0, 0];
  for (const [upper, count] of buckets) {
    if (count >= rank) {
      if (upper === Infinity) return lower;
      return lower + ((upper - lower) * (rank - below)) / Math.max(1, count - below);
    }
    [lower, below] = [upper, count];
  }
  return lower;
}
