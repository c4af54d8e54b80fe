-- Demo schema the local stack creates in its own fresh database, so the Debezium connector
-- (whose `filtered` publication needs at least one table) has something to capture from the
-- first `stack up`. A to-do app: lists owned by users, todos in lists.
CREATE TABLE IF NOT EXISTS public.lists (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now(),
  name text NOT NULL,
  owner_id text NOT NULL
);

CREATE TABLE IF NOT EXISTS public.todos (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  description text NOT NULL,
  completed boolean NOT NULL DEFAULT false,
  created_by text,
  completed_by text,
  list_id uuid NOT NULL REFERENCES public.lists (id) ON DELETE CASCADE
);
