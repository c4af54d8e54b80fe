// Flags of a `syncline` command, parsed strictly: an unknown or malformed flag is a UsageError
// (exit 2) that names it, in every command alike.
import { parseArgs } from 'node:util';
import { UsageError } from './io';

interface FlagOption {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly default?: string | boolean;
}

type FlagValues<T extends Record<string, FlagOption>> = {
  [K in keyof T]?: T[K]['type'] extends 'string' ? string : boolean;
};

export function parseFlags<const T extends Record<string, FlagOption>>(
  args: string[],
  options: T,
): FlagValues<T> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as FlagValues<T>;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The sync-rules file of a service command: `--rules FILE`, else SYNCLINE_RULES_FILE. */
export function rulesFileOf(flag: string | undefined, usage: string): string {
  const file = flag ?? process.env.SYNCLINE_RULES_FILE;
  if (file === undefined) throw new UsageError(`missing --rules FILE\n${usage}`);
  return file;
}
