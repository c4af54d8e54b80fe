// How the side-by-side benchmark's cost grows (issue 14, item 1), the pure part: the growth points
// of each kind (rows already in the table as multiples of the evaluator's row-state cache, bucket
// definitions per row, columns per row), the medians of repeated runs, each side's growth against
// its first point and Syncline's ratio to PowerSync, printed as Markdown tables.
import { CONFIG_SCHEMA } from '@syncline/rules-evaluator';
import type { PhaseResult } from './side-by-side-phases';
import { shapeProblem, type TableShape } from './side-by-side-shape';
import type { Phase } from './side-by-side-workload';

export const GROWTHS = ['table', 'buckets', 'columns'] as const;
export type Growth = (typeof GROWTHS)[number];

/** The values each kind is measured at when `--growth-points` is not given. */
export const DEFAULT_POINTS: Readonly<Record<Growth, readonly number[]>> = {
  table: [1, 4, 16],
  buckets: [1, 2, 10],
  columns: [4, 10, 40],
};

/** What a point's value is, for the tables' first column. */
const POINT_HEADINGS: Readonly<Record<Growth, string>> = {
  table: 'Rows in the table (x cache)',
  buckets: 'Buckets per row',
  columns: 'Columns per row',
};

export interface GrowthPlan {
  readonly growth: Growth;
  /** The evaluator's row-state cache (SYNCLINE_ROW_STATE_CACHE_ROWS). */
  readonly cacheRows: number;
  /** The shape and the snapshot of the points that do not vary them. */
  readonly base: TableShape;
  readonly baseSnapshotRows: number;
  readonly points: readonly number[];
  /** Runs of each point; the figures are their medians. */
  readonly repeat: number;
}

export interface GrowthPoint {
  /** The varying value: a multiple of the cache, buckets or columns per row. */
  readonly value: number;
  readonly label: string;
  readonly shape: TableShape;
  readonly snapshotRows: number;
}

export function parseGrowth(text: string): Growth {
  if (!(GROWTHS as readonly string[]).includes(text))
    throw new Error(`--growth: unknown kind '${text}' (${GROWTHS.join(', ')})`);
  return text as Growth;
}

/**
 * `--cache-rows`: the evaluator's SYNCLINE_ROW_STATE_CACHE_ROWS, checked against the evaluator's
 * own limits before anything starts (an evaluator refuses it only once a point is under way).
 */
export function parseCacheRows(text: string): number {
  const parsed = CONFIG_SCHEMA.shape.SYNCLINE_ROW_STATE_CACHE_ROWS.safeParse(text);
  if (parsed.success) return parsed.data;
  const why = parsed.error.issues.map((i) => i.message).join('; ');
  throw new Error(`--cache-rows: ${why} (the evaluator's SYNCLINE_ROW_STATE_CACHE_ROWS), got '${text}'`);
}

/** `--growth-points` (comma-separated, ascending; whole numbers except the table's multiples). */
export function parsePoints(growth: Growth, text: string | undefined): number[] {
  if (text === undefined) return [...DEFAULT_POINTS[growth]];
  const points = text.split(',').map((p) => Number(p.trim()));
  const whole = growth !== 'table';
  for (const [i, p] of points.entries())
    if (!Number.isFinite(p) || p <= 0 || (whole && !Number.isInteger(p)) || (i > 0 && p <= points[i - 1]!))
      throw new Error(
        `--growth-points: '${text}' is not an ascending list of positive ${whole ? 'integers' : 'numbers'}`,
      );
  return points;
}

/** The points of a plan, first to last; throws when one cannot run. */
export function growthPoints(plan: GrowthPlan): GrowthPoint[] {
  const rows = (n: number): string => n.toLocaleString('en-US');
  const points = plan.points.map((value): GrowthPoint => {
    switch (plan.growth) {
      case 'table': {
        const snapshotRows = Math.round(value * plan.cacheRows);
        return { value, label: `${value}x (${rows(snapshotRows)} rows)`, shape: plan.base, snapshotRows };
      }
      case 'buckets':
        return {
          value,
          label: String(value),
          shape: { ...plan.base, buckets: value },
          snapshotRows: plan.baseSnapshotRows,
        };
      case 'columns':
        return {
          value,
          label: String(value),
          shape: { ...plan.base, columns: value },
          snapshotRows: plan.baseSnapshotRows,
        };
    }
  });
  for (const p of points) {
    const problem = shapeProblem(p.shape);
    if (problem !== null) throw new Error(`--growth ${plan.growth}, point ${p.value}: ${problem}`);
    if (p.snapshotRows < 1) throw new Error(`--growth table, point ${p.value}: no rows in the table`);
  }
  return points;
}

/** The processes a system's own work runs in (the stack's others are idle for PowerSync). */
export const OWN_PROCESSES: Readonly<Record<string, readonly string[]>> = {
  Syncline: ['evaluator', 'connect', 'kafka', 'redis', 'postgres'],
  PowerSync: ['powersync', 'postgres'],
};

/** Columns of the per-process figures, in print order. */
const PROCESS_COLUMNS = ['evaluator', 'powersync', 'connect', 'kafka', 'redis', 'postgres'] as const;

