// Edition 3 request side: token + connection parameters + subscriptions + stored lookup rows ->
// buckets with their priority and the subscriptions that reached them; the rows a user receives.
import type { SqliteRow } from '@syncline/sqlite-value';
import { createRequestContext, type StreamSubscription, type SubscribedBucket } from '../src';
import { stringifyJson } from '@syncline/lossless-json';
import { compileValid, lookupReader } from './helpers';

const RULES = `config:
  edition: 3
with:
  my_lists: SELECT id FROM lists WHERE owner_id = auth.user_id()
streams:
  lists:
    auto_subscribe: true
    query: SELECT * FROM lists WHERE owner_id = auth.user_id()
  todos:
    priority: 2
    query: SELECT * FROM todos WHERE list_id IN (SELECT id FROM lists WHERE owner_id = auth.user_id())
  list_todos:
    query: |
      SELECT * FROM todos WHERE list_id = subscription.parameter('list')
        AND list_id IN (SELECT id FROM lists WHERE owner_id = auth.user_id())
  comments:
    query: |
      SELECT * FROM comments WHERE todo_id IN
        (SELECT id FROM todos WHERE list_id IN (SELECT id FROM lists WHERE owner_id = auth.user_id()))
  by_project:
    query: SELECT * FROM tasks WHERE project_id IN auth.parameter('projects')
  admin_notes:
    priority: 1
    query: SELECT * FROM notes WHERE is_public OR auth.parameter('admin')
  shared:
    query: SELECT * FROM docs WHERE auth.user_id() IN editors
  ops:
    query: SELECT * FROM incidents WHERE auth.user_id() IN (SELECT id FROM admins WHERE active)
  not_archived:
    query: |
      SELECT * FROM todos WHERE NOT (list_id NOT IN (SELECT id FROM lists WHERE owner_id = auth.user_id()))
        AND state IN ARRAY['open', 'done']
  if_admins:
    query: SELECT * FROM reports WHERE 'u1' IN (SELECT id FROM admins WHERE active)
  joined:
    query: |
      SELECT comments.* FROM comments
        JOIN todos ON comments.todo_id = todos.id
        JOIN lists ON todos.list_id = lists.id
      WHERE lists.owner_id = auth.user_id()
  pairs:
    query: SELECT a.* FROM a, b WHERE a.c1 = b.c1 AND a.c2 = b.c2 AND b.u = auth.user_id()
  tagged:
    query: SELECT posts.* FROM posts, json_each(posts.tags) AS t WHERE t.value = auth.parameter('tag')
  my_projects:
    query: SELECT * FROM projects WHERE id IN (SELECT value FROM json_each(auth.parameter('projects')))
  categories:
    auto_subscribe: true
    priority: 0
    query: SELECT * FROM categories
  cte_todos:
    with:
      my_lists: SELECT id FROM lists WHERE owner_id = 'nobody'
      open_lists: SELECT id FROM lists WHERE owner_id = auth.user_id()
    queries:
      - SELECT * FROM todos WHERE list_id IN open_lists
      - SELECT * FROM comments WHERE todo_id IN (SELECT id FROM todos WHERE list_id IN my_lists)
  global_cte:
    query: SELECT * FROM todos WHERE list_id IN my_lists
`;

const TABLES: Record<string, SqliteRow[]> = {
  lists: [
    { id: 'l1', owner_id: 'u1' },
    { id: 'l2', owner_id: 'u1' },
    { id: 'l3', owner_id: 'u2' },
  ],
  todos: [
    { id: 't1', list_id: 'l1' },
    { id: 't2', list_id: 'l3' },
  ],
  b: [
    { c1: 'A', c2: 1n, u: 'u1' },
    { c1: 'B', c2: 2n, u: 'u1' },
  ],
  admins: [
    { id: 'u1', active: 1n },
    { id: 'u2', active: 0n },
  ],
};

type Row = [string, Partial<SubscribedBucket> & { bucket: string }];

