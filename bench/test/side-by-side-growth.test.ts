// The side-by-side benchmark's growth runs, the pure part: the points of each kind, the table and
// rules each point generates for both systems, the flags, and the medians and ratios printed.
import type { PhaseResult } from '../side-by-side-phases';
import {
  DEFAULT_POINTS,
  growthFactor,
  growthPoints,
  growthTables,
  median,
  parseCacheRows,
  parseGrowth,
  parsePoints,
  pointFigures,
  sideRatios,
  timeGrowth,
  type GrowthPlan,
  type PointFigures,
} from '../side-by-side-growth';
import { bucketNames, DEFAULT_SHAPE, shapeProblem, shapeSql } from '../side-by-side-shape';

const plan = (over: Partial<GrowthPlan>): GrowthPlan => ({
  growth: 'table',
  cacheRows: 10_000,
  base: DEFAULT_SHAPE,
  baseSnapshotRows: 10_000,
  points: [1, 4, 16],
  repeat: 1,
  ...over,
});

/** Column names of a generated CREATE TABLE. */
const columnsOf = (table: string): string[] =>
  table
    .split('\n')
    .slice(1, -1)
    .map((line) => line.trim().split(' ')[0]!);

/** Names of a generated rules file's bucket definitions. */
const definitionsOf = (rules: string): string[] => [...rules.matchAll(/^ {2}(\w+):$/gm)].map((m) => m[1]!);

describe('growth points', () => {
  it('puts 1x, 4x and 16x the row-state cache in the table, shape unchanged', () => {
    const points = growthPoints(plan({}));
    expect(points.map((p) => p.snapshotRows)).toEqual([10_000, 40_000, 160_000]);
    expect(points.map((p) => p.label)).toEqual([
      '1x (10,000 rows)',
      '4x (40,000 rows)',
      '16x (160,000 rows)',
    ]);
    expect(points.every((p) => p.shape === DEFAULT_SHAPE)).toBe(true);
  });

  it('varies the bucket definitions per row on the base table and snapshot', () => {
    const points = growthPoints(
      plan({ growth: 'buckets', points: DEFAULT_POINTS.buckets, baseSnapshotRows: 5000 }),
    );
    expect(points.map((p) => p.shape)).toEqual([
      { columns: 10, buckets: 1 },
      { columns: 10, buckets: 2 },
      { columns: 10, buckets: 10 },
    ]);
    expect(points.map((p) => p.snapshotRows)).toEqual([5000, 5000, 5000]);
  });

  it('varies the columns per row with the base buckets', () => {
    const points = growthPoints(plan({ growth: 'columns', points: DEFAULT_POINTS.columns }));
    expect(points.map((p) => p.shape)).toEqual([
      { columns: 4, buckets: 2 },
      { columns: 10, buckets: 2 },
      { columns: 40, buckets: 2 },
    ]);
  });

  it.each([
    ['buckets', [0]],
    ['buckets', [51]],
    ['columns', [3]],
    ['columns', [401]],
  ] as const)('refuses a %s point the shape cannot have (%j)', (growth, points) => {
    expect(() => growthPoints(plan({ growth, points }))).toThrow(new RegExp(`--growth ${growth}, point`));
  });
});

