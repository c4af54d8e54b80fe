// Edition 3: `array && (SELECT c FROM ...)` (either way round), which PowerSync supports: some
// element of the JSON array equals a subquery row's c. Rows -> ops and lookups, requests ->
// buckets, and the forms that stay errors, at their position.
import type { SqliteRow } from '@syncline/sqlite-value';
import { compileSyncRules, createRequestContext, serializeParameterLookup } from '../src';
import { compileValid, lookupReader, streamsFile } from './helpers';

const RULES = streamsFile(`  followed:
    query: SELECT * FROM posts WHERE tags && (SELECT tag FROM follows WHERE user_id = auth.user_id())
  reversed:
    query: SELECT * FROM posts WHERE (SELECT tag FROM follows WHERE user_id = auth.user_id()) && tags
  claimed:
    query: SELECT * FROM reports WHERE auth.parameter('groups') && (SELECT id FROM groups WHERE active)
`);

const TABLES: Record<string, SqliteRow[]> = {
  follows: [
    { tag: 'a', user_id: 'u1' },
    { tag: 'c', user_id: 'u1' },
    { tag: 'b', user_id: 'u2' },
  ],
  groups: [
    { id: 'g1', active: 1n },
    { id: 'g2', active: 0n },
  ],
};

async function buckets(stream: string, token: object): Promise<string[]> {
  const rules = compileValid(RULES);
  const result = await rules.resolveStreamSubscriptions(
    createRequestContext(token, {}),
    { includeDefaults: false, subscriptions: [{ stream }] },
    lookupReader(rules, TABLES),
  );
  expect(result.errors).toEqual([]);
  return result.buckets.map((b) => b.bucket).sort();
}

describe('&& with a subquery', () => {
  test('compiles without diagnostics', () => {
    expect(compileSyncRules(RULES).diagnostics.map((d) => d.message)).toEqual([]);
  });

  test('a row array is partitioned by each element (both forms share one bucket)', () => {
    const ops = compileValid(RULES).evaluateRow('posts', { id: 'p', tags: '["a","b","a"]' });
    expect(ops.map((op) => op.bucket)).toEqual(['1#followed|0["a"]', '1#followed|0["b"]']);
  });

  test('the subquery table is a lookup by its own keys, storing the compared column', () => {
    const entries = compileValid(RULES).evaluateParameterRow('follows', { tag: 'a', user_id: 'u1' });
    expect(entries.map((e) => [serializeParameterLookup(e.lookup), e.parameters])).toEqual([
      ['lookup/0["u1"]', { '0': 'a' }],
    ]);
  });

  test.each<[string, string, object, string[]]>([
    ['row array && subquery', 'followed', { sub: 'u1' }, ['1#followed|0["a"]', '1#followed|0["c"]']],
    ['subquery && row array', 'reversed', { sub: 'u2' }, ['1#followed|0["b"]']],
    [
      'request array && subquery: some claimed group is active',
      'claimed',
      { sub: 'u', groups: ['g2', 'g1'] },
      ['1#claimed|0[]'],
    ],
    ['request array && subquery: no claimed group is active', 'claimed', { sub: 'u', groups: ['g2'] }, []],
  ])('%s', async (_name, stream, token, expected) => {
    expect(await buckets(stream, token)).toEqual(expected);
  });

  test.each<[string, string, number, RegExp]>([
    [
      'negated',
      'SELECT * FROM posts WHERE NOT (tags && (SELECT tag FROM follows))',
      43,
      /negated subqueries are not supported/,
    ],
    [
      'two subqueries',
      'SELECT * FROM posts WHERE (SELECT tag FROM follows) && (SELECT tag FROM f2)',
      39,
      /'&&' between two subqueries/,
    ],
  ])('%s is an error at its position', (_name, sql, column, message) => {
    const { diagnostics } = compileSyncRules(streamsFile(`  s:\n    query: ${sql}\n`));
    const found = diagnostics.find((d) => message.test(d.message));
    expect({ severity: found?.severity, line: found?.line, column: found?.column }).toEqual({
      severity: 'error',
      line: 5,
      column,
    });
  });
});
