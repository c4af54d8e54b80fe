// `syncline rules validate|eval|buckets`: check a sync rules file and try it on rows and tokens.
// Thin wrapper over @syncline/sync-rules; output formats are documented in docs/sync-rules.md.
import { parseArgs } from 'node:util';
import {
  createRequestContext,
  serializeParameterLookup,
  type BucketReason,
  type ParameterLookup,
  type RequestContext,
  type StreamSubscription,
  type SyncRules,
} from '@syncline/sync-rules';
import { parseJsonIntegersAsBigInt, stringifyJson, type JsonValue } from '@syncline/lossless-json';
import type { SqliteJsonRow, SqliteRow } from '@syncline/sqlite-value';
import { compileSyncRulesFile } from '@syncline/service-runtime';
import type { CliIo } from '../io';
import { UsageError } from '../io';

const USAGE = [
  'usage:',
  '  syncline rules validate FILE',
  '  syncline rules eval FILE --table T --row JSON',
  '  syncline rules buckets FILE --token JSON [--params JSON] [--rows JSON]',
  '                               [--subscription NAME[=JSON]]... [--no-defaults]   (edition 3)',
].join('\n');

export async function runRulesCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.out(USAGE);
    return sub === undefined ? 2 : 0;
  }
  switch (sub) {
    case 'validate':
      return validate(rest, io);
    case 'eval':
      return evaluate(rest, io);
    case 'buckets':
      return buckets(rest, io);
    default:
      throw new UsageError(`unknown subcommand '${sub}'\n${USAGE}`);
  }
}

type OptionSpec = { type: 'string'; multiple?: boolean } | { type: 'boolean' };

function parse(
  args: string[],
  options: Record<string, OptionSpec>,
): { file: string; values: Record<string, string | undefined> } {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const [file, ...extra] = parsed.positionals;
  if (file === undefined) throw new UsageError(`missing FILE\n${USAGE}`);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  return { file, values: parsed.values as Record<string, string | undefined> };
}

/** Compiles and prints diagnostics (`FILE:LINE:COL: severity: message`); undefined on errors. */
async function compileFile(file: string, write: (line: string) => void): Promise<SyncRules | undefined> {
  const { rules, diagnostics } = await compileSyncRulesFile(file);
  for (const d of diagnostics) write(d.text);
  return rules;
}

async function validate(args: string[], io: CliIo): Promise<number> {
  const { file } = parse(args, {});
  const rules = await compileFile(file, (line) => io.out(line));
  if (!rules) return 1;
  const queries = rules.definitions.reduce((n, d) => n + d.dataQueries.length + d.parameterQueries.length, 0);
  // Edition 3: a stream compiles to buckets `<stream>|<n>`, each with one data query per table.
  const counts = rules.hasStreams
    ? `${rules.streamNames.length} streams, ${rules.definitions.length} buckets, ${queries} data queries`
    : `${rules.definitions.length} bucket definitions, ${queries} queries`;
  io.out(`${file}: valid (${counts}, hash ${rules.hash.slice(0, 12)})`);
  return 0;
}

function parseJsonOption(name: string, text: string | undefined): JsonValue | undefined {
  if (text === undefined) return undefined;
  try {
    return parseJsonIntegersAsBigInt(text);
  } catch (err) {
    throw new UsageError(`--${name} is not valid JSON: ${(err as Error).message}`);
  }
}

function asObject(name: string, value: JsonValue | undefined): Record<string, JsonValue> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`--${name} must be a JSON object`);
  }
  return value;
}

/** JSON row values -> SQLite values: booleans 1/0, nested JSON as JSON text. */
function toRow(object: Record<string, JsonValue>): SqliteRow {
  const row: SqliteRow = {};
  for (const [key, value] of Object.entries(object)) {
    if (typeof value === 'boolean') row[key] = value ? 1n : 0n;
    else if (value !== null && typeof value === 'object') row[key] = stringifyJson(value);
    else row[key] = value;
  }
  return row;
}

