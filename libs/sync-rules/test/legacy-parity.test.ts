// Editions 1-2 behaviours matched to PowerSync's legacy engine: the data `id` keeping its type,
// `_table_suffix` of wildcard tables, bare bucket parameters as conditions, and the validation
// errors for several `IN` expansions and for a priority set twice. None depends on the edition.
import { stringifyJson } from '@syncline/lossless-json';
import type { SqliteRow } from '@syncline/sqlite-value';
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