/** One system's figures at one point and phase: medians over the repeats. */
export interface PointFigures {
  readonly runs: number;
  readonly rowsPerSecond: number;
  /** CPU µs per row: per process, `own` (the sum of the system's processes) and `machine`. */
  readonly cpuUsPerRow: Readonly<Record<string, number>>;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The medians of one system's repeated results of one phase at one point. */
export function pointFigures(results: readonly PhaseResult[], system: string): PointFigures {
  const own = OWN_PROCESSES[system] ?? [];
  const perRow = (r: PhaseResult, seconds: number): number => (seconds * 1e6) / r.rows;
  const names = new Set(results.flatMap((r) => Object.keys(r.cpu)));
  const cpuUsPerRow: Record<string, number> = {};
  for (const name of names)
    cpuUsPerRow[name] = median(
      results.filter((r) => r.cpu[name] !== undefined).map((r) => perRow(r, r.cpu[name]!)),
    );
  cpuUsPerRow.own = median(
    results.map((r) =>
      perRow(
        r,
        own.reduce((sum, p) => sum + (r.cpu[p] ?? 0), 0),
      ),
    ),
  );
  return {
    runs: results.length,
    rowsPerSecond: median(results.map((r) => r.rows / r.wallSeconds)),
    cpuUsPerRow,
  };
}

/** A figure against the first point's: `x1.00`, `x1.31`. */
export const growthFactor = (value: number, first: number): string =>
  Number.isFinite(value / first) ? `x${(value / first).toFixed(2)}` : '-';

/** Wall time per row against the first point's (the inverse of rows/s). */
export const timeGrowth = (f: PointFigures, first: PointFigures): string =>
  growthFactor(first.rowsPerSecond, f.rowsPerSecond);

/** Syncline's rows/s over PowerSync's, and PowerSync's CPU per row over Syncline's: above 1, Syncline ahead. */
export function sideRatios(
  s: PointFigures,
  p: PointFigures,
): { rows: number; ownCpu: number; machineCpu: number } {
  return {
    rows: s.rowsPerSecond / p.rowsPerSecond,
    ownCpu: p.cpuUsPerRow.own! / s.cpuUsPerRow.own!,
    machineCpu: p.cpuUsPerRow.machine! / s.cpuUsPerRow.machine!,
  };
}

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const us = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(1));

/** The figures of every point of one phase: per point, the systems measured (Syncline first). */
export type PhaseGrowth = readonly (ReadonlyMap<string, PointFigures> | undefined)[];

/** One phase's growth as Markdown tables: the figures per system, then the ratios if both ran. */
export function growthTables(
  growth: Growth,
  phase: Phase,
  points: readonly GrowthPoint[],
  figures: PhaseGrowth,
): string[] {
  const systems = ['Syncline', 'PowerSync'].filter((s) => figures.some((f) => f?.has(s)));
  const lines = [
    `${phase}: rows/s and CPU µs per row (median of the runs); "vs first": each side against its own first point`,
    '',
    `| ${POINT_HEADINGS[growth]} | System | Runs | rows/s | time/row vs first | CPU/row, own processes | ` +
      `CPU/row vs first | ${PROCESS_COLUMNS.join(' | ')} | machine |`,
    `| --- | --- | ---: | ---: | ---: | ---: | ---: | ${PROCESS_COLUMNS.map(() => '---:').join(' | ')} | ---: |`,
  ];
  for (const system of systems) {
    const first = figures.find((f) => f?.has(system))?.get(system);
    points.forEach((point, i) => {
      const f = figures[i]?.get(system);
      if (f === undefined || first === undefined) return;
      lines.push(
        `| ${point.label} | ${system} | ${f.runs} | ${int(f.rowsPerSecond)} | ${timeGrowth(f, first)} | ` +
          `${us(f.cpuUsPerRow.own)} | ${growthFactor(f.cpuUsPerRow.own!, first.cpuUsPerRow.own!)} | ` +
          `${PROCESS_COLUMNS.map((p) => us(f.cpuUsPerRow[p])).join(' | ')} | ${us(f.cpuUsPerRow.machine)} |`,
      );
    });
  }
  if (systems.length === 2) lines.push('', ...ratioTable(growth, points, figures));
  return lines;
}

function ratioTable(growth: Growth, points: readonly GrowthPoint[], figures: PhaseGrowth): string[] {
  const lines = [
    `| ${POINT_HEADINGS[growth]} | rows/s, Syncline / PowerSync | CPU/row own processes, PowerSync / Syncline | ` +
      'CPU/row machine, PowerSync / Syncline |',
    '| --- | ---: | ---: | ---: |',
  ];
  points.forEach((point, i) => {
    const s = figures[i]?.get('Syncline');
    const p = figures[i]?.get('PowerSync');
    if (s === undefined || p === undefined) return;
    const r = sideRatios(s, p);
    lines.push(
      `| ${point.label} | ${r.rows.toFixed(2)}x | ${r.ownCpu.toFixed(2)}x | ${r.machineCpu.toFixed(2)}x |`,
    );
  });
  return lines;
}
