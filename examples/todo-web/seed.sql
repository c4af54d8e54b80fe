-- The todo demo's users and lists (fixed ids, so running it again changes nothing): Alice and
-- Bob share Groceries; Carol has a reading list of her own and never sees Groceries.
INSERT INTO lists (id, name, owner_id) VALUES
  ('6f1c0000-0000-4000-8000-000000000001', 'Groceries', 'alice'),
  ('6f1c0000-0000-4000-8000-000000000002', 'Reading', 'carol')
ON CONFLICT (id) DO NOTHING;
INSERT INTO list_members (list_id, user_id) VALUES
  ('6f1c0000-0000-4000-8000-000000000001', 'alice'),
  ('6f1c0000-0000-4000-8000-000000000001', 'bob'),
  ('6f1c0000-0000-4000-8000-000000000002', 'carol')
ON CONFLICT DO NOTHING;
INSERT INTO todos (id, list_id, description, created_by) VALUES
  ('6f1c0000-0000-4000-8000-000000000101', '6f1c0000-0000-4000-8000-000000000001', 'milk', 'alice'),
  ('6f1c0000-0000-4000-8000-000000000102', '6f1c0000-0000-4000-8000-000000000001', 'bread', 'bob'),
  ('6f1c0000-0000-4000-8000-000000000201', '6f1c0000-0000-4000-8000-000000000002', 'Dune', 'carol')
ON CONFLICT (id) DO NOTHING;
