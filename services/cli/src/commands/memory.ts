// `syncline memory [--deployment NAME] [--rules-version V] [--top N] [--json]`: what one
// deployment's state costs in Redis (REDIS_URL), by category and per bucket, without the local
// stack (docs/deploy.md, "Sizing"). The evaluator exports the same totals as gauges.
import {
  formatBytes,
  keyPrefixFor,
  MEMORY_CATEGORIES,
  readMemoryUsage,
  type MemoryReport,
} from '@syncline/bucket-store';
import { createRedisClient, redisReady } from '@syncline/service-runtime';
import type { CliIo } from '../io';
import { UsageError } from '../io';
import { parseFlags } from '../flags';

const USAGE = [
  'usage:',
  '  syncline memory [--deployment NAME] [--rules-version V] [--top 10] [--json]',
  '      Redis bytes of one deployment and rules version (REDIS_URL), by category and per bucket',
  '      (defaults: SYNCLINE_DEPLOYMENT or "default", SYNCLINE_RULES_VERSION or "1")',
].join('\n');

const REDIS_WAIT_MS = 10_000;
/** SYNCLINE_DEPLOYMENT and SYNCLINE_RULES_VERSION as the evaluator validates them. */
const NAME = /^[A-Za-z0-9_.-]+$/;

export async function runMemoryCommand(args: string[], io: CliIo): Promise<number> {
  const values = parseFlags(args, {
    deployment: { type: 'string' },
    'rules-version': { type: 'string' },
    top: { type: 'string', default: '10' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const top = Number(values.top);
  if (!Number.isInteger(top) || top < 0)
    throw new UsageError(`--top must be a whole number (got ${values.top})`);
  const url = process.env.REDIS_URL;
  if (url === undefined || url === '') throw new UsageError(`REDIS_URL is not set\n${USAGE}`);
  const deployment = values.deployment ?? process.env.SYNCLINE_DEPLOYMENT ?? 'default';
  const version = values['rules-version'] ?? process.env.SYNCLINE_RULES_VERSION ?? '1';
  for (const [flag, value] of [
    ['--deployment', deployment],
    ['--rules-version', version],
  ] as const)
    if (!NAME.test(value))
      throw new UsageError(
        `${flag} must be letters, digits, _ . - only, as the evaluator's (got '${value}')`,
      );
  const prefix = keyPrefixFor(deployment, version);
  const redis = createRedisClient(url, { warn: () => undefined });
  try {
    await redisReady(redis, AbortSignal.timeout(REDIS_WAIT_MS)).catch(() => {
      throw new UsageError(`Redis (REDIS_URL) did not answer within ${REDIS_WAIT_MS / 1000} s`);
    });
    const report = await readMemoryUsage(redis, prefix);
    io.out(
      values.json
        ? JSON.stringify({ ...report, buckets: report.buckets.slice(0, top) })
        : render(report, top),
    );
    return 0;
  } finally {
    redis.disconnect();
  }
}

/** The text report: one line per figure, stable for scripts (docs/cli.md). */
export function render(report: MemoryReport, top: number): string {
  const lines = [
    `${report.prefix}: ${formatBytes(report.bytes)} in ${report.keys} keys, ${report.ops} ops stored` +
      (report.ops > 0
        ? ` (${Math.round(report.categories.buckets.bytes / report.ops)} B of bucket state per op)`
        : ''),
  ];
  for (const c of MEMORY_CATEGORIES) {
    const { bytes, keys } = report.categories[c];
    lines.push(`  ${c.padEnd(18)} ${formatBytes(bytes).padStart(9)}  ${keys} keys`);
  }
  if (top > 0 && report.buckets.length > 0) {
    lines.push(`buckets by bytes (${Math.min(top, report.buckets.length)} of ${report.buckets.length}):`);
    for (const b of report.buckets.slice(0, top))
      lines.push(`  ${formatBytes(b.bytes).padStart(9)}  ${String(b.ops).padStart(8)} ops  ${b.bucket}`);
  }
  return lines.join('\n');
}
