// The text PowerSync hashes to order a stream bucket's parameters (its SQL printer's output with
// row values as `?`, then the columns read), and the order it gives bucket names.
import { parse, type Expr } from 'pgsql-ast-parser';
import { partitionHashText } from '../src/partition-order';
import { compileValid, streamsFile } from './helpers';

function expr(sql: string): Expr {
  const [statement] = parse(`SELECT ${sql}`);
  return (statement as { columns: { expr: Expr }[] }).columns[0]!.expr;
}

describe('partition hash text', () => {
  test.each<[string, boolean, string | undefined]>([
    ['owner', false, '?owner'],
    ['t.owner', false, '?owner'],
    ['lower(name)', false, '"lower"(?)name'],
    ['substr(name, 1, 3)', false, '"substr"(?, 1, 3)name'],
    ["data ->> 'org'", false, `"->>"(?, 'org')data`],
    ['data -> 0', false, '"->"(?, 0)data'],
    ['CAST(n AS text)', false, 'CAST(? AS text)n'],
    // PowerSync's printer parenthesises a left operand of the same precedence.
    ["a || '-' || b", false, "(? || '-') || ?ab"],
    ['(a + b) * c', false, '(? + ?) * ?abc'],
    ['t.table_suffix()', false, '?table.table_suffix'],
    ['tags', true, 'json_each?tags?value'],
    ["meta ->> 'tags'", true, `json_each"->>"(?, 'tags')meta?value`],
    ['a = b', false, undefined],
    ['CASE WHEN a THEN 1 END', false, undefined],
  ])('%s', (sql, expands, expected) => {
    expect(partitionHashText(expr(sql), expands)).toBe(expected);
  });
});

describe('bucket parameter order', () => {
  test('expression keys are ordered by their hash, whichever is written first', () => {
    const rules = compileValid(
      streamsFile(`  s:
    queries:
      - SELECT * FROM a WHERE lower(name) = auth.parameter('n') AND org = auth.user_id()
      - SELECT * FROM b WHERE org = auth.user_id() AND lower(name) = auth.parameter('n')
`),
    );
    const row = { id: 'r', name: 'X', org: 'o' };
    const [fromA] = rules.evaluateRow('a', row);
    const [fromB] = rules.evaluateRow('b', row);
    expect(fromA?.bucket).toBe(fromB?.bucket);
    expect(fromA?.bucket).toBe('1#s|0["x","o"]');
  });
});
