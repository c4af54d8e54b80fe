// The demo's app: the official PowerSync Node client (@powersync/node) syncing the demo's lists
// and todos from a Syncline gateway into a local SQLite file, as an app would. It prints the
// user's rows as one JSON line after the first sync and again after every change it syncs.
// Usage: SYNC_TOKEN=$(npx syncline token --sub user-1) node examples/cdc-demo/client.mjs
// (SYNC_ENDPOINT defaults to http://127.0.0.1:8080; DB_DIR to a new temporary directory).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PowerSyncDatabase, Schema, Table, column } from '@powersync/node';

const endpoint = process.env.SYNC_ENDPOINT ?? 'http://127.0.0.1:8080';
const token = process.env.SYNC_TOKEN;
if (!token) {
  process.stderr.write('client.mjs: set SYNC_TOKEN (npx syncline token --sub user-1)\n');
  process.exit(2);
}

// The client-side schema of what the demo's sync rules send (examples/cdc-demo/sync-rules.yaml).
const schema = new Schema({
  lists: new Table({ created_at: column.text, name: column.text, owner_id: column.text }),
  todos: new Table({
    created_at: column.text,
    completed_at: column.text,
    description: column.text,
    completed: column.integer,
    created_by: column.text,
    completed_by: column.text,
    list_id: column.text,
  }),
});

const db = new PowerSyncDatabase({
  schema,
  database: {
    dbFilename: 'demo-client.db',
    dbLocation: process.env.DB_DIR ?? mkdtempSync(path.join(tmpdir(), 'syncline-demo-client-')),
  },
});

const connector = {
  fetchCredentials: async () => ({ endpoint, token }),
  // The demo makes no local writes; an app posts them to its backend (examples/backend).
  uploadData: async () => {},
};

const rows = async () => ({
  lists: await db.getAll('SELECT id, name, owner_id FROM lists ORDER BY created_at, id'),
  todos: await db.getAll('SELECT id, list_id, description, completed FROM todos ORDER BY created_at, id'),
});

const stop = async () => {
  await db.disconnectAndClear().catch(() => undefined);
  await db.close().catch(() => undefined);
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

await db.connect(connector);
await db.waitForFirstSync();
process.stdout.write(`${JSON.stringify(await rows())}\n`);
// Tables change only when a whole checkpoint has been applied.
for await (const { changedTables } of db.onChange({ tables: ['lists', 'todos'] }))
  if (changedTables.length > 0) process.stdout.write(`${JSON.stringify(await rows())}\n`);
