// Drives the official PowerSync Node client (@powersync/node, an ES module) for the gateway's
// tests, which run as CommonJS under jest: one JSON command per stdin line, one JSON answer per
// stdout line. Its connector fetches credentials from the environment and uploads through the
// example backend, as an app's connector would; sync stream subscriptions are held by handle.
import readline from 'node:readline';
import { PowerSyncDatabase, Schema, Table, column } from '@powersync/node';

// stdout carries the answers: the SDK's own log lines ("[PowerSync] ...") go to stderr, where the
// test keeps them.
for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace'])
  console[level] = (...args) => process.stderr.write(`${args.map(String).join(' ')}\n`);

const { SYNC_ENDPOINT, SYNC_TOKEN, UPLOAD_URL, DB_DIR } = process.env;

const schema = new Schema({
  lists: new Table({ owner: column.text, name: column.text }),
  todos: new Table({ list_id: column.integer, title: column.text, big: column.integer }),
});

const db = new PowerSyncDatabase({ schema, database: { dbFilename: 'client.db', dbLocation: DB_DIR } });

const connector = {
  async fetchCredentials() {
    return { endpoint: SYNC_ENDPOINT, token: SYNC_TOKEN };
  },
  async uploadData(database) {
    const tx = await database.getNextCrudTransaction();
    if (!tx) return;
    const res = await fetch(UPLOAD_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SYNC_TOKEN}` },
      body: JSON.stringify({ batch: tx.crud.map((c) => c.toJSON()) }),
    });
    if (!res.ok) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
    await tx.complete();
  },
};

const answer = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

// Sync stream subscriptions the test holds, by the handle number `subscribe` answered.
const subscriptions = new Map();
let nextHandle = 0;

const commands = {
  connect: (args) => db.connect(connector, args ?? {}),
  waitForFirstSync: () => db.waitForFirstSync(),
  getAll: (args) => db.getAll(args.sql, args.params ?? []),
  execute: (args) => db.execute(args.sql, args.params ?? []).then(() => null),
  status: () => {
    const s = db.currentStatus;
    return { connected: s.connected, hasSynced: s.hasSynced ?? false, lastSyncedAt: s.lastSyncedAt ?? null };
  },
  subscribe: async (args) => {
    const stream = db.syncStream(args.name, args.params ?? undefined);
    const subscription = await stream.subscribe({ ttl: args.ttl, priority: args.priority });
    subscriptions.set(nextHandle, subscription);
    return nextHandle++;
  },
  waitForStream: (args) => subscriptions.get(args.handle).waitForFirstSync(),
  unsubscribe: (args) => {
    subscriptions.get(args.handle).unsubscribe();
    subscriptions.delete(args.handle);
    return null;
  },
  streams: () =>
    (db.currentStatus.syncStreams ?? []).map((s) => ({
      name: s.subscription.name,
      parameters: s.subscription.parameters,
      active: s.subscription.active,
      isDefault: s.subscription.isDefault,
      hasExplicitSubscription: s.subscription.hasExplicitSubscription,
      hasSynced: s.subscription.hasSynced,
      priority: s.priority,
    })),
  disconnect: () => db.disconnect(),
  close: () => db.close(),
};

for await (const line of readline.createInterface({ input: process.stdin })) {
  const { id, cmd, args } = JSON.parse(line);
  try {
    const result = await commands[cmd](args);
    answer({ id, ok: true, result: result ?? null });
    if (cmd === 'close') process.exit(0);
  } catch (error) {
    answer({ id, ok: false, error: String(error?.stack ?? error) });
  }
}
