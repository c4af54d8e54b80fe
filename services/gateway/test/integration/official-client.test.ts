// The official PowerSync Node client (@powersync/node 1.1.0, its Rust core doing all parsing,
// checksum validation and applying) syncing from the gateway over the real pipeline: first sync of
// a user's buckets (a lookup through a membership table, priorities, a 64-bit integer), a change in
// Postgres arriving live, a local insert uploaded through examples/backend and applied after the
// write checkpoint (server changes to it then reach the client), a bucket leaving when the
// membership goes, and a reconnect that resumes without downloading anything again.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { getTestStack, waitFor } from '@syncline/test-kit';
import { RULES, SECRET, SETUP, token } from './todo-app';
import { startGatewayDeployment, type GatewayDeployment } from './deployment';
import { OfficialClient } from '../official-client/client-process';

jest.setTimeout(240_000);

interface Todo {
  id: string;
  list_id: number;
  title: string;
  big: string;
}

/** Starts examples/backend (as a user runs it) and resolves with its base URL. */
function startBackend(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const root = path.resolve(__dirname, '../../../..');
  const child = spawn(
    process.execPath,
    [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'examples/backend/server.ts'],
    {
      cwd: root,
      env: { ...process.env, ...env, BACKEND_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /listening on (\d+)/.exec(line);
      if (m) resolve({ url: `http://127.0.0.1:${m[1]}`, child });
    });
    child.on('exit', (code) => reject(new Error(`examples/backend exited ${code}: ${err}`)));
  });
}

describe('the official @powersync/node client', () => {
  let deployment: GatewayDeployment | undefined;
  let backend: ChildProcess | undefined;
  let client: OfficialClient | undefined;

  afterAll(async () => {
    await client?.close();
    backend?.kill('SIGTERM');
    await deployment?.close();
  });

  it('syncs, uploads through the backend, follows membership, and resumes without a resync', async () => {
    deployment = await startGatewayDeployment({
      label: 'official',
      setupSql: SETUP,
      rules: RULES,
      partitions: 3,
      seedSql: `
      INSERT INTO lists VALUES (1, 'alice', 'groceries'), (3, 'alice', 'work');
      INSERT INTO members VALUES (1, 'alice'), (3, 'alice');
      INSERT INTO todos VALUES (10, 1, 'milk', 9007199254740993), (11, 1, 'eggs', -1), (30, 3, 'report', 3);
    `,
    });
    const { capture, gateway, endpoint } = deployment;
    const { pgUrl } = getTestStack().endpoints;
    const started = await startBackend({
      PG_URL: pgUrl,
      SYNCLINE_JWT_SECRET: SECRET,
      BACKEND_SCHEMA: capture.schema,
      BACKEND_ALLOW: JSON.stringify({ todos: ['list_id', 'title', 'big'] }),
    });
    backend = started.child;
    const aliceToken = await token('alice');
    client = new OfficialClient({ endpoint, token: aliceToken, uploadUrl: `${started.url}/api/upload` });
    const c = client;
    const todos = () =>
      c.getAll<Todo>(
        'SELECT id, list_id, title, CAST(big AS TEXT) AS big FROM todos ORDER BY CAST(id AS INTEGER)',
      );
    const postgresTodos = async (): Promise<Todo[]> =>
      (
        await capture.pg.query<Todo>(
          `SELECT t.id::text AS id, t.list_id, t.title, t.big::text AS big FROM todos t
           JOIN members m ON m.list_id = t.list_id AND m.user_id = 'alice' ORDER BY t.id`,
        )
      ).rows;

    await c.call('connect');
    await c.call('waitForFirstSync');
    expect(await todos()).toEqual(await postgresTodos());
    expect(await c.getAll('SELECT id, name FROM lists ORDER BY id')).toEqual([
      { id: '1', name: 'groceries' },
      { id: '3', name: 'work' },
    ]);

    await capture.pg.query(`INSERT INTO todos VALUES (12, 1, 'bread', 42)`);
    await waitFor('a Postgres insert reaches the client', async () =>
      (await todos()).some((t) => t.id === '12'),
    );

    // A local write goes to Postgres through the backend; after the write checkpoint, server
    // changes to it are applied again (pending uploads hold downloads back until then).
    await c.call('execute', {
      sql: `INSERT INTO todos (id, list_id, title, big) VALUES ('13', 1, 'local', 5)`,
    });
    await waitFor('the upload reaches Postgres', async () => {
      const r = await capture.pg.query('SELECT title FROM todos WHERE id = 13');
      return r.rows[0]?.title === 'local';
    });
    // The backend refuses what its allow-list does not name, saying what, and applies nothing.
    const refused = await fetch(`${started.url}/api/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${aliceToken}` },
      body: JSON.stringify({
        batch: [
          { op: 'PATCH', type: 'todos', id: '13', data: { title: 'not applied' } },
          { op: 'PATCH', type: 'todos', id: '13', data: { secret: 'x' } },
        ],
      }),
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toBe(
      'batch[1]: column todos.secret is not writable',
    );
    expect((await capture.pg.query('SELECT title FROM todos WHERE id = 13')).rows[0].title).toBe('local');
    // A token the gateway would refuse (another audience) is refused by the backend too.
    const foreign = await fetch(`${started.url}/api/upload`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await token('alice', { aud: 'elsewhere' })}`,
      },
      body: JSON.stringify({
        batch: [{ op: 'PATCH', type: 'todos', id: '13', data: { title: 'not applied' } }],
      }),
    });
    expect(foreign.status).toBe(401);
    expect(((await foreign.json()) as { error: string }).error).toMatch(/invalid token: .*aud/);
    expect((await capture.pg.query('SELECT title FROM todos WHERE id = 13')).rows[0].title).toBe('local');
    await capture.pg.query(`UPDATE todos SET title = 'edited on the server' WHERE id = 13`);
    await waitFor('the server edit of the uploaded row', async () =>
      (await todos()).some((t) => t.id === '13' && t.title === 'edited on the server'),
    );
    expect(await todos()).toEqual(await postgresTodos());

    await capture.pg.query(`DELETE FROM members WHERE list_id = 1 AND user_id = 'alice'`);
    await waitFor('list 1 leaves the client', async () => (await todos()).every((t) => t.list_id !== 1));
    expect(await todos()).toEqual(await postgresTodos());

    // Reconnect: the client sends the op ids it holds and nothing is downloaded again.
    await c.call('disconnect');
    const sent = async () => (await gateway.metrics.opsSent.get()).values[0]?.value ?? 0;
    const before = await sent();
    const completes = async () => (await gateway.metrics.checkpointsSent.get()).values[0]?.value ?? 0;
    const completedBefore = await completes();
    await c.call('connect');
    await waitFor(
      'the reconnected stream completes a checkpoint',
      async () => (await completes()) > completedBefore,
    );
    expect(await sent()).toBe(before);
    expect(await todos()).toEqual(await postgresTodos());
    // The SDK validated every checksum without complaint (it logs a failure before resyncing).
    if (c.log !== '') process.stderr.write(`official client log:\n${c.log}\n`);
    expect(c.log).not.toMatch(/checksum/i);
  });
});
