// Editions 1-2 behaviours matched to PowerSync's legacy engine: the data `id` keeping its type,
// `_table_suffix` of wildcard tables, bare bucket parameters as conditions, and the validation
// errors for several `IN` expansions and for a priority set twice. None depends on the edition.
import { stringifyJson } from '@syncline/lossless-json';
import type { SqliteRow } from '@syncline/sqlite-value';
import { type SyncRules } from '../src';
import { compileValid } from './helpers';

describe('the data id keeps its type; the object id is its text', () => {
  const rules = compileValid(`
bucket_definitions:
  star:
    data:
      - SELECT * FROM t
  columns:
    data:
      - SELECT id, name FROM u
  mixed:
    data:
      - SELECT *, upper(name) AS name FROM v
  cast:
    data:
      - SELECT CAST(id AS text) AS id FROM w
`);
  // [row id, data JSON, object id] for `*`, named columns, and `*` mixed with columns.
  test.each([
    ['an integer', 42n, '{"id":42,"name":"n"}', '42'],
    ['a 64-bit integer', 9007199254740993n, '{"id":9007199254740993,"name":"n"}', '9007199254740993'],
    ['a real', 2.5, '{"id":2.5,"name":"n"}', '2.5'],
    ['a whole real (printed as JavaScript does)', 3.0, '{"id":3,"name":"n"}', '3'],
    ['text', 'abc', '{"id":"abc","name":"n"}', 'abc'],
    ['NULL', null, '{"id":null,"name":"n"}', ''],
    ['a blob (dropped from the data)', new Uint8Array([1]), '{"name":"n"}', ''],
  ] as const)('%s', (_name, id, dataJson, objectId) => {
    const row: SqliteRow = { id, name: 'n' };
    for (const table of ['t', 'u']) {
      const [op] = rules.evaluateRow(table, row);
      expect([stringifyJson(op?.data), op?.id]).toEqual([dataJson, objectId]);
    }
    const [mixed] = rules.evaluateRow('v', row);
    expect([stringifyJson(mixed?.data), mixed?.id]).toEqual([dataJson.replace('"n"', '"N"'), objectId]);
  });

  test("a missing id is left out of the data and gives the object id ''", () => {
    const [op] = rules.evaluateRow('t', { name: 'n' });
    expect([op?.data, op?.id]).toEqual([{ name: 'n' }, '']);
  });

  test('CAST(id AS text) syncs a text id, as in PowerSync', () => {
    const [op] = rules.evaluateRow('w', { id: 42n });
    expect([op?.data, op?.id]).toEqual([{ id: '42' }, '42']);
  });
});

/** `bucket | output table | object id | data JSON` of each op of the row, for table-driven cases. */
function opsOf(rules: SyncRules, table: string, row: SqliteRow): string[] {
  return rules
    .evaluateRow(table, row)
    .map((o) => `${o.bucket} | ${o.outputTable} | ${o.id} | ${stringifyJson(o.data)}`);
}

describe.each([1, 2] as const)('edition %i: wildcard tables and _table_suffix', (edition) => {
  const rules = compileValid(`config:
  edition: ${edition}
bucket_definitions:
  by_year:
    parameters: SELECT token_parameters.year AS year
    data:
      - SELECT *, _table_suffix AS year FROM "events_%" WHERE _table_suffix = bucket.year
      - SELECT id, _table_suffix AS suffix FROM "archive_%" AS archive WHERE archive._table_suffix = bucket.year
      - SELECT id FROM "logs_%" WHERE bucket.year = "logs_%"._table_suffix
      - SELECT id, _table_suffix AS suffix FROM plain WHERE year = bucket.year
`);
  const prefix = edition === 2 ? '1#' : '';
  // [name, table, row, ops as `bucket | output table | id | data JSON`], bucket names for edition 1.
  test.each([
    [
      'a wildcard table exposes the matched suffix as _table_suffix; * leaves it out',
      'events_2024',
      { id: 1n, title: 'x' },
      ['by_year["2024"] | events_2024 | 1 | {"id":1,"title":"x","year":"2024"}'],
    ],
    [
      'the suffix replaces a real _table_suffix column',
      'events_2024',
      { id: 2n, _table_suffix: '1999' },
      ['by_year["2024"] | events_2024 | 2 | {"id":2,"year":"2024"}'],
    ],
    [
      'an aliased wildcard reads the suffix through its alias and syncs as the alias',
      'public.archive_2023',
      { id: 'a1' },
      ['by_year["2023"] | archive | a1 | {"id":"a1","suffix":"2023"}'],
    ],
    [
      'the quoted pattern qualifies the suffix too',
      'logs_x',
      { id: 'l1' },
      ['by_year["x"] | logs_x | l1 | {"id":"l1"}'],
    ],
    [
      "a table named exactly the prefix has the suffix ''",
      'events_',
      { id: 3n },
      ['by_year[""] | events_ | 3 | {"id":3,"year":""}'],
    ],
    ['the wildcard prefix is literal: _ is not a LIKE placeholder', 'eventsX2024', { id: 4n }, []],
    ['another schema does not match', 'other.events_2024', { id: 5n }, []],
    [
      'a plain table has no suffix: _table_suffix is an ordinary (here missing) column',
      'plain',
      { id: 6n, year: 'y' },
      ['by_year["y"] | plain | 6 | {"id":6,"suffix":null}'],
    ],
  ] as [string, string, SqliteRow, string[]][])('%s', (_name, table, row, expected) => {
    expect(opsOf(rules, table, row)).toEqual(expected.map((e) => prefix + e));
  });

  test('a % inside a name is not a wildcard (PowerSync only reads a trailing %)', () => {
    const inner = compileValid('bucket_definitions:\n  b:\n    data:\n      - SELECT id FROM "a%b"\n');
    expect(opsOf(inner, 'aXb', { id: 'x' })).toEqual([]);
    expect(opsOf(inner, 'a%b', { id: 'x' })).toEqual(['b[] | a%b | x | {"id":"x"}']);
  });
});
