// Property tests for sync streams: on random data, the rows a user receives (their subscribed
// buckets ∩ the buckets each row's ops go to) are exactly those a direct reading of the query
// allows. Checks the planner, the lookups and the request side together, for several shapes.
import fc from 'fast-check';
import type { SqliteRow } from '@syncline/sqlite-value';
import { createRequestContext, type SyncRules } from '../src';
import { compileValid, lookupReader } from './helpers';

const USERS = ['u1', 'u2', 'u3'];
const LISTS = ['l1', 'l2', 'l3', 'l4'];
const TAGS = ['a', 'b', 'c'];

interface World {
  lists: { id: string; owner: string; archived: boolean }[];
  members: { list: string; user: string }[];
  todos: { id: string; list: string; tags: string[]; public: boolean }[];
}

const world: fc.Arbitrary<World> = fc.record({
  lists: fc.uniqueArray(
    fc.record({ id: fc.constantFrom(...LISTS), owner: fc.constantFrom(...USERS), archived: fc.boolean() }),
    { selector: (l) => l.id },
  ),
  members: fc.array(fc.record({ list: fc.constantFrom(...LISTS), user: fc.constantFrom(...USERS) }), {
    maxLength: 6,
  }),
  todos: fc
    .array(
      fc.record({
        list: fc.constantFrom(...LISTS),
        tags: fc.subarray(TAGS),
        public: fc.boolean(),
      }),
      { maxLength: 8 },
    )
    .map((todos) => todos.map((t, i) => ({ ...t, id: `t${i}` }))),
});

/** Each stream with the todos a user must receive, read directly from the world. */
const SHAPES: [string, string, (w: World, user: string, tag: string) => boolean[]][] = [
  [
    'IN subquery with a row filter inside',
    'SELECT * FROM todos WHERE list IN (SELECT id FROM lists WHERE owner = auth.user_id() AND NOT archived)',
    (w, user) => w.todos.map((t) => w.lists.some((l) => l.id === t.list && l.owner === user && !l.archived)),
  ],
  [
    'INNER JOIN through a membership table',
    'SELECT todos.* FROM todos JOIN members ON todos.list = members.list WHERE members.user_id = auth.user_id()',
    (w, user) => w.todos.map((t) => w.members.some((m) => m.list === t.list && m.user === user)),
  ],
  [
    'correlated subquery',
    'SELECT * FROM todos WHERE public IN (SELECT archived FROM lists WHERE lists.id = todos.list AND owner = auth.user_id())',
    (w, user) =>
      w.todos.map((t) => w.lists.some((l) => l.id === t.list && l.owner === user && l.archived === t.public)),
  ],
  [
    'OR of a row filter and a subquery',
    'SELECT * FROM todos WHERE public OR list IN (SELECT id FROM lists WHERE owner = auth.user_id())',
    (w, user) => w.todos.map((t) => t.public || w.lists.some((l) => l.id === t.list && l.owner === user)),
  ],
  [
    'request value IN a row array, narrowed by a subquery',
    "SELECT * FROM todos WHERE auth.parameter('tag') IN tags AND list IN (SELECT list FROM members WHERE user_id = auth.user_id())",
    (w, user, tag) =>
      w.todos.map((t) => t.tags.includes(tag) && w.members.some((m) => m.list === t.list && m.user === user)),
  ],
  [
    'a join reaching members through two paths (todos and lists both read the same member row)',
    'SELECT todos.* FROM todos, lists, members WHERE todos.list = members.list AND lists.id = members.list AND todos.public = lists.archived AND members.user_id = auth.user_id()',
    (w, user) =>
      w.todos.map((t) =>
        w.members.some(
          (m) =>
            m.user === user &&
            m.list === t.list &&
            w.lists.some((l) => l.id === m.list && l.archived === t.public),
        ),
      ),
  ],
  [
    'a subquery in FROM joined to the synced table',
    'SELECT todos.* FROM todos JOIN (SELECT list FROM members WHERE user_id = auth.user_id()) AS m ON m.list = todos.list',
    (w, user) => w.todos.map((t) => w.members.some((m) => m.list === t.list && m.user === user)),
  ],
];

function rows(w: World): Record<string, SqliteRow[]> {
  return {
    lists: w.lists.map((l) => ({ id: l.id, owner: l.owner, archived: l.archived ? 1n : 0n })),
    members: w.members.map((m, i) => ({ id: `m${i}`, list: m.list, user_id: m.user })),
    todos: w.todos.map((t) => ({
      id: t.id,
      list: t.list,
      tags: JSON.stringify(t.tags),
      public: t.public ? 1n : 0n,
    })),
  };
}

async function received(rules: SyncRules, w: World, user: string, tag: string): Promise<boolean[]> {
  const tables = rows(w);
  const { buckets, errors } = await rules.resolveStreamSubscriptions(
    createRequestContext({ sub: user, tag }),
    { includeDefaults: false, subscriptions: [{ stream: 's' }] },
    lookupReader(rules, tables),
  );
  expect(errors).toEqual([]);
  const names = new Set(buckets.map((b) => b.bucket));
  return tables['todos']!.map((row) => rules.evaluateRow('todos', row).some((op) => names.has(op.bucket)));
}

describe('stream properties', () => {
  test.each(SHAPES)('%s: a user receives exactly the rows the query allows', async (_name, sql, expected) => {
    const rules = compileValid(`config:\n  edition: 3\nstreams:\n  s:\n    query: ${JSON.stringify(sql)}\n`);
    await fc.assert(
      fc.asyncProperty(world, fc.constantFrom(...USERS), fc.constantFrom(...TAGS), async (w, user, tag) => {
        expect(await received(rules, w, user, tag)).toEqual(expected(w, user, tag));
      }),
      { numRuns: 150 },
    );
  });
});
