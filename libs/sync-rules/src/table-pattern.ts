// Source table names in FROM: `todos`, `s1.todos`, and wildcards such as `todos_%`.

export interface TablePattern {
  schema: string;
  name: string;
  isWildcard: boolean;
}

export interface SourceTableName {
  schema: string;
  name: string;
}

export function tablePattern(name: string, schema: string | undefined, defaultSchema: string): TablePattern {
  return { schema: schema ?? defaultSchema, name, isWildcard: name.includes('%') };
}

/** Accepts `name` or `schema.name` (the Debezium topic suffix form). */
export function parseSourceTable(table: string, defaultSchema: string): SourceTableName {
  const dot = table.lastIndexOf('.');
  return dot < 0
    ? { schema: defaultSchema, name: table }
    : { schema: table.slice(0, dot), name: table.slice(dot + 1) };
}

export function compileTableMatcher(pattern: TablePattern): (table: SourceTableName) => boolean {
  if (!pattern.isWildcard) return (t) => t.name === pattern.name && t.schema === pattern.schema;
  const escaped = pattern.name
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/%/g, '.*')
    .replace(/_/g, '.');
  const regex = new RegExp(`^${escaped}$`);
  return (t) => t.schema === pattern.schema && regex.test(t.name);
}
