// CASE and BETWEEN: PowerSync's sync streams compiler accepts them (its bucket definitions do not).
// Evaluated with SQLite's rules in synced columns, filters and bucket parameters; an error with its
// position in editions 1-2.
import type { SqliteRow } from '@syncline/sqlite-value';
import { compileSyncRules } from '../src';
import { compileValid, streamsFile } from './helpers';

function evaluate(sql: string, row: SqliteRow): unknown[] {
  const rules = compileValid(streamsFile(`  s:\n    auto_subscribe: true\n    query: ${sql}\n`));
  return rules.evaluateRow('t', row).map((op) => [op.bucket, op.data]);
}

describe('CASE and BETWEEN in sync streams', () => {
  test.each<[string, string, SqliteRow, unknown[]]>([
    [
      'searched CASE: the first true WHEN',
      "SELECT id, CASE WHEN n > 5 THEN 'big' WHEN n > 1 THEN 'mid' ELSE 'small' END AS size FROM t",
      { id: 'a', n: 3n },
      [['1#s|0[]', { id: 'a', size: 'mid' }]],
    ],
    [
      'searched CASE: NULL is not true, no ELSE gives NULL',
      "SELECT id, CASE WHEN n > 5 THEN 'big' END AS size FROM t",
      { id: 'a', n: null },
      [['1#s|0[]', { id: 'a', size: null }]],
    ],
    [
      'simple CASE compares with =',
      "SELECT id, CASE kind WHEN 'x' THEN 1 WHEN 'y' THEN 2 ELSE 0 END AS k FROM t",
      { id: 'a', kind: 'y' },
      [['1#s|0[]', { id: 'a', k: 2n }]],
    ],
    [
      'simple CASE: a NULL subject matches no WHEN NULL',
      'SELECT id, CASE kind WHEN NULL THEN 1 ELSE 0 END AS k FROM t',
      { id: 'a', kind: null },
      [['1#s|0[]', { id: 'a', k: 0n }]],
    ],
    [
      'in a row filter',
      'SELECT id FROM t WHERE CASE WHEN archived THEN 0 ELSE 1 END',
      { id: 'a', archived: 1n },
      [],
    ],
    [
      'as a bucket parameter',
      "SELECT id FROM t WHERE CASE WHEN n > 5 THEN 'big' ELSE 'small' END = connection.parameter('size')",
      { id: 'a', n: 9n },
      [['1#s|0["big"]', { id: 'a' }]],
    ],
    [
      'BETWEEN includes both ends',
      'SELECT id, n BETWEEN 1 AND 3 AS low, n NOT BETWEEN 1 AND 2 AS out FROM t',
      { id: 'a', n: 3n },
      [['1#s|0[]', { id: 'a', low: 1n, out: 1n }]],
    ],
    [
      'BETWEEN with a NULL bound is NULL unless the other bound already fails',
      'SELECT id, n BETWEEN NULL AND 3 AS a, n BETWEEN NULL AND 1 AS b FROM t',
      { id: 'a', n: 2n },
      [['1#s|0[]', { id: 'a', a: null, b: 0n }]],
    ],
    ['BETWEEN as a row filter', 'SELECT id FROM t WHERE n BETWEEN 1 AND 3', { id: 'a', n: 4n }, []],
  ])('%s', (_name, sql, row, expected) => {
    const yaml = streamsFile(`  s:\n    auto_subscribe: true\n    query: ${sql}\n`);
    expect(compileSyncRules(yaml).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(evaluate(sql, row)).toEqual(expected);
  });

  test('CASE is an error at its position in bucket definitions', () => {
    const yaml =
      'bucket_definitions:\n  b:\n    data:\n      - SELECT id, CASE WHEN n > 5 THEN 1 END AS big FROM t\n';
    const errors = compileSyncRules(yaml).diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.line, d.column, d.message])).toEqual([
      [4, 20, 'CASE expressions are not supported; use iif()'],
    ]);
  });
});
