// Messages for configuration that fails validation at start-up: one line per environment
// variable saying what is wrong and what was got, then the page that documents them all.
import type { ZodError } from 'zod';

export type Environment = Readonly<Record<string, string | undefined>>;

/** `  VARIABLE: problem (not set)` or `  VARIABLE: problem (got "value")`. */
export function configIssueLine(variable: string, problem: string, env: Environment): string {
  const value = env[variable];
  const shown = value === undefined ? 'not set' : `got ${JSON.stringify(value)}`;
  return `  ${variable}: ${problem} (${shown})`;
}

/**
 * `invalid <service> configuration:`, a line per issue of `error` (a schema keyed by variable
 * name parsed `env`), and `See <docsPage>.`
 */
export function configErrorMessage(
  service: string,
  error: ZodError,
  env: Environment,
  docsPage: string,
): string {
  const lines = error.issues.map((i) => configIssueLine(String(i.path[0] ?? '?'), i.message, env));
  return `invalid ${service} configuration:\n${lines.join('\n')}\nSee ${docsPage}.`;
}
