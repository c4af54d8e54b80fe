// The official @powersync/node client (1.1.0) on sync streams (edition 3) over the real pipeline:
// `db.syncStream(name, params).subscribe()` delivers exactly the subscribed rows, an unsubscribed
// stream stays requested for its TTL and then leaves (the client reconnects without it), a
// subscription to an unknown stream is marked inactive while the others sync, a JOIN-based stream
// follows membership changes in Postgres, and two users never receive each other's rows.
import { waitFor } from '@syncline/test-kit';
import { token } from './todo-app';
import { startGatewayDeployment, type GatewayDeployment } from './deployment';
import { OfficialClient } from '../official-client/client-process';

jest.setTimeout(240_000);

const RULES = `
config:
  edition: 3
streams:
  my_lists:
    auto_subscribe: true
    query: SELECT id, owner, name FROM lists WHERE owner = auth.user_id()
  list_todos:
    query: |
      SELECT id, list_id, title, big FROM todos WHERE list_id = subscription.parameter('list')
        AND list_id IN (SELECT id FROM lists WHERE org IN
          (SELECT org FROM org_members WHERE user_id = auth.user_id()))
  org_todos:
    priority: 1
    query: |
      SELECT todos.id, todos.list_id, todos.title, todos.big FROM todos
        JOIN lists ON lists.id = todos.list_id
        JOIN org_members ON org_members.org = lists.org
      WHERE org_members.user_id = auth.user_id()
`;

const SETUP = `
CREATE TABLE lists (id int PRIMARY KEY, owner text NOT NULL, name text, org text);
CREATE TABLE org_members (org text, user_id text, PRIMARY KEY (org, user_id));
CREATE TABLE todos (id int PRIMARY KEY, list_id int NOT NULL, title text, big bigint);
`;

interface StreamStatus {
  name: string;
  parameters: Record<string, unknown> | null;
  active: boolean;
  isDefault: boolean;
  hasExplicitSubscription: boolean;
}

