// The Kafka record as the decoder receives it (shaped like a kafkajs message plus its topic and
// partition) and the position that identifies it in every error and decoded value.

export type HeaderValue = Uint8Array | string | ReadonlyArray<Uint8Array | string>;

export interface KafkaRecord {
  readonly topic: string;
  readonly partition: number;
  /** kafkajs gives offsets as decimal strings. */
  readonly offset: string | bigint | number;
  readonly key: Uint8Array | string | null;
  readonly value: Uint8Array | string | null;
  readonly headers?: Readonly<Record<string, HeaderValue | undefined>>;
}

/** Where a record sits in Kafka: what a dead-letter entry or a log line needs to find it again. */
export interface RecordPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes record bytes as strict UTF-8 (throws TypeError on invalid sequences). */
export function bytesToText(bytes: Uint8Array | string): string {
  return typeof bytes === 'string' ? bytes : utf8.decode(bytes);
}

/** The last value of a header, as text, or undefined when the header is absent. */
export function headerText(record: KafkaRecord, name: string): string | undefined {
  const raw = record.headers?.[name];
  if (raw === undefined) return undefined;
  if (typeof raw === 'string' || raw instanceof Uint8Array) return bytesToText(raw);
  const values = raw as ReadonlyArray<Uint8Array | string>;
  const last = values[values.length - 1];
  return last === undefined ? undefined : bytesToText(last);
}
