// The text PowerSync hashes to order a stream bucket's parameters (its SQL printer's output with
// row values as `?`, then the columns read), and the order it gives bucket names.
import { parse, type Expr } from 'pgsql-ast-parser';
import { partitionHashText } from '../src/partition-order';
import { createRequestContext } from '../src';
import { compileValid, lookupReader, streamsFile } from './helpers';

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
    ['a = b', false, '? = ?ab'],
    ['a != b', false, 'not ? = ?ab'],
    ['score > 5', false, '? > 5score'],
    ['a IS NULL', false, '? is NULLa'],
    ['a IS NOT NULL', false, 'not ? is NULLa'],
    ['a IS TRUE', false, '? is 1a'],
    ['NOT archived', false, 'not ?archived'],
    ["CASE WHEN a > 1 THEN 'hi' ELSE 'lo' END", false, "CASE WHEN ? > 1 THEN 'hi' ELSE 'lo' ENDa"],
    ['CASE kind WHEN 1 THEN a END', false, 'CASE ? WHEN 1 THEN ? ENDkinda'],
    ['score * 1.5', false, '? * 1.5score'],
    ['score * 2.0', false, '? * 2.0score'],
    ['n BETWEEN 1 AND 5', false, '? BETWEEN 1 AND 5n'],
    ['n IN (1, 2)', false, '? IN (1, 2)n'],
    ['(a = 1) = (b = 2)', false, '(? = 1) = (? = 2)ab'],
    ['a = 1 AND b', false, '? = 1 and ?ab'],
    ['NOT (a OR b)', false, 'not (? or ?)ab'],
    ['a LIKE b', false, undefined],
    ['-a', false, undefined],
  ])('%s', (sql, expands, expected) => {
    expect(partitionHashText(expr(sql), expands)).toBe(expected);
  });
});

// PowerSync's own expectations for its SQLite printer (sync-rules test/src/compiler/sqlite.test.ts);
// expressions without row values hash as exactly that text.
describe("PowerSync's printer cases", () => {
  test.each<[string, string]>([
    ['null', 'NULL'],
    ['true', '1'],
    ['false', '0'],
    ["''", "''"],
    ["'escaped''string'", "'escaped''string'"],
    ['0', '0'],
    ['-0', '-0'],
    ['123.45', '123.45'],
    ["substring('val' from 2 for 3)", `"substr"('val', 2, 3)`],
    ["substring('PowerSync' for 5)", `"substr"('PowerSync', 1, 5)`],
    ["substring('PowerSync' from 6)", `"substr"('PowerSync', 6)`],
    ['1 IN ARRAY[1,2,3]', '1 IN (1, 2, 3)'],
    ['1 IN ARRAY[]', 'FALSE'],
    ['1 NOT IN ROW(1, 2, 3)', 'not 1 IN (1, 2, 3)'],
    ['(2+3) * 4', '(2 + 3) * 4'],
    ['CAST(123 AS REAL)', 'CAST(123 AS real)'],
    ['3 BETWEEN 4 AND 5', '3 BETWEEN 4 AND 5'],
    ['CASE WHEN 1 THEN 2 ELSE 3 END', 'CASE WHEN 1 THEN 2 ELSE 3 END'],
    ['CASE 1 WHEN 2 THEN 3 ELSE 4 END', 'CASE 1 WHEN 2 THEN 3 ELSE 4 END'],
    ['CASE WHEN 1 THEN 2 END', 'CASE WHEN 1 THEN 2 END'],
    ['1 ->> 2', '"->>"(1, 2)'],
    ["1 -> '$.foo'", `"->"(1, '$.foo')`],
    ['1 IS NOT NULL', 'not 1 is NULL'],
    ['NOT 1', 'not 1'],
  ])('%s', (sql, expected) => {
    expect(partitionHashText(expr(sql), false)).toBe(expected);
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

  // The expected names follow from the hash (checked against PowerSync's plans for columns); both
  // written orders must give the same name.
  test.each<[string, string, string]>([
    ['a comparison', '(score > 5)', '1#s|0[1,"t"]'],
    ['IS NULL', '(closed_at IS NULL)', '1#s|0["t",1]'],
    ['!=', "(status != 'done')", '1#s|0[1,"t"]'],
    ['a float literal', 'score * 0.5', '1#s|0[5,"t"]'],
    ['CASE', "CASE WHEN score > 5 THEN 'hi' ELSE 'lo' END", '1#s|0["hi","t"]'],
  ])('a key with %s is ordered by its hash like PowerSync', (_kind, key, bucket) => {
    const rules = compileValid(
      streamsFile(`  s:
    queries:
      - SELECT * FROM a WHERE ${key} = auth.parameter('k') AND team = auth.user_id()
      - SELECT * FROM b WHERE team = auth.user_id() AND ${key} = auth.parameter('k')
`),
    );
    const row = { id: 'r', team: 't', score: 10, closed_at: null, status: 'open' };
    const [fromA] = rules.evaluateRow('a', row);
    const [fromB] = rules.evaluateRow('b', row);
    expect(fromA?.bucket).toBe(fromB?.bucket);
    expect(fromA?.bucket).toBe(bucket);
  });

  test('a request reaches the bucket a row goes to, parameters in the same order', async () => {
    const rules = compileValid(
      streamsFile(`  s:
    query: SELECT * FROM a WHERE (closed_at IS NULL) = subscription.parameter('open') AND team = auth.user_id()
`),
    );
    const [op] = rules.evaluateRow('a', { id: 'r', team: 't', closed_at: null });
    const { buckets, errors } = await rules.resolveStreamSubscriptions(
      createRequestContext({ sub: 't' }, {}),
      { includeDefaults: false, subscriptions: [{ stream: 's', parameters: { open: 1 } }] },
      lookupReader(rules, {}),
    );
    expect(errors).toEqual([]);
    expect(buckets.map((b) => b.bucket)).toEqual(['1#s|0["t",1]']);
    expect(op?.bucket).toBe('1#s|0["t",1]');
  });
});
