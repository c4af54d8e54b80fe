// The official @powersync/node client across the evaluator's compaction (docs/consistency.md
// 2.6), over the real pipeline: a client online while a bucket's history is compacted, one offline
// across the compaction, and one joining afterwards all converge to Postgres with every checksum
// valid (the SDK logs a checksum failure before it resyncs a bucket), and the one joining late
// downloads the live rows, not the history.
import { parseOpId } from '@syncline/protocol';
import { syncTo, waitFor } from '@syncline/test-kit';
import { RULES, SETUP, token } from './todo-app';
import { startGatewayDeployment, type GatewayDeployment } from './deployment';
import { OfficialClient } from '../official-client/client-process';

jest.setTimeout(300_000);

const TODOS = 40;
const ROUNDS = 15;
const BUCKET = 'shared_todos[1]';

interface Todo {
  id: string;
  title: string;
}

describe('the official @powersync/node client across a compaction', () => {
  let deployment: GatewayDeployment | undefined;
  const clients: OfficialClient[] = [];

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await deployment?.close();
  });

  it('keeps online, offline and new clients converging, checksum-valid, without re-downloading history', async () => {
    deployment = await startGatewayDeployment({
      label: 'compaction',
      setupSql: SETUP,
      rules: RULES,
      partitions: 2,
      evaluatorEnv: {
        SYNCLINE_COMPACTION: 'on',
        SYNCLINE_COMPACTION_INTERVAL_MS: '200',
        // Lookups trimmed right up to the replay horizon: clients must still resolve their buckets.
        SYNCLINE_LOOKUP_RETENTION_MS: '0',
      },
      seedSql: `
      INSERT INTO lists VALUES (1, 'alice', 'groceries');
      INSERT INTO members VALUES (1, 'alice');
      INSERT INTO todos SELECT g, 1, 'v0', g FROM generate_series(1, ${TODOS}) g;
    `,
    });
    const { capture, state, gateway, endpoint } = deployment;
    const aliceToken = await token('alice');
    const newClient = (): OfficialClient => {
      const c = new OfficialClient({ endpoint, token: aliceToken, uploadUrl: 'http://127.0.0.1:9/none' });
      clients.push(c);
      return c;
    };
    const todos = (c: OfficialClient) =>
      c.getAll<Todo>('SELECT id, title FROM todos ORDER BY CAST(id AS INTEGER)');
    const postgres = async (): Promise<Todo[]> =>
      (await capture.pg.query<Todo>('SELECT t.id::text AS id, t.title FROM todos t ORDER BY t.id')).rows;
    const sent = async () => (await gateway.metrics.opsSent.get()).values[0]?.value ?? 0;

    const online = newClient();
    const offline = newClient();
    for (const c of [online, offline]) {
      await c.call('connect');
      await c.call('waitForFirstSync');
      expect(await todos(c)).toEqual(await postgres());
    }
    await offline.call('disconnect');

    // A history of ROUNDS updates of every todo, one transaction per round.
    // and the membership dropped and restored three times (lookup versions to trim).
    for (let round = 1; round <= ROUNDS; round++) {
      await capture.pg.query(`UPDATE todos SET title = 'v${round}'`);
      if (round % 5 === 0)
        await capture.pg.query(`DELETE FROM members; INSERT INTO members VALUES (1, 'alice')`);
    }
    const last = await syncTo(capture, state, 120_000);
    // The worker compacts up to that checkpoint: the superseded history becomes one CLEAR.
    await waitFor(
      'the bucket compacted',
      async () => {
        const ops = await state.reader.opsBetween(BUCKET, 0n, parseOpId(last.lastOpId), 100_000);
        return ops[0]?.op === 'CLEAR' && ops.length <= TODOS + 1;
      },
      60_000,
    );
    // The leader trims the membership lookup to its one current version.
    await waitFor(
      'the lookup versions trimmed',
      async () => {
        const keys = await state.redis.keys(`${state.keyPrefix}:{pl:*}:idx`);
        const sizes = await Promise.all(keys.map((k) => state.redis.zcard(k)));
        return keys.length > 0 && sizes.every((n) => n === 1);
      },
      60_000,
    );
    await waitFor('the online client follows', async () => {
      const rows = await todos(online);
      return rows.length === TODOS && rows.every((t) => t.title === `v${ROUNDS}`);
    });
    expect(await todos(online)).toEqual(await postgres());

    // Offline across the compaction: it resumes from its old op ids and converges.
    await offline.call('connect');
    await waitFor('the offline client converges', async () => {
      const rows = await todos(offline);
      return rows.length === TODOS && rows.every((t) => t.title === `v${ROUNDS}`);
    });
    expect(await todos(offline)).toEqual(await postgres());

    // A client joining now gets the CLEAR and the live rows, not (ROUNDS + 1) x TODOS ops.
    const before = await sent();
    const late = newClient();
    await late.call('connect');
    await late.call('waitForFirstSync');
    expect(await todos(late)).toEqual(await postgres());
    // Its buckets: the list (1 op) and the todos (a CLEAR and TODOS live rows).
    expect((await sent()) - before).toBeLessThanOrEqual(TODOS + 2);

    for (const c of clients) {
      if (c.log !== '') process.stderr.write(`official client log:\n${c.log}\n`);
      expect(c.log).not.toMatch(/checksum/i);
    }
  });
});
