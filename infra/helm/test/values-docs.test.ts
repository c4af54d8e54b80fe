// docs/deploy.md documents every value of the chart: each leaf of values.yaml is named in its
// Helm section (as `name` or `.name` inside code spans), so a new value cannot ship undocumented.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { CHART_DIR, ROOT } from './chart';

/** Kubernetes fields passed through as they are: documented as one value. */
const PASSED_THROUGH = new Set(['resources', 'securityContext', 'podSecurityContext']);

/** Dotted paths of the leaves of a values tree (lists and empty maps are leaves). */
function leaves(value: unknown, prefix = ''): string[] {
  const last = prefix.split('.').pop()!;
  if (
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    Object.keys(value).length === 0 ||
    PASSED_THROUGH.has(last)
  )
    return [prefix];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
    leaves(v, prefix ? `${prefix}.${k}` : k),
  );
}

describe('docs/deploy.md', () => {
  const docs = fs.readFileSync(path.join(ROOT, 'docs', 'deploy.md'), 'utf8');
  const helm = docs.slice(docs.indexOf('## Helm')).replace(/```[\s\S]*?```/g, '');
  const spans = [...helm.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).join(' ');
  const values = leaves(parse(fs.readFileSync(path.join(CHART_DIR, 'values.yaml'), 'utf8')));

  it.each(values.map((v) => [v]))('names the value %s', (value) => {
    const last = value.split('.').pop()!;
    const named = new RegExp(`(^|[\\s.{,*])${last.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[\\s.},])`);
    expect({ value, documented: named.test(spans) }).toEqual({ value, documented: true });
  });
});