describe('generated table and rules', () => {
  it('keeps the benchmark table of 10 columns and the global plus per-owner bucket by default', () => {
    const sql = shapeSql(DEFAULT_SHAPE);
    expect(columnsOf(sql.table)).toEqual([
      'id',
      'owner_id',
      'name',
      'description',
      'qty',
      'price',
      'flag',
      'counter',
      'created_at',
      'updated_at',
    ]);
    expect(definitionsOf(sql.rules)).toEqual(['global', 'by_owner']);
    expect(sql.updateRow).toBe(
      'UPDATE items SET counter = counter + 1, qty = qty + 1, updated_at = now() WHERE id = $1',
    );
  });

  it.each([4, 5, 9, 10, 11, 40, 400])(
    'makes a table of %i columns whose rows the rules select whole',
    (n) => {
      const sql = shapeSql({ columns: n, buckets: 2 });
      const columns = columnsOf(sql.table);
      expect(columns).toHaveLength(n);
      expect(new Set(columns).size).toBe(n);
      expect(columns.slice(0, 2)).toEqual(['id', 'owner_id']);
      expect(columns).toEqual(expect.arrayContaining(['counter', 'updated_at']));
      // The insert names each column once and gives it one value.
      const [names, values] = /\(([^)]*)\) SELECT (.*) FROM generate_series/.exec(sql.insertRows)!.slice(1);
      expect(names!.split(', ')).toEqual(columns);
      for (const line of sql.rules.split('\n').filter((l) => l.includes('SELECT id')))
        expect(line).toContain(`SELECT ${columns.join(', ')} FROM items`);
      expect(values!.split(', ')).toHaveLength(n);
    },
  );

  it('updates only columns the table has', () => {
    expect(shapeSql({ columns: 4, buckets: 1 }).updateRow).toBe(
      'UPDATE items SET counter = counter + 1, updated_at = now() WHERE id = $1',
    );
  });

  it.each([1, 2, 10, 50])('gives every row %i buckets: a global one and the rest per owner', (n) => {
    const sql = shapeSql({ columns: 10, buckets: n });
    expect(definitionsOf(sql.rules)).toEqual(bucketNames(n));
    expect(bucketNames(n)[0]).toBe('global');
    expect(new Set(bucketNames(n)).size).toBe(n);
    expect(sql.rules.match(/WHERE owner_id = bucket\.owner_id/g) ?? []).toHaveLength(n - 1);
  });

  it.each([
    [{ columns: 3, buckets: 2 }, /columns per row/],
    [{ columns: 10.5, buckets: 2 }, /columns per row/],
    [{ columns: 10, buckets: 0 }, /buckets per row/],
    [{ columns: 10, buckets: 51 }, /buckets per row/],
  ])('refuses the shape %j', (shape, message) => {
    expect(shapeProblem(shape)).toMatch(message);
    expect(() => shapeSql(shape)).toThrow(message);
  });
});

describe('flags', () => {
  it.each(['table', 'buckets', 'columns'])('reads --growth %s', (kind) => {
    expect(parseGrowth(kind)).toBe(kind);
  });

  it.each([
    ['10000', 10000],
    ['1000', 1000],
    [' 250000 ', 250000],
  ])("reads --cache-rows %j within the evaluator's limits", (text, rows) => {
    expect(parseCacheRows(text)).toBe(rows);
  });

  it.each(['999', '0', '-5', '20000000', '1.5', 'many', ''])(
    "refuses --cache-rows %j before anything starts, with the evaluator's limit",
    (text) => {
      expect(() => parseCacheRows(text)).toThrow(/^--cache-rows: .*SYNCLINE_ROW_STATE_CACHE_ROWS/);
    },
  );

  it('names the kinds when --growth is unknown', () => {
    expect(() => parseGrowth('rows')).toThrow("--growth: unknown kind 'rows' (table, buckets, columns)");
  });

  it.each([
    ['table', undefined, [1, 4, 16]],
    ['buckets', undefined, [1, 2, 10]],
    ['columns', undefined, [4, 10, 40]],
    ['table', '0.5,1,2', [0.5, 1, 2]],
    ['buckets', ' 1, 3 ', [1, 3]],
  ] as const)('reads --growth %s --growth-points %s', (growth, text, points) => {
    expect(parsePoints(growth, text)).toEqual(points);
  });

  it.each([
    ['buckets', '1.5'],
    ['buckets', '2,1'],
    ['buckets', '2,2'],
    ['table', '0,1'],
    ['table', '1,x'],
    ['columns', ''],
  ] as const)('refuses --growth %s --growth-points %j', (growth, text) => {
    expect(() => parsePoints(growth, text)).toThrow(/--growth-points/);
  });
});

