// Decode rate of @syncline/cdc on records shaped like the captured ones (run: npx tsx bench/cdc-decode.ts
// from libs/cdc). The evaluator's end-to-end target is 25,000 events/s per process, so decoding
// alone must stay far above it. Prints records/s for each case; JSON.parse is the lossy ceiling.
import { CdcDecoder, isMalformed, type KafkaRecord } from '../src';
import { loadRecords } from '../test/fixtures';

/** N distinct records (different ids, LSNs and values) built from one captured record. */
function variants(template: KafkaRecord, n: number): KafkaRecord[] {
  const records: KafkaRecord[] = [];
  for (let i = 0; i < n; i++) {
    const raw = template.value;
    const text = raw === null ? '' : typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
    // Vary only the payload: the schema text must stay identical, as it does on a real topic.
    const cut = text.indexOf(',"payload":') + 1;
    const value =
      text.slice(0, cut) +
      text
        .slice(cut)
        .replace(/"lsn":(\d+)/, (_m, lsn: string) => `"lsn":${BigInt(lsn) + BigInt(i * 64)}`)
        .replace(/"i8":\d+/, `"i8":${9007199254740993n + BigInt(i)}`)
        .replace(/"name":"[^"]*"/, `"name":"row ${i}"`)
        .replace(/"total_order":\d+/, `"total_order":${(i % 100) + 1}`);
    records.push({
      topic: template.topic,
      partition: template.partition,
      offset: String(i),
      key: template.key ?? Buffer.from('null'),
      value: Buffer.from(value),
      headers: {},
    });
  }
  return records;
}

function measure(name: string, records: KafkaRecord[], decode: (r: KafkaRecord) => unknown): void {
  for (const r of records.slice(0, 2000)) decode(r); // warm-up
  let count = 0;
  const bytes = records.reduce((n, r) => n + (r.value?.length ?? 0), 0) / records.length;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < 2_000_000_000n) {
    for (const r of records) {
      const result = decode(r);
      if (isMalformed(result)) throw result;
    }
    count += records.length;
    elapsed = process.hrtime.bigint() - start;
  }
  const perSecond = Math.round((count * 1e9) / Number(elapsed));
  const mbPerSecond = ((perSecond * bytes) / 1e6).toFixed(0);
  process.stdout.write(
    `${name.padEnd(58)} ${perSecond.toLocaleString('en-US').padStart(10)} records/s  (${Math.round(bytes)} B/record, ${mbPerSecond} MB/s)\n`,
  );
}

const withSchema = variants(
  loadRecords('schemas-enabled').find((r) => r.topic === 't2.s1.types') as KafkaRecord,
  10_000,
);
const withoutSchema = variants(
  loadRecords('schemas-disabled').find((r) => r.topic === 't1.s1.items' && r.offset === '2') as KafkaRecord,
  10_000,
);
const transactions = loadRecords('schemas-enabled')
  .filter((r) => r.topic === 't2.transaction')
  .flatMap((r) => variants(r, 5_000));

const decoder = new CdcDecoder();
measure('change, schemas enabled, schema cache', withSchema, (r) => decoder.decodeChange(r));
measure('change, schemas enabled, no cache (new decoder per record)', withSchema.slice(0, 2000), (r) =>
  new CdcDecoder().decodeChange(r),
);
measure('change, schemas disabled', withoutSchema, (r) => decoder.decodeChange(r));
measure('transaction BEGIN/END, schemas enabled', transactions, (r) => decoder.decodeTransaction(r));
const text = withSchema.map((r) => Buffer.from(r.value as Uint8Array).toString('utf8'));
let i = 0;
measure('baseline: JSON.parse of the same text (loses int64s)', withSchema, () =>
  JSON.parse(text[i++ % text.length] as string),
);
process.stdout.write(`schema cache: ${JSON.stringify(decoder.stats)}\n`);
