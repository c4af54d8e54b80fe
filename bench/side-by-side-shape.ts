// The side-by-side benchmark's table and rules, pure and generated from one description (columns
// per row, bucket definitions per row), so that both systems and every growth point read the same
// text. The default shape is the benchmark's 10-column table with a global and a per-owner bucket.

/** Distinct owner_id values; each owner's rows form one per-owner bucket. */
export const OWNERS = 1000;

export interface TableShape {
  /** Columns of `items`, `id` and `owner_id` included (MIN_COLUMNS – MAX_COLUMNS). */
  readonly columns: number;
  /** Bucket definitions each row belongs to, so bucket ops per row (MIN_BUCKETS – MAX_BUCKETS). */
  readonly buckets: number;
}

export const DEFAULT_SHAPE: TableShape = { columns: 10, buckets: 2 };
export const MIN_COLUMNS = 4;
export const MAX_COLUMNS = 400;
export const MIN_BUCKETS = 1;
export const MAX_BUCKETS = 50;

interface Column {
  readonly name: string;
  readonly type: string;
  /** Its value in the row numbered `g` (an SQL expression over `g`). */
  readonly value: string;
}

/** The 10-column table, in its column order. */
const STANDARD: readonly Column[] = [
  { name: 'id', type: 'text PRIMARY KEY', value: `'r' || g` },
  { name: 'owner_id', type: 'text NOT NULL', value: `'o' || (g % ${OWNERS})` },
  { name: 'name', type: 'text NOT NULL', value: `'item ' || g` },
  {
    name: 'description',
    type: 'text NOT NULL',
    value: `'description of item ' || g || ' in the benchmark'`,
  },
  { name: 'qty', type: 'integer NOT NULL', value: 'g % 100' },
  { name: 'price', type: 'numeric(12, 2) NOT NULL', value: '(g % 100000) / 100.0' },
  { name: 'flag', type: 'boolean NOT NULL', value: 'g % 2 = 0' },
  { name: 'counter', type: 'bigint NOT NULL', value: 'g' },
  { name: 'created_at', type: 'timestamptz NOT NULL', value: 'now()' },
  { name: 'updated_at', type: 'timestamptz NOT NULL', value: 'now()' },
];

/**
 * Which standard columns a narrower table keeps, first to last: the key, the bucket parameter and
 * the two every update sets.
 */
const KEPT_FIRST = ['id', 'owner_id', 'counter', 'updated_at', 'name', 'description', 'qty', 'price', 'flag'];

/** Column `n` (11, 12, ...) of a wider table: the standard columns' types in turn. */
function extraColumn(n: number): Column {
  const kinds: readonly Omit<Column, 'name'>[] = [
    { type: 'text NOT NULL', value: `'value ${n} of ' || g` },
    { type: 'integer NOT NULL', value: `(g + ${n}) % 1000` },
    { type: 'numeric(12, 2) NOT NULL', value: `((g + ${n}) % 100000) / 100.0` },
    { type: 'boolean NOT NULL', value: `(g + ${n}) % 2 = 0` },
    { type: 'timestamptz NOT NULL', value: 'now()' },
  ];
  return { name: `extra_${n}`, ...kinds[(n - 11) % kinds.length]! };
}

/** The table's columns for `columns`, in table order. */
function columnsOf(columns: number): Column[] {
  if (columns >= STANDARD.length)
    return [...STANDARD, ...Array.from({ length: columns - STANDARD.length }, (_, i) => extraColumn(11 + i))];
  const kept = new Set(KEPT_FIRST.slice(0, columns));
  return STANDARD.filter((c) => kept.has(c.name));
}

/** Bucket definition names: `global`, then `by_owner`, `by_owner_3`, `by_owner_4`, ... */
export function bucketNames(buckets: number): string[] {
  return Array.from({ length: buckets }, (_, i) =>
    i === 0 ? 'global' : i === 1 ? 'by_owner' : `by_owner_${i + 1}`,
  );
}

