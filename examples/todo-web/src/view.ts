// Rendering only: the app's state in, DOM out. `data-testid` attributes are what the browser test
// (and anyone scripting the demo) looks for.
import type { SyncStatus } from '@powersync/web';
import type { ListRow, TodoRow } from './schema';

export interface BucketRow {
  name: string;
  /** As text: op ids are 64-bit. */
  last_op: string;
  ops: number;
}

export interface Actions {
  add(listId: string, description: string): Promise<unknown>;
  toggle(todo: TodoRow): Promise<unknown>;
  remove(todo: TodoRow): Promise<unknown>;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> & { testid?: string } = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  const { testid, ...rest } = props;
  Object.assign(node, rest);
  if (testid !== undefined) node.dataset.testid = testid;
  node.append(...children);
  return node;
}

export function renderLists(root: HTMLElement, lists: ListRow[], todos: TodoRow[], actions: Actions): void {
  if (lists.length === 0) {
    root.replaceChildren(el('p', { className: 'empty' }, 'No lists yet: waiting for the first sync…'));
    return;
  }
  // Keep what the user is typing, and where, across re-renders.
  const drafts = new Map<string, string>();
  for (const input of root.querySelectorAll<HTMLInputElement>('input[data-list]'))
    drafts.set(input.dataset.list!, input.value);
  const focused =
    document.activeElement instanceof HTMLInputElement ? document.activeElement.dataset.list : undefined;
  root.replaceChildren(
    ...lists.map((list) => {
      const input = el('input', {
        placeholder: 'New todo',
        value: drafts.get(list.id) ?? '',
        testid: 'new-todo',
      });
      input.dataset.list = list.id;
      const form = el('form', {}, input, el('button', { type: 'submit' }, 'Add'));
      form.onsubmit = (event) => {
        event.preventDefault();
        const description = input.value.trim();
        if (description === '') return;
        input.value = '';
        void actions.add(list.id, description);
      };
      const items = todos
        .filter((t) => t.list_id === list.id)
        .map((todo) => {
          const box = el('input', { type: 'checkbox', checked: Boolean(todo.completed), testid: 'toggle' });
          box.onchange = () => void actions.toggle(todo);
          const remove = el('button', { className: 'remove', title: 'Delete', testid: 'delete' }, '×');
          remove.onclick = () => void actions.remove(todo);
          const by = todo.completed && todo.completed_by ? ` (done by ${todo.completed_by})` : '';
          const item = el(
            'li',
            { className: todo.completed ? 'done' : '', testid: 'todo' },
            el('label', {}, box, el('span', { testid: 'description' }, todo.description), by),
            remove,
          );
          item.dataset.id = todo.id;
          item.dataset.completed = String(Boolean(todo.completed));
          return item;
        });
      const section = el(
        'section',
        { className: 'list', testid: 'list' },
        el('h2', {}, list.name, el('small', {}, ` owner ${list.owner_id}`)),
        el('ul', {}, ...items),
        form,
      );
      section.dataset.id = list.id;
      section.dataset.name = list.name;
      return section;
    }),
  );
  if (focused !== undefined) root.querySelector<HTMLInputElement>(`input[data-list="${focused}"]`)?.focus();
}

export function renderStatus(root: HTMLElement, status: SyncStatus, pending: number, offline: boolean): void {
  const state = offline
    ? 'offline'
    : status.connected
      ? 'connected'
      : status.connecting
        ? 'connecting'
        : 'disconnected';
  const flow = status.dataFlowStatus;
  root.replaceChildren(
    el('span', { className: `badge ${state}`, testid: 'connection' }, state),
    el(
      'span',
      { testid: 'last-synced' },
      `last synced ${status.lastSyncedAt?.toLocaleTimeString() ?? 'never'}`,
    ),
    el('span', { testid: 'pending' }, `${pending} pending upload${pending === 1 ? '' : 's'}`),
    flow.downloading ? el('span', {}, 'downloading…') : '',
    flow.uploading ? el('span', {}, 'uploading…') : '',
    flow.downloadError
      ? el('span', { className: 'error' }, `download error: ${flow.downloadError.message}`)
      : '',
    flow.uploadError ? el('span', { className: 'error' }, `upload error: ${flow.uploadError.message}`) : '',
  );
}

/** The sync details panel: the buckets this client holds and the checkpoint it is at. */
export function renderDetails(root: HTMLElement, buckets: BucketRow[], status: SyncStatus): void {
  const held = buckets.filter((b) => b.name !== '$local');
  // A completed checkpoint sets every bucket's last op id to the checkpoint's.
  const checkpoint = held.reduce((max, b) => (BigInt(b.last_op) > max ? BigInt(b.last_op) : max), 0n);
  const priorities = (status.priorityStatusEntries ?? [])
    .map((p) => {
      const which = p.priority === 2147483647 ? 'all buckets' : `priority ${p.priority}`;
      return `${which}: ${p.hasSynced ? `synced ${p.lastSyncedAt?.toLocaleTimeString() ?? ''}` : 'not yet'}`;
    })
    .join('; ');
  root.replaceChildren(
    el('p', {}, 'Last checkpoint (op id): ', el('code', { testid: 'checkpoint' }, String(checkpoint))),
    priorities ? el('p', {}, priorities) : '',
    el(
      'table',
      {},
      el('tr', {}, el('th', {}, 'bucket'), el('th', {}, 'ops'), el('th', {}, 'at op id')),
      ...held.map((b) => {
        const row = el(
          'tr',
          { testid: 'bucket' },
          el('td', {}, el('code', {}, b.name)),
          el('td', {}, String(b.ops)),
          el('td', {}, String(b.last_op)),
        );
        row.dataset.name = b.name;
        return row;
      }),
    ),
  );
}
