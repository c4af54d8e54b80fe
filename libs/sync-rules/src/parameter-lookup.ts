// The storage key of a parameter lookup: `<definition>/<queryId>[<values>]`, values serialized
// like bucket parameters so equal numbers give equal keys.
import { serializeBucketName } from './bucket-name';
import type { ParameterLookup } from './parameter-query';

export function serializeParameterLookup(lookup: ParameterLookup): string {
  return serializeBucketName(`${lookup.definition}/${lookup.queryId}`, lookup.values);
}
