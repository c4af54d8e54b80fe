// Edition 3: joins that reach one table through two paths, or meet values of several joined
// tables in one bucket parameter. PowerSync supports them by tracking which row each value came
// from; so does Syncline (bindings of one stored row per lookup). Rows -> ops and lookups, and
// request + lookup rows -> buckets: values of different rows never combine.
import type { SqliteRow } from '@syncline/sqlite-value';
import { compileSyncRules, createRequestContext, serializeParameterLookup } from '../src';
import { compileValid, lookupReader, streamsFile } from './helpers';

const RULES = streamsFile(`  circle:
    query: |
      SELECT a.* FROM a, b, c, d
        WHERE a.c1 = b.c1 AND b.c2 = c.c2 AND c.c3 = d.c3 AND d.c4 = a.c4 AND d.u = auth.user_id()
  two_tables:
    query: |
      SELECT a.* FROM a, b, c
        WHERE a.x = b.x AND a.x = c.x AND a.y = b.y AND b.u = auth.user_id() AND c.u = auth.user_id()
  correlated:
    query: |
      SELECT * FROM t
        WHERE a IN (SELECT x FROM u WHERE u.k = t.b AND u.owner = auth.user_id())
          AND b IN (SELECT k FROM u2 WHERE u2.k = t.b AND u2.owner = auth.user_id())
`);

const TABLES: Record<string, SqliteRow[]> = {
  d: [
    { c3: 1n, c4: 'X', u: 'u1' },
    { c3: 2n, c4: 'Y', u: 'u1' },
    { c3: 3n, c4: 'Z', u: 'u2' },
  ],
  c: [
    { c3: 1n, c2: 10n, x: 'k1', u: 'u1' },
    { c3: 2n, c2: 20n, x: 'k2', u: 'u2' },
  ],
  b: [
    { c2: 10n, c1: 'p', x: 'k1', y: 'one', u: 'u1' },
    { c2: 20n, c1: 'q', x: 'k2', y: 'two', u: 'u1' },
  ],
  u: [
    { k: 'K1', x: 'A', owner: 'u1' },
    { k: 'K2', x: 'B', owner: 'u1' },
  ],
  u2: [{ k: 'K2', owner: 'u1' }],
};

async function buckets(stream: string, sub: string): Promise<string[]> {
  const rules = compileValid(RULES);
  const result = await rules.resolveStreamSubscriptions(
    createRequestContext({ sub }, {}),
    { includeDefaults: false, subscriptions: [{ stream }] },
    lookupReader(rules, TABLES),
  );
  expect(result.errors).toEqual([]);
  return result.buckets.map((b) => b.bucket).sort();
}

describe('joins through two paths', () => {
  test('compile without diagnostics', () => {
    expect(compileSyncRules(RULES).diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([]);
  });

  test.each<[string, string, string, string[]]>([
    // d binds c4 and, through c and b, c1: (p, X) and (q, Y), never (p, Y) or (q, X). Parameters
    // are in PowerSync's order (by the hash of each column), here c4 before c1.
    ['a cycle of four tables', 'circle', 'u1', ['1#circle|0["X","p"]', '1#circle|0["Y","q"]']],
    ['a cycle whose chain finds nothing', 'circle', 'u2', []],
    // a.x must equal both b.x and c.x of rows the user reaches; a.y comes from the same b row.
    ['one parameter from two tables', 'two_tables', 'u1', ['1#two_tables|0["one","k1"]']],
    ['one of the two tables finds nothing', 'two_tables', 'u2', []],
    // t.b takes u.k and u2.k of rows that agree; t.a comes from the same u row.
    ['two correlated subqueries on one column', 'correlated', 'u1', ['1#correlated|0["B","K2"]']],
  ])('%s', async (_name, stream, sub, expected) => {
    expect(await buckets(stream, sub)).toEqual(expected);
  });

  test.each<[string, SqliteRow, string[]]>([
    ['circle', { c1: 'p', c4: 'X' }, ['1#circle|0["X","p"]']],
    ['two_tables', { x: 'k1', y: 'one' }, ['1#two_tables|0["one","k1"]']],
  ])('the data side of %s names the same buckets', (stream, row, expected) => {
    const rules = compileValid(RULES);
    const ops = rules.evaluateRow('a', { id: 'r', c1: null, c4: null, x: null, y: null, ...row });
    expect(ops.map((op) => op.bucket).filter((b) => b.startsWith(`1#${stream}|`))).toEqual(expected);
  });
});

describe('a joined table’s JSON array (column = json_each(other.array).value)', () => {
  const ARRAYS = streamsFile(`  org_users:
    query: |
      SELECT users.* FROM users, orgs, json_each(orgs.members) AS m
        WHERE users.id = m.value AND orgs.id = auth.parameter('org')
  org_users_in:
    query: SELECT users.* FROM users, orgs WHERE users.id IN orgs.members AND orgs.id = auth.parameter('org')
  tagged_pairs:
    query: SELECT a.* FROM a, b, json_each(a.tags) AS j WHERE a.k = b.k AND j.value = b.v AND b.u = auth.user_id()
`);
  const ORGS = {
    orgs: [
      { id: 'o1', members: '["u1","u2",null]' },
      { id: 'o2', members: '["u3"]' },
    ],
    b: [
      { k: 1n, v: 'x', u: 'u1' },
      { k: 2n, v: 'y', u: 'u1' },
    ],
  };

  test('compiles without diagnostics', () => {
    expect(compileSyncRules(ARRAYS).diagnostics.map((d) => d.message)).toEqual([]);
  });

  test('the lookup stores one row per element of the array', () => {
    const entries = compileValid(ARRAYS).evaluateParameterRow('orgs', ORGS.orgs[0]!);
    expect(entries.map((e) => [serializeParameterLookup(e.lookup), e.parameters])).toEqual([
      ['lookup/0["o1"]', { '0': 'u1' }],
      ['lookup/0["o1"]', { '0': 'u2' }],
    ]);
  });

  test.each<[string, string, object, string[]]>([
    [
      'json_each in FROM',
      'org_users',
      { sub: 's', org: 'o1' },
      ['1#org_users|0["u1"]', '1#org_users|0["u2"]'],
    ],
    [
      'IN other_table.array: the same bucket',
      'org_users_in',
      { sub: 's', org: 'o2' },
      ['1#org_users|0["u3"]'],
    ],
    // a.k and the element of a.tags come from one b row: (1, x) and (2, y), never (1, y). The
    // element comes first, as in PowerSync's plan of this query (its partitionBy order).
    [
      'an array of the synced table against a lookup row',
      'tagged_pairs',
      { sub: 'u1' },
      ['1#tagged_pairs|0["x",1]', '1#tagged_pairs|0["y",2]'],
    ],
  ])('%s', async (_name, stream, token, expected) => {
    const rules = compileValid(ARRAYS);
    const result = await rules.resolveStreamSubscriptions(
      createRequestContext(token, {}),
      { includeDefaults: false, subscriptions: [{ stream }] },
      lookupReader(rules, ORGS),
    );
    expect(result.errors).toEqual([]);
    expect(result.buckets.map((b) => b.bucket).sort()).toEqual(expected);
  });

  test('the synced row with an array goes to one bucket per element', () => {
    const ops = compileValid(ARRAYS).evaluateRow('a', { id: 'r', k: 1n, tags: '["x","z"]' });
    expect(ops.map((op) => op.bucket)).toEqual(['1#tagged_pairs|0["x",1]', '1#tagged_pairs|0["z",1]']);
  });
});
