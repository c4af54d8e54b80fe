// The record batches the local broker stored for a topic partition, read from its log segments
// with Kafka's own DumpLogSegments tool: who produced them (producer id, sequence) and whether in
// a transaction. Tests use it to check that Connect's producer is idempotent.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { componentDir } from './component';
import type { StackConfig } from './config';
import { ensureDownloads } from './downloads';
import { findJava } from './java';
import { run } from './processes';

export interface StoredBatch {
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
  /** -1 for a producer without idempotence. */
  readonly producerId: bigint;
  readonly baseSequence: number;
  readonly transactional: boolean;
}

/** Parses DumpLogSegments' batch lines (`baseOffset: 0 lastOffset: 6 … producerId: -1 …`). */
export function parseBatchLines(output: string): StoredBatch[] {
  const out: StoredBatch[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('baseOffset:')) continue;
    const field = (name: string): string => {
      const m = new RegExp(`(?:^| )${name}: (\\S+)`).exec(line);
      if (!m) throw new Error(`DumpLogSegments line without ${name}: ${line.slice(0, 200)}`);
      return m[1]!;
    };
    out.push({
      baseOffset: BigInt(field('baseOffset')),
      lastOffset: BigInt(field('lastOffset')),
      producerId: BigInt(field('producerId')),
      baseSequence: Number(field('baseSequence')),
      transactional: field('isTransactional') === 'true',
    });
  }
  return out;
}

/** Every batch stored for `topic`/`partition` by the stack's broker, in offset order. */
export async function storedBatches(
  config: StackConfig,
  topic: string,
  partition: number,
): Promise<StoredBatch[]> {
  const dir = path.join(componentDir(config, 'kafka'), 'data', `${topic}-${partition}`);
  const segments = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .map((f) => path.join(dir, f));
  if (segments.length === 0) return [];
  const java = await findJava(17, 'DumpLogSegments');
  const downloads = await ensureDownloads(config, java.executable);
  const { stdout } = await run(java.executable, [
    '-cp',
    `${downloads.kafkaLibs}/*`,
    'org.apache.kafka.tools.DumpLogSegments',
    '--files',
    segments.join(','),
  ]);
  return parseBatchLines(stdout);
}
