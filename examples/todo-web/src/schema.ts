// The client's view of the demo's tables (the columns the sync rules send). PowerSync keeps each
// table as JSON rows in its SQLite and exposes them as views with these columns; `id` is implicit.
import { column, Schema, Table } from '@powersync/web';

export const AppSchema = new Schema({
  lists: new Table({
    created_at: column.text,
    name: column.text,
    owner_id: column.text,
  }),
  todos: new Table(
    {
      list_id: column.text,
      created_at: column.text,
      completed_at: column.text,
      description: column.text,
      completed: column.integer,
      created_by: column.text,
      completed_by: column.text,
    },
    { indexes: { list: ['list_id'] } },
  ),
});

export interface ListRow {
  id: string;
  name: string;
  owner_id: string;
}

export interface TodoRow {
  id: string;
  list_id: string;
  description: string;
  completed: number;
  completed_by: string | null;
}
