// The decoder of Debezium's records for SYNCLINE_CHANGE_FORMAT: JSON (inline schemas), or Avro
// whose writer schemas are fetched by global id from Apicurio Registry's v2 API.
import { AvroCdcDecoder, CdcDecoder, isMalformed, type ChangeDecoder, type KafkaRecord } from '@syncline/cdc';
import { stringifyJson } from '@syncline/lossless-json';
import type { EvaluatorConfig } from './config';

/** The change decoder and, for notification records, a way to turn a value into JSON text. */
export interface ChangeFormat {
  readonly decoder: ChangeDecoder;
  /** The value as JSON text, or null when it is null or cannot be read (the reader skips it). */
  readonly notificationValue: (record: KafkaRecord) => Promise<Buffer | string | null>;
}

export function changeFormatFor(
  config: Pick<EvaluatorConfig, 'changeFormat' | 'avroRegistryUrl'>,
): ChangeFormat {
  if (config.changeFormat === 'json' || config.avroRegistryUrl === null) {
    return {
      decoder: new CdcDecoder(),
      notificationValue: (record) => Promise.resolve(record.value as Buffer | null),
    };
  }
  const decoder = new AvroCdcDecoder({ fetchSchema: apicurioSchemaFetch(config.avroRegistryUrl) });
  return {
    decoder,
    notificationValue: async (record) => {
      const value = await decoder.decodeValue(record);
      return isMalformed(value) || value === null ? null : stringifyJson(value);
    },
  };
}

/** GET <v2>/ids/globalIds/<id>: the schema text; null on 404; throws when the registry fails. */
export function apicurioSchemaFetch(registryV2Url: string): (globalId: bigint) => Promise<string | null> {
  const base = registryV2Url.replace(/\/+$/, '');
  return async (globalId) => {
    const res = await fetch(`${base}/ids/globalIds/${globalId}`, { signal: AbortSignal.timeout(10_000) });
    if (res.status === 404) return null;
    if (res.status !== 200)
      throw new Error(
        `${base}/ids/globalIds/${globalId} answered ${res.status}: ${(await res.text()).slice(0, 200)}`,
      );
    return await res.text();
  };
}