/** A phase result of `rows` rows covered after `seconds`, with CPU seconds per process. */
const result = (rows: number, seconds: number, cpu: Record<string, number>): PhaseResult => ({
  phase: 'batches',
  rows,
  transactions: rows / 100,
  commitSeconds: seconds / 2,
  wallSeconds: seconds,
  lagSeconds: seconds / 2,
  cpu,
});

describe('growth arithmetic', () => {
  it('takes the median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it("sums a system's own processes per row and leaves the others out", () => {
    const s = pointFigures(
      [
        result(1000, 2, {
          machine: 1,
          evaluator: 0.2,
          connect: 0.1,
          kafka: 0.05,
          redis: 0.05,
          postgres: 0.1,
        }),
      ],
      'Syncline',
    );
    expect(s.rowsPerSecond).toBe(500);
    expect(s.cpuUsPerRow.evaluator).toBeCloseTo(200);
    expect(s.cpuUsPerRow.own).toBeCloseTo(500);
    expect(s.cpuUsPerRow.machine).toBeCloseTo(1000);
    const p = pointFigures(
      [result(1000, 1, { machine: 0.5, powersync: 0.1, kafka: 0.2, postgres: 0.1 })],
      'PowerSync',
    );
    // Kafka runs for the stack, not for PowerSync.
    expect(p.cpuUsPerRow.own).toBeCloseTo(200);
  });

  it('takes the median of each figure over the repeats', () => {
    const f = pointFigures(
      [
        result(1000, 1, { machine: 1, evaluator: 0.3 }),
        result(1000, 2, { machine: 3, evaluator: 0.1 }),
        result(1000, 4, { machine: 2, evaluator: 0.2 }),
      ],
      'Syncline',
    );
    expect(f.runs).toBe(3);
    expect(f.rowsPerSecond).toBe(500);
    expect(f.cpuUsPerRow.machine).toBeCloseTo(2000);
    expect(f.cpuUsPerRow.evaluator).toBeCloseTo(200);
  });

  const figures = (rowsPerSecond: number, own: number, machine: number): PointFigures => ({
    runs: 1,
    rowsPerSecond,
    cpuUsPerRow: { own, machine },
  });

  it("states each figure against the side's first point", () => {
    expect(growthFactor(130, 100)).toBe('x1.30');
    expect(growthFactor(100, 100)).toBe('x1.00');
    expect(growthFactor(1, 0)).toBe('-');
    // Half the rows per second is twice the time per row.
    expect(timeGrowth(figures(500, 1, 1), figures(1000, 1, 1))).toBe('x2.00');
  });

  it('puts Syncline ahead above 1: its rows/s over PowerSync, their CPU per row over its own', () => {
    const r = sideRatios(figures(3000, 200, 400), figures(2000, 300, 200));
    expect(r.rows).toBeCloseTo(1.5);
    expect(r.ownCpu).toBeCloseTo(1.5);
    expect(r.machineCpu).toBeCloseTo(0.5);
  });

  it('prints a row per point and system, and the ratios only when both ran', () => {
    const points = growthPoints(plan({ growth: 'buckets', points: [1, 10] }));
    const s = (rate: number, own: number) => new Map([['Syncline', figures(rate, own, own)]]);
    const one = growthTables('buckets', 'batches', points, [s(1000, 100), s(500, 300)]);
    expect(one.filter((l) => l.startsWith('| 10 | Syncline'))).toEqual([
      '| 10 | Syncline | 1 | 500 | x2.00 | 300.0 | x3.00 | - | - | - | - | - | - | 300.0 |',
    ]);
    expect(one.some((l) => l.includes('Syncline / PowerSync'))).toBe(false);
    const both = (rate: number) =>
      new Map([
        ['Syncline', figures(rate, 100, 100)],
        ['PowerSync', figures(1000, 200, 100)],
      ]);
    const two = growthTables('buckets', 'batches', points, [both(1000), both(2000)]);
    expect(two).toContain('| 10 | 2.00x | 2.00x | 1.00x |');
  });
});
