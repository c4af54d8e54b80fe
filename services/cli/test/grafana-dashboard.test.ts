// The Grafana dashboard (infra/grafana/syncline-dashboard.json) plots only metrics the services
// register, so a renamed metric cannot leave an empty panel behind; and every metric the services
// define (besides prom-client's process defaults) is on it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createGatewayMetrics } from '@syncline/gateway';
import { createMetrics } from '@syncline/rules-evaluator';
import { repoRoot } from '@syncline/stack';

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly targets?: { expr: string }[];
}

const dashboard = JSON.parse(
  fs.readFileSync(path.join(repoRoot(), 'infra', 'grafana', 'syncline-dashboard.json'), 'utf8'),
) as { panels: Panel[]; templating: { list: { name: string }[] } };

async function registered(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const registry of [createMetrics().registry, createGatewayMetrics().registry])
    for (const metric of await registry.getMetricsAsJSON()) names.add(metric.name);
  return names;
}

/** Metric names an expression reads (a histogram's series named by their base metric). */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b(syncline_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ''));
}

describe('the Grafana dashboard', () => {
  const targets = dashboard.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
  );

  it('reads only metrics the evaluator or the gateway registers', async () => {
    const names = await registered();
    const unknown = targets.flatMap((t) =>
      metricsIn(t.expr)
        .filter((m) => !names.has(m))
        .map((m) => `${t.panel}: ${m}`),
    );
    expect(targets.length).toBeGreaterThan(10);
    expect(unknown).toEqual([]);
  });

  it("shows every metric of the services' own", async () => {
    const plotted = new Set(targets.flatMap((t) => metricsIn(t.expr)));
    const own = [...(await registered())].filter(
      (m) => !m.startsWith('syncline_evaluator_process_') && !/^syncline_gateway_(process|nodejs)_/.test(m),
    );
    expect(own.filter((m) => !plotted.has(m))).toEqual([]);
  });

  it('lets the user pick the data source and the scrape jobs', () => {
    expect(dashboard.templating.list.map((v) => v.name)).toEqual([
      'datasource',
      'evaluator_job',
      'gateway_job',
    ]);
  });
});
