// Edition 3: `array && (SELECT c FROM ...)` (either way round), which PowerSync supports: some
// element of the JSON array equals a subquery row's c; and `&&` between two subqueries. Rows -> ops and lookups, requests ->
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
      'two subqueries, negated',
      'SELECT * FROM posts WHERE NOT ((SELECT tag FROM follows) && (SELECT tag FROM f2))',
      43,
      /negated subqueries are not supported/,
    ],
    [
      'two subqueries, the first of two columns',
      'SELECT * FROM posts WHERE (SELECT tag, user_id FROM follows) && (SELECT tag FROM f2)',
      39,
      /Must return a single expression column/,
    ],
    [
      'two subqueries, the second of two columns',
      'SELECT * FROM posts WHERE (SELECT tag FROM follows) && (SELECT tag, id FROM f2)',
      68,
      /Must return a single expression column/,
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

// As in PowerSync, `(SELECT a FROM t1 ...) && (SELECT b FROM t2 ...)` joins both tables to the
// query, linked by `t1.a = t2.b`: some row of the first has a value some row of the second has.
describe('&& between two subqueries', () => {
  const TWO = streamsFile(`  paid:
    query: SELECT * FROM posts WHERE (SELECT org FROM members WHERE user_id = auth.user_id()) && (SELECT id FROM orgs WHERE paid)
  tagged:
    query: SELECT * FROM posts WHERE (SELECT tag FROM follows WHERE user_id = auth.user_id()) && (SELECT tag FROM post_tags WHERE post_tags.post_id = posts.id)
  claimed:
    query: SELECT * FROM reports WHERE (SELECT value FROM json_each(auth.parameter('orgs'))) && (SELECT id FROM orgs WHERE paid)
`);
  const TABLES_TWO: Record<string, SqliteRow[]> = {
    members: [
      { org: 'o1', user_id: 'u1' },
      { org: 'o2', user_id: 'u2' },
    ],
    orgs: [
      { id: 'o1', paid: 1n },
      { id: 'o2', paid: 0n },
    ],
    follows: [{ tag: 'a', user_id: 'u1' }],
    post_tags: [
      { tag: 'a', post_id: 'p1' },
      { tag: 'b', post_id: 'p2' },
    ],
  };

  test('compiles without diagnostics', () => {
    expect(compileSyncRules(TWO).diagnostics.map((d) => d.message)).toEqual([]);
  });

  test.each<[string, SqliteRow, string[], [string, object][]]>([
    ['posts', { id: 'p1' }, ['1#paid|0[]', '1#tagged|0["p1"]'], []],
    ['reports', { id: 'r1' }, ['1#claimed|0[]'], []],
    ['members', { org: 'o1', user_id: 'u1' }, [], [['lookup/1["u1"]', { '0': 'o1' }]]],
    ['orgs', { id: 'o1', paid: 1n }, [], [['lookup/0["o1"]', {}]]],
    ['orgs', { id: 'o2', paid: 0n }, [], []],
    ['follows', { tag: 'a', user_id: 'u1' }, [], [['lookup/3["u1"]', { '0': 'a' }]]],
    ['post_tags', { tag: 'a', post_id: 'p1' }, [], [['lookup/2["a"]', { '0': 'p1' }]]],
  ])('a %s row: ops and lookups', (table, row, ops, lookups) => {
    const rules = compileValid(TWO);
    expect(rules.evaluateRow(table, row).map((op) => op.bucket)).toEqual(ops);
    const entries = rules.evaluateParameterRow(table, row);
    expect(entries.map((e) => [serializeParameterLookup(e.lookup), e.parameters])).toEqual(lookups);
  });

  test.each<[string, string[]]>([
    ['u1', ['1#paid|0[]', '1#tagged|0["p1"]']],
    ['u2', []],
    ['u3', ['1#claimed|0[]']],
  ])('user %s gets the buckets both subqueries meet in', async (sub, expected) => {
    const rules = compileValid(TWO);
    const result = await rules.resolveStreamSubscriptions(
      createRequestContext({ sub, orgs: sub === 'u3' ? ['o2', 'o1'] : ['o2'] }, {}),
      {
        includeDefaults: false,
        subscriptions: [{ stream: 'paid' }, { stream: 'tagged' }, { stream: 'claimed' }],
      },
      lookupReader(rules, TABLES_TWO),
    );
    expect(result.errors).toEqual([]);
    expect(result.buckets.map((b) => b.bucket).sort()).toEqual(expected);
  });
});
