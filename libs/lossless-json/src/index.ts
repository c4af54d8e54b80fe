// Public surface of @syncline/lossless-json: JSON text <-> values that keep 64-bit integers exact.
export {
  parseJson,
  parseJsonIntegersAsBigInt,
  JsonSyntaxError,
  type JsonValue,
  type JsonObject,
} from './parse';
export { stringifyJson } from './stringify';
export { ownString } from './own-string';
