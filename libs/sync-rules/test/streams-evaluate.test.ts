// Edition 3 (sync streams) evaluated: rows -> bucket ops, rows -> parameter lookups, and requests
// (token, subscriptions, stored lookup rows) -> buckets, named as PowerSync names stream buckets.
import type { SqliteRow } from '@syncline/sqlite-value';
import { compileSyncRules, serializeParameterLookup } from '../src';
import { compileValid, streamsFile } from './helpers';

const LISTS = `  lists:
    auto_subscribe: true
    query: SELECT * FROM lists WHERE owner_id = auth.user_id()
`;
const TODOS = `  todos:
    query: SELECT * FROM todos WHERE list_id IN (SELECT id FROM lists WHERE owner_id = auth.user_id())
`;
const COMMENTS = `  comments:
    query: |
      SELECT * FROM comments WHERE todo_id IN
        (SELECT id FROM todos WHERE list_id IN (SELECT id FROM lists WHERE owner_id = auth.user_id()))
`;

describe('stream rows -> bucket ops', () => {
  test.each<[string, string, string, SqliteRow, string[]]>([
    ['global stream', '  all:\n    query: SELECT * FROM t\n', 't', { id: 'a' }, ['1#all|0[]']],
    ['other table', '  all:\n    query: SELECT * FROM t\n', 'u', { id: 'a' }, []],
    ['auth.user_id()', LISTS, 'lists', { id: 'l1', owner_id: 'u1' }, ['1#lists|0["u1"]']],
    ['NULL owner matches nothing', LISTS, 'lists', { id: 'l1', owner_id: null }, []],
    ['integer owner', LISTS, 'lists', { id: 'l1', owner_id: 7n }, ['1#lists|0[7]']],
    [
      'auth.parameter()',
      "  org:\n    query: SELECT * FROM projects WHERE org_id = auth.parameter('org')\n",
      'projects',
      { id: 'p', org_id: 'o1' },
      ['1#org|0["o1"]'],
    ],
    [
      'subscription.parameter()',
      "  s:\n    accept_potentially_dangerous_queries: true\n    query: SELECT * FROM todos WHERE list_id = subscription.parameter('list')\n",
      'todos',
      { id: 't', list_id: 'l1' },
      ['1#s|0["l1"]'],
    ],
    [
      'connection.parameter()',
      "  s:\n    accept_potentially_dangerous_queries: true\n    query: SELECT * FROM config WHERE env = connection.parameter('env')\n",
      'config',
      { id: 'c', env: 'prod' },
      ['1#s|0["prod"]'],
    ],
    [
      'IN subquery: partitioned by the outer column',
      TODOS,
      'todos',
      { id: 't1', list_id: 'l1' },
      ['1#todos|0["l1"]'],
    ],
    [
      'row filter with a parameter',
      '  s:\n    query: SELECT * FROM t WHERE owner = auth.user_id() AND NOT archived\n',
      't',
      { id: 'a', owner: 'u', archived: 1n },
      [],
    ],
    [
      'request JSON array: one bucket per row value',
      "  s:\n    query: SELECT * FROM t WHERE project IN auth.parameter('projects')\n",
      't',
      { id: 'a', project: 'p2' },
      ['1#s|0["p2"]'],
    ],
    [
      'row JSON array: one bucket per element',
      '  s:\n    query: SELECT * FROM t WHERE auth.user_id() IN members\n',
      't',
      { id: 'a', members: '["u1","u2","u1",null]' },
      ['1#s|0["u1"]', '1#s|0["u2"]'],
    ],
    [
      'OR of a row filter and a request filter: two buckets',
      "  s:\n    query: SELECT * FROM notes WHERE is_public OR auth.parameter('admin')\n",
      'notes',
      { id: 'n', is_public: 1n },
      ['1#s|0[]', '1#s|1[]'],
    ],
    [
      'OR of two parameters: one bucket each',
      "  s:\n    query: SELECT * FROM t WHERE a = auth.user_id() OR b = auth.parameter('org')\n",
      't',
      { id: 'x', a: 'u', b: 'o' },
      ['1#s|0["u"]', '1#s|1["o"]'],
    ],
    [
      'OR of row filters stays one bucket',
      '  s:\n    query: SELECT * FROM t WHERE a = 1 OR b = 2\n',
      't',
      { id: 'x', a: 1n, b: 0n },
      ['1#s|0[]'],
    ],
    [
      'two queries with the same parameter share one bucket',
      '  s:\n    queries:\n      - SELECT * FROM a WHERE owner = auth.user_id()\n      - SELECT * FROM b WHERE user_id = auth.user_id()\n',
      'b',
      { id: 'x', user_id: 'u' },
      ['1#s|0["u"]'],
    ],
    [
      'two parameters in PowerSync order (by a hash of the column), not as written',
      "  s:\n    query: SELECT * FROM t WHERE c1 = auth.parameter('a') AND c2 = auth.user_id()\n",
      't',
      { id: 'x', c1: 'A', c2: 1n },
      ['1#s|0[1,"A"]'],
    ],
    [
      'the same parameters written in another order share the bucket',
      "  s:\n    queries:\n      - SELECT * FROM stores WHERE region = subscription.parameter('region') AND org = auth.parameter('org')\n      - SELECT * FROM products WHERE org = auth.parameter('org') AND region = subscription.parameter('region')\n",
      'products',
      { id: 'p', org: 'o', region: 'r' },
      ['1#s|0["r","o"]'],
    ],
    [
      'json_each over a row array in FROM: one bucket per element',
      "  s:\n    query: SELECT posts.* FROM posts, json_each(posts.tags) AS t WHERE t.value = auth.parameter('tag')\n",
      'posts',
      { id: 'p', tags: '["a","b"]' },
      ['1#s|0["a"]', '1#s|0["b"]'],
    ],
    [
      'IN ARRAY[...] is a row filter',
      "  s:\n    query: SELECT * FROM t WHERE state IN ARRAY['open', 'done']\n",
      't',
      { id: 'x', state: 'closed' },
      [],
    ],
  ])('%s', (_name, streams, table, row, expected) => {
    const rules = compileValid(streamsFile(streams));
    expect(
      rules
        .evaluateRow(table, row)
        .map((op) => op.bucket)
        .sort(),
    ).toEqual(expected);
  });

  test('an expression column without AS is named by its text, as PowerSync names it', () => {
    const result = compileSyncRules(streamsFile('  s:\n    query: SELECT id, upper(name) FROM todos\n'));
    expect(result.diagnostics.map((d) => [d.severity, d.line, d.column, d.message])).toEqual([
      ['warning', 5, 23, 'The name of this column is unspecified, consider adding an alias'],
    ]);
    expect(result.rules?.evaluateRow('todos', { id: 'x', name: 'a' })).toEqual([
      { bucket: '1#s|0[]', outputTable: 'todos', id: 'x', data: { id: 'x', 'upper(name)': 'A' } },
    ]);
  });

  test('the op carries the selected columns under the table alias', () => {
    const rules = compileValid(
      streamsFile('  s:\n    query: SELECT id, upper(name) AS name FROM todos AS items\n'),
    );
    expect(rules.evaluateRow('todos', { id: 1n, name: 'a', secret: 'x' })).toEqual([
      { bucket: '1#s|0[]', outputTable: 'items', id: '1', data: { id: 1n, name: 'A' } },
    ]);
  });

  test('a stream whose data side equals an earlier stream reuses its bucket, as in PowerSync', () => {
    const rules = compileValid(
      streamsFile(
        `${LISTS}  lists_by_param:\n    accept_potentially_dangerous_queries: true\n    query: SELECT * FROM lists WHERE owner_id = subscription.parameter('owner')\n`,
      ),
    );
    expect(rules.evaluateRow('lists', { id: 'l1', owner_id: 'u1' }).map((op) => op.bucket)).toEqual([
      '1#lists|0["u1"]',
    ]);
  });

  test('edition 3 files get no version prefix when versioned_bucket_ids is off', () => {
    const rules = compileValid(`config:\n  edition: 3\n  versioned_bucket_ids: false\nstreams:\n${LISTS}`);
    expect(rules.evaluateRow('lists', { id: 'l', owner_id: 'u' })[0]?.bucket).toBe('lists|0["u"]');
  });
});