describe('the official @powersync/node client on sync streams', () => {
  let deployment: GatewayDeployment | undefined;
  const clients: OfficialClient[] = [];

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await deployment?.close();
  });

  it('subscribes, unsubscribes after the TTL, follows a JOIN’s membership, and keeps users apart', async () => {
    deployment = await startGatewayDeployment({
      label: 'official_streams',
      setupSql: SETUP,
      rules: RULES,
      partitions: 2,
      seedSql: `
      INSERT INTO org_members VALUES ('o1', 'alice'), ('o2', 'bob');
      INSERT INTO lists VALUES (1, 'alice', 'groceries', 'o1'), (2, 'bob', 'tools', 'o2'),
        (3, 'carol', 'shared', 'o1'), (4, 'carol', 'secret', 'o3');
      INSERT INTO todos VALUES (10, 1, 'milk', 1), (11, 1, 'eggs', 2), (20, 2, 'hammer', 3),
        (30, 3, 'plan', 4), (40, 4, 'hidden', 5);
    `,
    });
    const { capture, endpoint } = deployment;
    const connect = async (user: string): Promise<OfficialClient> => {
      const client = new OfficialClient({
        endpoint,
        token: await token(user),
        uploadUrl: `${endpoint}/none`,
      });
      clients.push(client);
      await client.call('connect');
      await client.call('waitForFirstSync');
      return client;
    };
    const alice = await connect('alice');
    const bob = await connect('bob');
    const titles = async (c: OfficialClient): Promise<string[]> =>
      (await c.getAll<{ title: string }>('SELECT title FROM todos ORDER BY title')).map((t) => t.title);
    const lists = async (c: OfficialClient): Promise<string[]> =>
      (await c.getAll<{ name: string }>('SELECT name FROM lists ORDER BY name')).map((l) => l.name);
    /** The todos Postgres allows `user` through org membership, on the given lists (all if omitted). */
    const allowed = async (user: string, listIds?: number[]): Promise<string[]> =>
      (
        await capture.pg.query<{ title: string }>(
          `SELECT t.title FROM todos t JOIN lists l ON l.id = t.list_id
             JOIN org_members m ON m.org = l.org AND m.user_id = $1
           WHERE $2::int[] IS NULL OR t.list_id = ANY($2) ORDER BY t.title`,
          [user, listIds ?? null],
        )
      ).rows.map((r) => r.title);
    /** Neither client ever holds a todo its user may not see. */
    const apart = async (): Promise<void> => {
      const aliceMay = new Set(await allowed('alice'));
      const bobMay = new Set(await allowed('bob'));
      expect((await titles(alice)).filter((t) => !aliceMay.has(t))).toEqual([]);
      expect((await titles(bob)).filter((t) => !bobMay.has(t))).toEqual([]);
    };

    // Only the auto_subscribe stream: each user's own lists, no todos.
    expect(await lists(alice)).toEqual(['groceries']);
    expect(await lists(bob)).toEqual(['tools']);
    expect(await titles(alice)).toEqual([]);

    // One list's todos, by subscription parameter; another org's list and an unknown stream give nothing.
    const list1 = await alice.call<number>('subscribe', { name: 'list_todos', params: { list: 1 } });
    await alice.call('waitForStream', { handle: list1 });
    await alice.call('subscribe', { name: 'list_todos', params: { list: 4 } });
    await alice.call('subscribe', { name: 'nope' });
    const bobList1 = await bob.call<number>('subscribe', { name: 'list_todos', params: { list: 1 } });
    await bob.call('waitForStream', { handle: bobList1 });
    await waitFor('alice’s client hears which streams exist', async () => {
      const streams = await alice.call<StreamStatus[]>('streams');
      return (
        streams.some((s) => s.name === 'nope' && !s.active) &&
        streams.some((s) => s.name === 'list_todos' && s.active)
      );
    });
    expect(await titles(alice)).toEqual(await allowed('alice', [1]));
    expect(await titles(alice)).toEqual(['eggs', 'milk']);
    expect(await titles(bob)).toEqual([]);
    const streams = await alice.call<StreamStatus[]>('streams');
    expect(streams.find((s) => s.name === 'my_lists')).toMatchObject({ active: true, isDefault: true });

    // Unsubscribed with the default TTL (one day), the stream is still requested: new rows arrive.
    await alice.call('unsubscribe', { handle: list1 });
    await capture.pg.query(`INSERT INTO todos VALUES (12, 1, 'bread', 6)`);
    await waitFor('a row of the unsubscribed stream still arrives within its TTL', async () =>
      (await titles(alice)).includes('bread'),
    );
    // With a TTL of 1 s it expires after the unsubscribe; the client reconnects without it at
    // the next token_expires_in (every second here), and the full checkpoint drops its bucket.
    const short = await alice.call<number>('subscribe', { name: 'list_todos', params: { list: 1 }, ttl: 1 });
    await alice.call('waitForStream', { handle: short });
    await alice.call('unsubscribe', { handle: short });
    await waitFor('the expired subscription’s rows leave', async () => (await titles(alice)).length === 0);
    expect(await lists(alice)).toEqual(['groceries']);
    await apart();

    // The JOIN stream: every todo of every list in the user's organisations.
    const org = await alice.call<number>('subscribe', { name: 'org_todos' });
    await alice.call('waitForStream', { handle: org });
    await bob.call('subscribe', { name: 'org_todos' });
    expect(await titles(alice)).toEqual(await allowed('alice'));
    expect(await titles(alice)).toEqual(['bread', 'eggs', 'milk', 'plan']);
    await waitFor('bob’s org todos', async () => (await titles(bob)).join() === 'hammer');
    await apart();

    // Membership changes in Postgres move whole lists in and out.
    await capture.pg.query(`INSERT INTO org_members VALUES ('o3', 'alice')`);
    await waitFor('joining o3 brings list 4', async () => (await titles(alice)).includes('hidden'));
    await capture.pg.query(`DELETE FROM org_members WHERE org = 'o1' AND user_id = 'alice'`);
    await waitFor('leaving o1 removes lists 1 and 3', async () => (await titles(alice)).join() === 'hidden');
    expect(await titles(alice)).toEqual(await allowed('alice'));
    expect(await lists(alice)).toEqual(['groceries']);
    expect(await titles(bob)).toEqual(['hammer']);
    await apart();

    for (const c of clients) {
      if (c.log !== '') process.stderr.write(`official client log:\n${c.log}\n`);
      expect(c.log).not.toMatch(/checksum/i);
    }
  });
});
