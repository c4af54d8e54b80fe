// The gateway against the real pipeline (Postgres -> Debezium -> Kafka -> evaluator -> Redis): a
// verification client that checks every checksum syncs a user's buckets (a lookup through a
// membership table, priorities), gets live changes, loses a bucket when its membership goes,
// resumes with its op ids on another gateway instance without a resync, and sees its write
// checkpoint; users never receive each other's buckets; bad tokens are refused before any byte.
import { request } from 'node:http';
import pino from 'pino';
import { SignJWT } from 'jose';
import { loadSyncRulesFile } from '@syncline/service-runtime';
import { writeCheckpointPrefix } from '@syncline/protocol';
import { SyncClient, SyncStreamError } from '@syncline/sync-client';
import {
  evaluatorEnv,
  startEvaluatorProcess,
  openDeploymentState,
  startCapture,
  syncTo,
  waitFor,
  writeRulesFile,
  type CdcCapture,
  type DeploymentState,
  type EvaluatorProcess,
} from '@syncline/test-kit';
import { Gateway } from '../../src/gateway';
import { loadGatewayConfig } from '../../src/config';
import { gatewayEnv, RULES, SECRET, SETUP, token } from './todo-app';

jest.setTimeout(180_000);

describe('gateway', () => {
  let capture: CdcCapture;
  let evaluator: EvaluatorProcess;
  let state: DeploymentState;
  const gateways: Gateway[] = [];
  const clients: SyncClient[] = [];
  let rulesFile: string;
  let env: Record<string, string>;

  async function startGateway(extra: Record<string, string> = {}): Promise<string> {
    const config = loadGatewayConfig({ ...env, ...extra });
    const rules = await loadSyncRulesFile(config.rulesFile, { defaultSchema: config.defaultSchema });
    const gateway = new Gateway(config, rules, pino({ level: 'warn' }));
    gateways.push(gateway);
    return `http://127.0.0.1:${await gateway.start()}`;
  }

  function client(
    endpoint: string,
    sub: string,
    tokenText: string,
    onLine?: (l: Record<string, unknown>) => void,
  ) {
    const c = new SyncClient({
      endpoint,
      token: tokenText,
      clientId: `${sub}-device`,
      ...(onLine ? { onLine } : {}),
    });
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    capture = await startCapture({ label: 'gateway', setupSql: SETUP, partitions: 3 });
    rulesFile = writeRulesFile(RULES);
    evaluator = startEvaluatorProcess(evaluatorEnv(capture, rulesFile, { SYNCLINE_BUCKET_TOPIC: 'off' }), [
      '--rules',
      rulesFile,
    ]);
    env = gatewayEnv(capture, rulesFile);
    // The gateway reads the evaluator's key prefix (same deployment and rules version).
    state = openDeploymentState(loadGatewayConfig(env).keyPrefix);
    await capture.pg.query(`
      INSERT INTO lists VALUES (1, 'alice', 'groceries'), (2, 'bob', 'chores'), (3, 'alice', 'work');
      INSERT INTO members VALUES (1, 'alice'), (1, 'bob'), (2, 'bob'), (3, 'alice');
      INSERT INTO todos VALUES (10, 1, 'milk', 9007199254740993), (11, 1, 'eggs', 1), (20, 2, 'sweep', 2), (30, 3, 'report', 3);
    `);
    await syncTo(capture, state, 120_000);
  });

  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    for (const g of gateways) await g.stop();
    evaluator?.child.kill('SIGTERM');
    await evaluator?.exited;
    await state?.close();
    await capture?.close();
  });

  /** What the rules give `user` from Postgres now: `type/id` -> row. */
  async function expectedRows(user: string): Promise<Map<string, unknown>> {
    const rows = new Map<string, unknown>();
    const lists = await capture.pg.query<{ id: number; owner: string; name: string }>(
      'SELECT id, owner, name FROM lists WHERE owner = $1',
      [user],
    );
    for (const l of lists.rows) rows.set(`lists/${l.id}`, { id: l.id, owner: l.owner, name: l.name });
    const todos = await capture.pg.query<{ id: number; list_id: number; title: string; big: string }>(
      'SELECT t.id, t.list_id, t.title, t.big::text AS big FROM todos t JOIN members m ON m.list_id = t.list_id WHERE m.user_id = $1',
      [user],
    );
    for (const t of todos.rows)
      rows.set(`todos/${t.id}`, { id: t.id, list_id: t.list_id, title: t.title, big: BigInt(t.big) });
    return rows;
  }

  /** A completed checkpoint's rows, parsed with 64-bit integers kept exact. */
  function parsedRows(rows: ReadonlyMap<string, string>): Map<string, unknown> {
    const out = new Map<string, unknown>();
    for (const [key, data] of rows) {
      const exact = data.replace(/"big":(-?\d+)/, '"big":"$1n"');
      out.set(
        key,
        JSON.parse(exact, (_k, v: unknown) =>
          typeof v === 'string' && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v,
        ),
      );
    }
    return out;
  }

  it("syncs a user's buckets, gets live changes, and loses a bucket when the membership goes", async () => {
    const endpoint = await startGateway();
    const seenByBob = new Set<string>();
    const alice = client(endpoint, 'alice', await token('alice'));
    const bob = client(endpoint, 'bob', await token('bob'), (line) => {
      const data = line.data as { bucket?: string } | undefined;
      if (data?.bucket) seenByBob.add(data.bucket);
    });
    await alice.connect();
    await bob.connect();
    const first = await alice.waitFor('alice first sync', (cp) => cp.rows.size === 5);
    expect(parsedRows(first.rows)).toEqual(await expectedRows('alice'));
    expect(first.buckets).toEqual(['own_lists["alice"]', 'shared_todos[1]', 'shared_todos[3]']);
    // Priority 1 (todos) comes before priority 3 (lists): a partial completion for level 1 first.
    const kinds = alice.lines.map((l) => Object.keys(l)[0]);
    expect(kinds.indexOf('partial_checkpoint_complete')).toBeGreaterThan(0);
    expect(kinds.indexOf('partial_checkpoint_complete')).toBeLessThan(kinds.indexOf('checkpoint_complete'));

    await capture.pg.query(`INSERT INTO todos VALUES (12, 1, 'bread', -5)`);
    await alice.waitFor('the new todo', (cp) => cp.rows.has('todos/12'));
    expect(alice.lines.some((l) => 'checkpoint_diff' in l)).toBe(true);
    const bobCp = await bob.waitFor('bob sees the new todo', (cp) => cp.rows.has('todos/12'));
    expect(parsedRows(bobCp.rows)).toEqual(await expectedRows('bob'));

    await capture.pg.query(`DELETE FROM members WHERE list_id = 1 AND user_id = 'alice'`);
    const after = await alice.waitFor(
      'list 1 gone for alice',
      (cp) => !cp.buckets.includes('shared_todos[1]'),
    );
    expect(parsedRows(after.rows)).toEqual(await expectedRows('alice'));
    // Bob never got data of a bucket only alice has.
    expect([...seenByBob].sort()).toEqual(['own_lists["bob"]', 'shared_todos[1]', 'shared_todos[2]']);
    expect(alice.state.failures).toEqual([]);
    expect(bob.state.failures).toEqual([]);
  });

  it('resumes on another gateway instance with the op ids it holds, without a resync', async () => {
    const one = await startGateway();
    const two = await startGateway();
    const c = client(one, 'carol', await token('bob'));
    await c.connect();
    const held = await c.waitFor('first sync', (cp) => cp.rows.size > 0);
    await c.close();
    const received = c.state.opsReceived;
    // The same stored state, as a device that reconnects elsewhere.
    const moved = new SyncClient({ ...c.options, endpoint: two, state: c.state });
    clients.push(moved);
    await moved.connect();
    const again = await moved.waitFor(
      'resumed',
      (cp) => cp.lastOpId >= held.lastOpId && moved.lines.length > 1,
    );
    expect(again.rows).toEqual(held.rows);
    expect(moved.state.opsReceived).toBe(received);
    await capture.pg.query(`INSERT INTO todos VALUES (21, 2, 'mop', 7)`);
    await moved.waitFor('a change after the move', (cp) => cp.rows.has('todos/21'));
    expect(moved.state.opsReceived).toBe(received + 1);
    expect(moved.state.failures).toEqual([]);
  });

  it('carries a write checkpoint once the pipeline has passed it', async () => {
    const endpoint = await startGateway();
    const t = await token('alice');
    const c = new SyncClient({ endpoint, token: t, clientId: 'wc-device' });
    clients.push(c);
    await c.connect();
    await c.waitFor('first sync', () => true);
    // Another deployment on the same database writes a checkpoint for the same user and client:
    // it reaches this deployment's slot too, and must be ignored.
    await capture.pg.query('SELECT pg_logical_emit_message(true, $1, $2)', [
      writeCheckpointPrefix('another_deployment'),
      'alice/wc-device:999',
    ]);
    const res = await fetch(`${endpoint}/write-checkpoint2.json?client_id=wc-device`, {
      headers: { authorization: `Token ${t}` },
    });
    expect(res.status).toBe(200);
    const n = BigInt(((await res.json()) as { data: { write_checkpoint: string } }).data.write_checkpoint);
    expect(n).toBeGreaterThan(0n);
    const cp = await c.waitFor('write checkpoint', (x) => (x.writeCheckpoint ?? 0n) >= n);
    expect(cp.writeCheckpoint).toBe(n);
    // The other deployment's message was committed first, so the checkpoint above covers it.
    expect((await state.reader.writeCheckpointsOf('alice'))['wc-device']?.n).toBe(n.toString());
  });

  it('refuses write checkpoints beyond the per-user rate, and not another user', async () => {
    const endpoint = await startGateway({ SYNCLINE_WRITE_CHECKPOINTS_PER_S: '1' });
    const ask = async (user: string) => {
      const res = await fetch(`${endpoint}/write-checkpoint2.json?client_id=rate-device`, {
        headers: { authorization: `Token ${await token(user)}` },
      });
      return {
        status: res.status,
        body: (await res.json()) as { error?: { code: string; description: string } },
      };
    };
    // A burst of twice the rate, then 429 naming the limit.
    const answers = [await ask('carol'), await ask('carol'), await ask('carol')];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
    expect(answers[2]!.body.error).toMatchObject({ code: 'SYNC_E818' });
    expect(answers[2]!.body.error!.description).toMatch(/SYNCLINE_WRITE_CHECKPOINTS_PER_S/);
    expect((await ask('dave')).status).toBe(200);
  });

  it('ends the stream with token_expires_in 0 when the token expires', async () => {
    const endpoint = await startGateway();
    // Expiry is in whole seconds, so 5 s leaves 4 – 5 s when the stream opens: room for a
    // keepalive (every second here) before the final 0 even when opening the stream takes a
    // couple of seconds on a loaded machine (with 3 s a CI run once saw only the final line).
    const c = client(endpoint, 'alice', await token('alice', { ttlS: 5 }));
    await c.connect();
    await c.ended();
    const last = c.lines[c.lines.length - 1];
    expect(last).toEqual({ token_expires_in: 0 });
    expect(c.lines.filter((l) => 'token_expires_in' in l).length).toBeGreaterThanOrEqual(2);
  });

  it('disconnects a reader that stops reading, without buffering its stream', async () => {
    const endpoint = await startGateway({ SYNCLINE_SLOW_CLIENT_MS: '1500', SYNCLINE_PAGE_OPS: '200' });
    const gateway = gateways[gateways.length - 1]!;
    // A list with enough todos that the stream outgrows the socket buffers.
    await capture.pg.query(
      `INSERT INTO lists VALUES (9, 'slow', 'big'); INSERT INTO members VALUES (9, 'slow')`,
    );
    await capture.pg.query(
      `INSERT INTO todos SELECT 1000 + g, 9, repeat('x', 500), g FROM generate_series(1, 40000) g`,
    );
    await syncTo(capture, state, 120_000);
    const url = new URL(`${endpoint}/sync/stream`);
    const slowToken = await token('slow');
    const slow = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { authorization: `Token ${slowToken}` },
      },
      (res) => {
        expect(res.statusCode).toBe(200);
        res.pause(); // reads nothing: the kernel buffers fill and the gateway must wait
      },
    );
    slow.on('error', () => undefined);
    slow.end('{}');
    // The paused socket does not even read the close; the gateway's counter tells.
    const disconnects = async () => (await gateway.metrics.slowClientDisconnects.get()).values[0]?.value ?? 0;
    await waitFor('the slow reader disconnected', async () => (await disconnects()) === 1, 60_000);
    slow.destroy();
    // What it wrote stayed well below the stream's size (40,000 todos of 500 bytes, 22 MB): it
    // waited for the socket (whose kernel buffers on loopback take up to ~10 MB) instead of
    // buffering the rest.
    const bytes = (await gateway.metrics.bytesSent.get()).values[0]?.value ?? 0;
    expect(bytes).toBeLessThan(14_000_000);
  });

  it('refuses bad tokens with a coded 401 before any stream byte', async () => {
    const endpoint = await startGateway({ SYNCLINE_JWT_MAX_LIFETIME_S: '7200' });
    const attempt = async (authorization: string | null): Promise<{ status: number; code: string }> => {
      const res = await fetch(`${endpoint}/sync/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization === null ? {} : { authorization }) },
        body: '{}',
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json()) as { error: { code: string } };
      return { status: res.status, code: body.error.code };
    };
    const now = Math.floor(Date.now() / 1000);
    const signed = (claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'HS256' }) =>
      new SignJWT(claims).setProtectedHeader(header as never).sign(new TextEncoder().encode(SECRET));
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ sub: 'x', aud: 'syncline', iat: now, exp: now + 60 }),
    ).toString('base64url')}.`;
    expect(await attempt(null)).toEqual({ status: 401, code: 'SYNC_E801' });
    expect(await attempt('Basic abc')).toEqual({ status: 401, code: 'SYNC_E801' });
    expect(await attempt('Token not-a-jwt')).toEqual({ status: 401, code: 'SYNC_E802' });
    expect(await attempt(`Token ${unsigned}`)).toEqual({ status: 401, code: 'SYNC_E802' });
    expect(
      await attempt(`Bearer ${await token('x', { secret: 'another-secret-another-secret-another' })}`),
    ).toEqual({
      status: 401,
      code: 'SYNC_E802',
    });
    expect(
      await attempt(`Token ${await signed({ sub: 'x', aud: 'syncline', iat: now - 100, exp: now - 60 })}`),
    ).toEqual({
      status: 401,
      code: 'SYNC_E803',
    });
    expect(await attempt(`Token ${await token('x', { aud: 'elsewhere' })}`)).toEqual({
      status: 401,
      code: 'SYNC_E804',
    });
    expect(await attempt(`Token ${await signed({ aud: 'syncline', iat: now, exp: now + 60 })}`)).toEqual({
      status: 401,
      code: 'SYNC_E802',
    });
    expect(await attempt(`Token ${await token('x', { ttlS: 3 * 3600 })}`)).toEqual({
      status: 401,
      code: 'SYNC_E813',
    });
    expect(
      await attempt(`Token ${await signed({ sub: 'x', aud: 'syncline', iat: now + 3600, exp: now + 4000 })}`),
    ).toEqual({ status: 401, code: 'SYNC_E814' });
    // A valid token but a malformed body: 400, still before streaming.
    const res = await fetch(`${endpoint}/sync/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Token ${await token('x')}` },
      body: '{"buckets": [{"name": "b", "after": "x"}]}',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('SYNC_E808');
    // Oversize: a body over SYNCLINE_MAX_REQUEST_BYTES (256 KiB), and client parameters over
    // SYNCLINE_MAX_PARAMETER_BYTES (16 KiB) in a body under it: 413, each naming its limit.
    const oversize = async (body: string) => {
      const r = await fetch(`${endpoint}/sync/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Token ${await token('x')}` },
        body,
      });
      return {
        status: r.status,
        error: ((await r.json()) as { error: { code: string; description: string } }).error,
      };
    };
    const big = await oversize(JSON.stringify({ parameters: { p: 'x'.repeat(300_000) } }));
    expect(big).toMatchObject({ status: 413, error: { code: 'SYNC_E807' } });
    expect(big.error.description).toMatch(/262144 bytes \(SYNCLINE_MAX_REQUEST_BYTES\)/);
    const params = await oversize(JSON.stringify({ parameters: { p: 'x'.repeat(20_000) } }));
    expect(params).toMatchObject({ status: 413, error: { code: 'SYNC_E807' } });
    expect(params.error.description).toMatch(
      /client parameters are 2\d{4} bytes.*16384.*SYNCLINE_MAX_PARAMETER_BYTES/,
    );
    const bad = new SyncClient({ endpoint, token: 'nope' });
    await expect(bad.connect()).rejects.toBeInstanceOf(SyncStreamError);
  });
});
