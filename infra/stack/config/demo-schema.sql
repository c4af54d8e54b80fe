-- Demo schema the local stack creates in its own fresh database, so the Debezium connector
-- (whose `filtered` publication needs at least one table) has something to capture from the
-- first `stack up`. A to-do app: lists owned by users and shared through list_members, todos in
-- lists. Unqualified and idempotent: the todo demo (examples/todo-web) applies it again in the
-- schema it runs in (search_path), on a stack created before list_members existed too.
CREATE TABLE IF NOT EXISTS lists (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now(),
  name text NOT NULL,
  owner_id text NOT NULL
);

CREATE TABLE IF NOT EXISTS todos (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  description text NOT NULL,
  completed boolean NOT NULL DEFAULT false,
  created_by text,
  completed_by text,
  list_id uuid NOT NULL REFERENCES lists (id) ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS list_members (
  list_id uuid NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  user_id text NOT NULL,
  PRIMARY KEY (list_id, user_id)
);
