// The demo app: sign in as a demo user, see the lists you are a member of and their todos from
// the browser's own SQLite, change them offline or online, and watch what sync does.
import { PowerSyncDatabase } from '@powersync/web';
import { BackendConnector } from './connector';
import { AppSchema, type ListRow, type TodoRow } from './schema';
import { renderDetails, renderLists, renderStatus, type BucketRow } from './view';
import './style.css';

const USERS = ['alice', 'bob', 'carol'];

interface Session {
  readonly user: string;
  readonly db: PowerSyncDatabase;
  readonly connector: BackendConnector;
  readonly stop: AbortController;
  offline: boolean;
}

const $ = <T extends HTMLElement>(selector: string): T => document.querySelector<T>(selector)!;
let session: Session | null = null;

function showSignIn(): void {
  $('#signin').hidden = false;
  $('#app').hidden = true;
  $('#users').replaceChildren(
    ...USERS.map((user) => {
      const button = document.createElement('button');
      button.textContent = user;
      button.dataset.testid = `signin-${user}`;
      button.onclick = () => void signIn(user);
      return button;
    }),
  );
}

async function signIn(user: string): Promise<void> {
  // One database file per user: two windows of one browser can be two users.
  const db = new PowerSyncDatabase({ schema: AppSchema, database: { dbFilename: `todo-demo-${user}.db` } });
  const connector = new BackendConnector(user);
  const s: Session = { user, db, connector, stop: new AbortController(), offline: false };
  session = s;
  history.replaceState(null, '', `?user=${user}`);
  $('#signin').hidden = true;
  $('#app').hidden = false;
  $('#who').textContent = user;
  // For the curious (and the browser test): the database in the console as `todoDemo.db`.
  (window as unknown as { todoDemo: unknown }).todoDemo = { db, user };
  await db.init();
  const signal = s.stop.signal;
  db.onChange({ onChange: () => void drawLists(s) }, { tables: ['lists', 'todos'], signal, throttleMs: 50 });
  // A new checkpoint, a finished upload or a lost connection: status, queue and buckets change.
  const dispose = db.registerListener({ statusChanged: () => void drawStatus(s) });
  signal.addEventListener('abort', dispose);
  await drawLists(s);
  await db.connect(connector);
}

async function drawLists(s: Session): Promise<void> {
  if (session !== s) return;
  const lists = await s.db.getAll<ListRow>('SELECT id, name, owner_id FROM lists ORDER BY name');
  const todos = await s.db.getAll<TodoRow>(
    'SELECT id, list_id, description, completed, completed_by FROM todos ORDER BY created_at, description',
  );
  renderLists($('#lists'), lists, todos, {
    add: (listId, description) =>
      s.db.execute(
        'INSERT INTO todos (id, list_id, description, completed, created_by, created_at) VALUES (uuid(), ?, ?, 0, ?, ?)',
        [listId, description, s.user, new Date().toISOString()],
      ),
    toggle: (todo) =>
      todo.completed
        ? s.db.execute(
            'UPDATE todos SET completed = 0, completed_at = NULL, completed_by = NULL WHERE id = ?',
            [todo.id],
          )
        : s.db.execute('UPDATE todos SET completed = 1, completed_at = ?, completed_by = ? WHERE id = ?', [
            new Date().toISOString(),
            s.user,
            todo.id,
          ]),
    remove: (todo) => s.db.execute('DELETE FROM todos WHERE id = ?', [todo.id]),
  });
  await drawStatus(s); // the upload queue changes with local writes
}

/** The status line (connection, last sync, pending uploads) and the sync details panel. */
async function drawStatus(s: Session): Promise<void> {
  if (session !== s) return;
  const status = s.db.currentStatus;
  const pending = (await s.db.getUploadQueueStats()).count;
  renderStatus($('#status'), status, pending, s.offline);
  $<HTMLButtonElement>('#offline').textContent = s.offline ? 'Go online' : 'Go offline';
  const buckets = await s.db.getAll<BucketRow>(
    `SELECT name, CAST(last_op AS TEXT) AS last_op, count_at_last + count_since_last AS ops FROM ps_buckets ORDER BY name`,
  );
  renderDetails($('#details'), buckets, status);
}

async function toggleOffline(): Promise<void> {
  const s = session;
  if (s === null) return;
  s.offline = !s.offline;
  if (s.offline) await s.db.disconnect();
  else await s.db.connect(s.connector);
  await drawStatus(s);
}

async function signOut(): Promise<void> {
  const s = session;
  session = null;
  if (s !== null) {
    s.stop.abort();
    await s.db.disconnect();
    await s.db.close();
  }
  history.replaceState(null, '', location.pathname);
  showSignIn();
}

$('#offline').onclick = () => void toggleOffline();
$('#signout').onclick = () => void signOut();
const requested = new URLSearchParams(location.search).get('user');
if (requested !== null && USERS.includes(requested)) void signIn(requested);
else showSignIn();