async function resolve(
  token: object,
  subscriptions: StreamSubscription[],
  includeDefaults = true,
  connection: object = {},
): Promise<Row[]> {
  const rules = compileValid(RULES);
  const { buckets, errors } = await rules.resolveStreamSubscriptions(
    createRequestContext(token, connection),
    { includeDefaults, subscriptions },
    lookupReader(rules, TABLES),
  );
  expect(errors).toEqual([]);
  return buckets
    .map((b): Row => [b.bucket, { bucket: b.bucket, priority: b.priority, reasons: b.reasons }])
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

const defaults = [
  ['1#categories|0[]', { bucket: '1#categories|0[]', priority: 0, reasons: ['default'] }],
  ['1#lists|0["u1"]', { bucket: '1#lists|0["u1"]', priority: 3, reasons: ['default'] }],
];

describe('stream subscriptions -> buckets', () => {
  test.each<[string, object, StreamSubscription[], boolean, string[]]>([
    ['defaults only', { sub: 'u1' }, [], true, ['1#categories|0[]', '1#lists|0["u1"]']],
    ['no defaults', { sub: 'u1' }, [], false, []],
    [
      'IN subquery via a lookup',
      { sub: 'u1' },
      [{ stream: 'todos' }],
      false,
      ['1#todos|0["l1"]', '1#todos|0["l2"]'],
    ],
    ['another user', { sub: 'u2' }, [{ stream: 'todos' }], false, ['1#todos|0["l3"]']],
    ['user without rows', { sub: 'u9' }, [{ stream: 'todos' }], false, []],
    [
      'subscription parameter narrowed by a subquery (intersection)',
      { sub: 'u1' },
      [{ stream: 'list_todos', parameters: { list: 'l2' } }],
      false,
      ['1#todos|0["l2"]'],
    ],
    [
      'subscription parameter for a list the user does not own',
      { sub: 'u1' },
      [{ stream: 'list_todos', parameters: { list: 'l3' } }],
      false,
      [],
    ],
    [
      'nested subquery: a chain of two lookups',
      { sub: 'u1' },
      [{ stream: 'comments' }],
      false,
      ['1#comments|0["t1"]'],
    ],
    [
      'JSON array claim: one bucket per element',
      { sub: 'u1', projects: ['p1', 'p2'] },
      [{ stream: 'by_project' }],
      false,
      ['1#by_project|0["p1"]', '1#by_project|0["p2"]'],
    ],
    [
      'OR split: public bucket only',
      { sub: 'u1' },
      [{ stream: 'admin_notes' }],
      false,
      ['1#admin_notes|1[]'],
    ],
    [
      'OR split: admins also get the unfiltered bucket',
      { sub: 'u1', admin: true },
      [{ stream: 'admin_notes' }],
      false,
      ['1#admin_notes|0[]', '1#admin_notes|1[]'],
    ],
    ['request value IN a row array', { sub: 'u5' }, [{ stream: 'shared' }], false, ['1#shared|0["u5"]']],
    ['existence check passes', { sub: 'u1' }, [{ stream: 'ops' }], false, ['1#ops|0[]']],
    ['existence check fails', { sub: 'u2' }, [{ stream: 'ops' }], false, []],
    [
      'NOT around NOT IN (SELECT ...) is IN',
      { sub: 'u1' },
      [{ stream: 'not_archived' }],
      false,
      ['1#not_archived|0["l1"]', '1#not_archived|0["l2"]'],
    ],
    [
      'constant IN (SELECT ...): the lookup finds a row',
      { sub: 'u9' },
      [{ stream: 'if_admins' }],
      false,
      ['1#if_admins|0[]'],
    ],
    [
      'INNER JOINs: the same bucket as the equivalent nested subqueries',
      { sub: 'u1' },
      [{ stream: 'joined' }],
      false,
      ['1#comments|0["t1"]'],
    ],
    [
      'two columns of one joined row stay together (no (A, 2) or (B, 1) buckets)',
      { sub: 'u1' },
      [{ stream: 'pairs' }],
      false,
      ['1#pairs|0[1,"A"]', '1#pairs|0[2,"B"]'],
    ],
    [
      'json_each over a row array in FROM',
      { sub: 'u1', tag: 'x' },
      [{ stream: 'tagged' }],
      false,
      ['1#tagged|0["x"]'],
    ],
    [
      'IN (SELECT value FROM json_each(claim))',
      { sub: 'u1', projects: ['p1', 'p2'] },
      [{ stream: 'my_projects' }],
      false,
      ['1#my_projects|0["p1"]', '1#my_projects|0["p2"]'],
    ],
    [
      'stream CTEs (a local one shadows the global of the same name)',
      { sub: 'u1' },
      [{ stream: 'cte_todos' }],
      false,
      ['1#todos|0["l1"]', '1#todos|0["l2"]'],
    ],
    ['global CTE', { sub: 'u1' }, [{ stream: 'global_cte' }], false, ['1#todos|0["l1"]', '1#todos|0["l2"]']],
    ['unknown stream reaches nothing', { sub: 'u1' }, [{ stream: 'nope' }], false, []],
  ])('%s', async (_name, token, subscriptions, includeDefaults, expected) => {
    expect((await resolve(token, subscriptions, includeDefaults)).map(([name]) => name)).toEqual(expected);
  });

  test('a bucket reached by several subscriptions lists them all, with the most urgent priority', async () => {
    const rows = await resolve({ sub: 'u1' }, [
      { stream: 'todos' },
      { stream: 'list_todos', parameters: { list: 'l1' }, overridePriority: 1 },
      { stream: 'lists', overridePriority: 0 },
    ]);
    expect(Object.fromEntries(rows)).toEqual(
      Object.fromEntries([
        defaults[0]!,
        [
          '1#lists|0["u1"]',
          { bucket: '1#lists|0["u1"]', priority: 0, reasons: [{ subscription: 2 }, 'default'] },
        ],
        [
          '1#todos|0["l1"]',
          { bucket: '1#todos|0["l1"]', priority: 1, reasons: [{ subscription: 0 }, { subscription: 1 }] },
        ],
        ['1#todos|0["l2"]', { bucket: '1#todos|0["l2"]', priority: 2, reasons: [{ subscription: 0 }] }],
      ]),
    );
  });

  test('the same stream subscribed twice with different parameters', async () => {
    const rows = await resolve(
      { sub: 'u1' },
      [
        { stream: 'list_todos', parameters: { list: 'l1' } },
        { stream: 'list_todos', parameters: { list: 'l2' } },
      ],
      false,
    );
    expect(rows.map(([, b]) => [b.bucket, b.reasons])).toEqual([
      ['1#todos|0["l1"]', [{ subscription: 0 }]],
      ['1#todos|0["l2"]', [{ subscription: 1 }]],
    ]);
  });

  test('a failing subscription is reported on its own; the others still resolve', async () => {
    const rules = compileValid(RULES);
    const failing = async (): Promise<never> => {
      throw new Error('store unavailable');
    };
    const { buckets, errors } = await rules.resolveStreamSubscriptions(
      createRequestContext({ sub: 'u1' }),
      { includeDefaults: true, subscriptions: [{ stream: 'todos' }] },
      failing,
    );
    expect(buckets.map((b) => b.bucket).sort()).toEqual(['1#categories|0[]', '1#lists|0["u1"]']);
    expect(errors).toEqual([
      {
        stream: 'todos',
        reason: { subscription: 0 },
        message: 'Error evaluating bucket ids: store unavailable',
      },
    ]);
  });

  test('a bucket several streams share names each default stream that reached it, and each subscription once', async () => {
    const rules = compileValid(`config:
  edition: 3
streams:
  mine:
    auto_subscribe: true
    query: SELECT * FROM lists WHERE owner_id = auth.user_id()
  also_mine:
    auto_subscribe: true
    query: SELECT * FROM lists WHERE owner_id = auth.user_id()
  twice:
    queries:
      - SELECT * FROM lists WHERE owner_id = auth.user_id()
      - SELECT * FROM lists WHERE owner_id = subscription.parameter('owner')
`);
    const { buckets, errors } = await rules.resolveStreamSubscriptions(
      createRequestContext({ sub: 'u1' }),
      { includeDefaults: true, subscriptions: [{ stream: 'twice', parameters: { owner: 'u1' } }] },
      lookupReader(rules, TABLES),
    );
    expect(errors).toEqual([]);
    expect(buckets.map((b) => [b.bucket, b.reasons, b.defaultStreams])).toEqual([
      ['1#mine|0["u1"]', [{ subscription: 0 }, 'default'], ['mine', 'also_mine']],
    ]);
  });

  test('a subscription parameter that is not JSON is that subscription’s error, as in PowerSync', async () => {
    const rules = compileValid(`config:
  edition: 3
streams:
  picked:
    auto_subscribe: true
    query: SELECT * FROM lists WHERE id IN subscription.parameter('ids')
`);
    const { buckets, errors } = await rules.resolveStreamSubscriptions(
      createRequestContext({ sub: 'u1' }),
      {
        includeDefaults: true,
        subscriptions: [
          { stream: 'picked', parameters: { ids: '["l1","l2"]' } },
          { stream: 'picked', parameters: { ids: 'invalid json' } },
          { stream: 'picked', parameters: { ids: '{"not":"an array"}' } },
        ],
      },
      lookupReader(rules, TABLES),
    );
    expect(buckets.map((b) => [b.bucket, b.reasons])).toEqual([
      ['1#picked|0["l1"]', [{ subscription: 0 }]],
      ['1#picked|0["l2"]', [{ subscription: 0 }]],
    ]);
    expect(errors).toEqual([
      {
        stream: 'picked',
        reason: { subscription: 1 },
        message: expect.stringMatching(/^Error evaluating bucket ids: Unexpected token .*not valid JSON/),
      },
    ]);
  });

  test('lookup rows read back from JSON (integers as numbers) meet request values bound to the same parameter', async () => {
    const rules = compileValid(`config:
  edition: 3
streams:
  list_todos:
    query: |
      SELECT * FROM todos WHERE list_id = subscription.parameter('list')
        AND list_id IN (SELECT id FROM lists WHERE owner_id = auth.user_id())
`);
    const inMemory = lookupReader(rules, { lists: [{ id: 3n, owner_id: 'u1' }] });
    // What a store returns: the stored JSON parsed again, 3n now 3.
    const fromJson: typeof inMemory = Object.assign(
      async (lookups: Parameters<typeof inMemory>[0]) =>
        JSON.parse(stringifyJson(await inMemory(lookups))) as Awaited<ReturnType<typeof inMemory>>,
      { reads: 0 },
    );
    const { buckets } = await rules.resolveStreamSubscriptions(
      createRequestContext({ sub: 'u1' }),
      { includeDefaults: true, subscriptions: [{ stream: 'list_todos', parameters: { list: 3 } }] },
      fromJson,
    );
    expect(buckets.map((b) => b.bucket)).toEqual(['1#list_todos|0[3]']);
  });

  test('resolveBuckets (no subscriptions in the request) gives the auto_subscribe streams', async () => {
    const rules = compileValid(RULES);
    const buckets = await rules.resolveBuckets(
      createRequestContext({ sub: 'u1' }),
      lookupReader(rules, TABLES),
    );
    expect(buckets).toEqual([
      { bucket: '1#lists|0["u1"]', priority: 3, definition: 'lists' },
      { bucket: '1#categories|0[]', priority: 0, definition: 'categories' },
    ]);
  });

  test('two users never receive each other’s rows', async () => {
    const rules = compileValid(RULES);
    const received = async (sub: string): Promise<string[]> => {
      const { buckets } = await rules.resolveStreamSubscriptions(
        createRequestContext({ sub }),
        { includeDefaults: true, subscriptions: [{ stream: 'todos' }, { stream: 'comments' }] },
        lookupReader(rules, TABLES),
      );
      const names = new Set(buckets.map((b) => b.bucket));
      const rows: [string, SqliteRow][] = [
        ...Object.entries(TABLES).flatMap(([t, rs]) => rs.map((r): [string, SqliteRow] => [t, r])),
        ['comments', { id: 'c1', todo_id: 't1' }],
        ['comments', { id: 'c2', todo_id: 't2' }],
      ];
      return rows
        .flatMap(([table, row]) => rules.evaluateRow(table, row).filter((op) => names.has(op.bucket)))
        .map((op) => `${op.outputTable}/${op.id}`)
        .sort();
    };
    expect(await received('u1')).toEqual(['comments/c1', 'lists/l1', 'lists/l2', 'todos/t1']);
    expect(await received('u2')).toEqual(['comments/c2', 'lists/l3', 'todos/t2']);
  });
});
