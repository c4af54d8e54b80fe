// Source table names in FROM: `todos`, `s1.todos`, and wildcards such as `todos_%`. As in PowerSync,
// a name is a wildcard only when it ends with `%`: it matches every table whose name starts with the
// rest, taken literally (`_` is not a LIKE placeholder), and the remainder is the `_table_suffix`.
// A schema ending with `%` matches schemas by prefix the same way.

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
  return { schema: schema ?? defaultSchema, name, isWildcard: name.endsWith('%') };
}

/** Accepts `name` or `schema.name` (the Debezium topic suffix form). */
export function parseSourceTable(table: string, defaultSchema: string): SourceTableName {
  const dot = table.lastIndexOf('.');
  return dot < 0
    ? { schema: defaultSchema, name: table }
    : { schema: table.slice(0, dot), name: table.slice(dot + 1) };
}

export function compileTableMatcher(pattern: TablePattern): (table: SourceTableName) => boolean {
  const schemaMatches = compileNameMatcher(pattern.schema);
  const nameMatches = compileNameMatcher(pattern.name);
  return (t) => nameMatches(t.name) && schemaMatches(t.schema);
}

/** `x` matches itself; `x%` every name starting with `x`. */
function compileNameMatcher(pattern: string): (name: string) => boolean {
  if (!pattern.endsWith('%')) return (name) => name === pattern;
  const prefix = pattern.slice(0, -1);
  return (name) => name.startsWith(prefix);
}

/**
 * The `_table_suffix` of a table a wildcard pattern matched: the name after the pattern's prefix
 * (`todos_%` and `todos_2024` give `2024`). Undefined for a plain table name, which has none.
 */
export function tableSuffix(pattern: TablePattern, table: SourceTableName): string | undefined {
  return pattern.isWildcard ? table.name.slice(wildcardPrefix(pattern).length) : undefined;
}

function wildcardPrefix(pattern: TablePattern): string {
  return pattern.name.slice(0, -1);
}
