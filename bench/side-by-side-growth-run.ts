// Runs the side-by-side benchmark's growth points (`--growth`): each point's workload on each
// system, `repeat` times with the points interleaved (a machine that gets busier mid-run then
// weighs on every point alike), and prints each phase's growth tables at the end.
import { print } from './script';
import {
  growthPoints,
  growthTables,
  pointFigures,
  type GrowthPlan,
  type GrowthPoint,
  type PointFigures,
} from './side-by-side-growth';
import type { PhaseResult } from './side-by-side-phases';
import { shapeSql, type ShapeSql } from './side-by-side-shape';
import type { SystemRun } from './side-by-side-syncline';
import { PHASES, sideBySideProblem, type SideBySideWorkload } from './side-by-side-workload';

/** Runs one workload on every system asked for, Syncline first. */
export type RunSystems = (workload: SideBySideWorkload, sql: ShapeSql) => Promise<SystemRun[]>;

/** Results per point, per system and phase, over the repeats. */
type Collected = Map<string, PhaseResult[]>[];

function describePlan(
  plan: GrowthPlan,
  points: readonly GrowthPoint[],
  workload: SideBySideWorkload,
): string {
  const columns = `${plan.base.columns} columns`;
  const buckets = `${plan.base.buckets} buckets per row`;
  const shape = { table: `${columns}, ${buckets}`, buckets: columns, columns: buckets }[plan.growth];
  const fixed =
    plan.growth === 'table' ? shape : `${workload.snapshotRows.toLocaleString('en-US')} rows, ${shape}`;
  return (
    `growth ${plan.growth}: points ${points.map((p) => p.label).join(', ')}; otherwise ${fixed}; ` +
    `evaluator row-state cache ${plan.cacheRows.toLocaleString('en-US')} rows; ${plan.repeat} run(s) per point; ` +
    `batches ${workload.batchTransactions} x ${workload.batchRows} rows`
  );
}

export async function runGrowth(
  plan: GrowthPlan,
  workload: SideBySideWorkload,
  runSystems: RunSystems,
  progress: (line: string) => void,
): Promise<void> {
  const points = growthPoints(plan);
  const workloads = points.map((p) => ({ ...workload, snapshotRows: p.snapshotRows }));
  for (const w of workloads) {
    const problem = sideBySideProblem(w);
    if (problem !== null) throw new Error(problem);
  }
  print(describePlan(plan, points, workload));
  const collected: Collected = points.map(() => new Map());
  for (let run = 1; run <= plan.repeat; run++)
    for (const [i, point] of points.entries()) {
      progress(`growth ${plan.growth}: point ${point.label}, run ${run} of ${plan.repeat}`);
      print(`-- ${plan.growth} ${point.label}, run ${run}:`);
      for (const systemRun of await runSystems(workloads[i]!, shapeSql(point.shape)))
        for (const result of systemRun.results) {
          const key = `${systemRun.system}/${result.phase}`;
          collected[i]!.set(key, [...(collected[i]!.get(key) ?? []), result]);
        }
    }
  for (const phase of PHASES) {
    const figures = collected.map((byKey) => {
      const systems = new Map<string, PointFigures>();
      for (const system of ['Syncline', 'PowerSync']) {
        const results = byKey.get(`${system}/${phase}`);
        if (results !== undefined) systems.set(system, pointFigures(results, system));
      }
      return systems.size === 0 ? undefined : systems;
    });
    if (figures.some((f) => f !== undefined)) {
      print('');
      growthTables(plan.growth, phase, points, figures).forEach(print);
    }
  }
}