async function evaluate(args: string[], io: CliIo): Promise<number> {
  const { file, values } = parse(args, { table: { type: 'string' }, row: { type: 'string' } });
  if (values['table'] === undefined) throw new UsageError('--table is required');
  if (values['row'] === undefined) throw new UsageError('--row is required');
  const table = values['table'];
  const row = toRow(asObject('row', parseJsonOption('row', values['row'])));
  const rules = await compileFile(file, (line) => io.err(line));
  if (!rules) return 1;
  for (const op of rules.evaluateRow(table, row)) {
    io.out(stringifyJson({ bucket: op.bucket, outputTable: op.outputTable, id: op.id, data: op.data }));
  }
  for (const entry of rules.evaluateParameterRow(table, row)) {
    io.out(stringifyJson({ lookup: serializeParameterLookup(entry.lookup), parameters: entry.parameters }));
  }
  return 0;
}

async function buckets(args: string[], io: CliIo): Promise<number> {
  const { file, values } = parse(args, {
    token: { type: 'string' },
    params: { type: 'string' },
    rows: { type: 'string' },
    subscription: { type: 'string', multiple: true },
    'no-defaults': { type: 'boolean' },
  });
  if (values['token'] === undefined) throw new UsageError('--token is required (the JWT payload as JSON)');
  const token = asObject('token', parseJsonOption('token', values['token']));
  const params = asObject('params', parseJsonOption('params', values['params']));
  const tables = asObject('rows', parseJsonOption('rows', values['rows']));
  const rules = await compileFile(file, (line) => io.err(line));
  if (!rules) return 1;

  // Index the given rows exactly as the replicator would, then answer lookups from that index.
  const index = new Map<string, SqliteJsonRow[]>();
  for (const [table, rows] of Object.entries(tables)) {
    if (!Array.isArray(rows)) throw new UsageError(`--rows: '${table}' must map to an array of row objects`);
    for (const row of rows) {
      for (const entry of rules.evaluateParameterRow(table, toRow(asObject('rows', row)))) {
        const key = serializeParameterLookup(entry.lookup);
        index.set(key, [...(index.get(key) ?? []), entry.parameters]);
      }
    }
  }
  const lookup = async (lookups: readonly ParameterLookup[]): Promise<SqliteJsonRow[][]> =>
    lookups.map((l) => index.get(serializeParameterLookup(l)) ?? []);
  const request = createRequestContext(token, params);
  // parseArgs gives a list for a `multiple` option and a boolean for a flag (typed as strings above).
  const subscriptions = (values['subscription'] as unknown as string[] | undefined) ?? [];
  const includeDefaults = (values['no-defaults'] as unknown) !== true;
  if (rules.hasStreams) return printStreamBuckets(rules, request, subscriptions, includeDefaults, lookup, io);
  if (subscriptions.length > 0 || !includeDefaults) {
    throw new UsageError('--subscription and --no-defaults need an edition-3 (sync streams) file');
  }
  const resolved = await rules.resolveBuckets(request, lookup);
  for (const bucket of resolved) io.out(`${bucket.bucket}\tpriority=${bucket.priority}`);
  return 0;
}

/** `NAME` or `NAME=JSON` (the subscription's parameters, an object). */
function parseSubscription(text: string): StreamSubscription {
  const eq = text.indexOf('=');
  if (eq < 0) return { stream: text };
  const parameters = asObject('subscription', parseJsonOption('subscription', text.slice(eq + 1)));
  return { stream: text.slice(0, eq), parameters };
}

/** One line per bucket with the subscriptions that reached it (`default` or `<index>:<stream>`). */
async function printStreamBuckets(
  rules: SyncRules,
  request: RequestContext,
  subscriptionArgs: string[],
  includeDefaults: boolean,
  lookup: (lookups: readonly ParameterLookup[]) => Promise<SqliteJsonRow[][]>,
  io: CliIo,
): Promise<number> {
  const subscriptions = subscriptionArgs.map(parseSubscription);
  const { buckets, errors } = await rules.resolveStreamSubscriptions(
    request,
    { includeDefaults, subscriptions },
    lookup,
  );
  const reason = (r: BucketReason): string =>
    r === 'default' ? 'default' : `${r.subscription}:${subscriptions[r.subscription]?.stream ?? '?'}`;
  for (const bucket of buckets) {
    io.out(
      `${bucket.bucket}\tpriority=${bucket.priority}\tsubscriptions=${bucket.reasons.map(reason).join(',')}`,
    );
  }
  for (const error of errors)
    io.err(`error: stream '${error.stream}' (${reason(error.reason)}): ${error.message}`);
  return errors.length > 0 ? 1 : 0;
}