describe('stream rows -> parameter lookups', () => {
  test.each<[string, string, string, SqliteRow, [string, object][]]>([
    ['subquery table', TODOS, 'lists', { id: 'l1', owner_id: 'u1' }, [['lookup/0["u1"]', { '0': 'l1' }]]],
    ['the synced table is not a lookup', TODOS, 'todos', { id: 't1', list_id: 'l1' }, []],
    [
      'nested subquery: each table its own lookup',
      COMMENTS,
      'todos',
      { id: 't1', list_id: 'l1' },
      [['lookup/0["l1"]', { '0': 't1' }]],
    ],
    [
      'subquery filter',
      '  s:\n    query: SELECT * FROM t WHERE g IN (SELECT id FROM groups WHERE owner = auth.user_id() AND active)\n',
      'groups',
      { id: 'g1', owner: 'u', active: 0n },
      [],
    ],
    [
      'row JSON array key in a subquery',
      '  s:\n    query: SELECT * FROM t WHERE g IN (SELECT id FROM groups WHERE auth.user_id() IN members)\n',
      'groups',
      { id: 'g1', members: '["a","b"]' },
      [
        ['lookup/0["a"]', { '0': 'g1' }],
        ['lookup/0["b"]', { '0': 'g1' }],
      ],
    ],
    [
      'existence check (request value IN subquery)',
      '  s:\n    query: SELECT * FROM t WHERE auth.user_id() IN (SELECT id FROM admins WHERE active)\n',
      'admins',
      { id: 'u1', active: 1n },
      [['lookup/0["u1"]', {}]],
    ],
  ])('%s', (_name, streams, table, row, expected) => {
    const rules = compileValid(streamsFile(streams));
    const entries = rules.evaluateParameterRow(table, row);
    expect(entries.map((e) => [serializeParameterLookup(e.lookup), e.parameters])).toEqual(expected);
    expect(rules.usesTable(table)).toBe(true);
  });

  test('equal subqueries in two streams share one lookup', () => {
    const rules = compileValid(
      streamsFile(
        `${TODOS}  todos2:\n    query: SELECT * FROM todos2 WHERE list_id IN (SELECT id FROM lists WHERE owner_id = auth.user_id())\n`,
      ),
    );
    expect(rules.evaluateParameterRow('lists', { id: 'l1', owner_id: 'u1' })).toHaveLength(1);
  });
});