/** Why a shape cannot be generated, or null. */
export function shapeProblem(s: TableShape): string | null {
  if (!Number.isInteger(s.columns) || s.columns < MIN_COLUMNS || s.columns > MAX_COLUMNS)
    return `columns per row must be an integer from ${MIN_COLUMNS} to ${MAX_COLUMNS}, got ${s.columns}`;
  if (!Number.isInteger(s.buckets) || s.buckets < MIN_BUCKETS || s.buckets > MAX_BUCKETS)
    return `buckets per row must be an integer from ${MIN_BUCKETS} to ${MAX_BUCKETS}, got ${s.buckets}`;
  return null;
}

/** The statements and rules of one shape; every statement works on `items` in the search path. */
export interface ShapeSql {
  readonly shape: TableShape;
  readonly table: string;
  /** Sync rules in the syntax both systems read (`FROM items`, unqualified). */
  readonly rules: string;
  /** Inserts rows $1..$2 in one statement. */
  readonly insertRows: string;
  /**
   * Inserts rows $1..$2 in one statement and returns the WAL insert position after them, before
   * the commit: a checkpoint at or past it covers the transaction (up to another commit that lands
   * between the two, which is microseconds).
   */
  readonly insertRowsLsn: string;
  /** One single-row transaction: row $1. */
  readonly updateRow: string;
  /** Row $1 updated, returning the WAL position as insertRowsLsn does. */
  readonly updateRowLsn: string;
  /**
   * Row $1 updated and, in the same transaction, the write-checkpoint message $3 with prefix $2;
   * returns the WAL position as updateRowLsn does.
   */
  readonly updateRowProbe: string;
}

function rulesOf(names: readonly string[], columnList: string): string {
  const definitions = names.map((name) =>
    name === 'global'
      ? `  ${name}:\n    data:\n      - SELECT ${columnList} FROM items\n`
      : `  ${name}:\n    parameters: SELECT request.user_id() AS owner_id\n` +
        `    data:\n      - SELECT ${columnList} FROM items WHERE owner_id = bucket.owner_id\n`,
  );
  return `bucket_definitions:\n${definitions.join('')}`;
}

/** The table, rules and statements of `shape`; throws on a shape shapeProblem refuses. */
export function shapeSql(shape: TableShape): ShapeSql {
  const problem = shapeProblem(shape);
  if (problem !== null) throw new Error(problem);
  const columns = columnsOf(shape.columns);
  const columnList = columns.map((c) => c.name).join(', ');
  const table = `CREATE TABLE items (\n${columns.map((c) => `  ${c.name} ${c.type}`).join(',\n')}\n);`;
  const insertRows =
    `INSERT INTO items (${columnList}) SELECT ${columns.map((c) => c.value).join(', ')} ` +
    'FROM generate_series($1::int, $2::int) g';
  const hasQty = columns.some((c) => c.name === 'qty');
  const sets = ['counter = counter + 1', ...(hasQty ? ['qty = qty + 1'] : []), 'updated_at = now()'];
  const updateRow = `UPDATE items SET ${sets.join(', ')} WHERE id = $1`;
  const withLsn = (statement: string): string =>
    `WITH w AS (${statement} RETURNING 1)\n  SELECT pg_current_wal_insert_lsn()::text AS lsn FROM (SELECT count(*) FROM w) done`;
  return {
    shape,
    table,
    rules: rulesOf(bucketNames(shape.buckets), columnList),
    insertRows,
    insertRowsLsn: withLsn(insertRows),
    updateRow,
    updateRowLsn: withLsn(updateRow),
    updateRowProbe:
      `WITH w AS (${updateRow} RETURNING 1)\n  SELECT pg_logical_emit_message(true, $2, $3) AS message, ` +
      'pg_current_wal_insert_lsn()::text AS lsn\n  FROM (SELECT count(*) FROM w) done',
  };
}
