// The per-connection values parameter queries read: the JWT payload (`request.jwt()`,
// `token_parameters.*`, `request.user_id()`, streams' `auth.*`), the client's request parameters and,
// for sync streams, one subscription's parameters.
import { stringifyJson, type JsonValue } from '@syncline/lossless-json';
import { jsonToSqlite } from './json-values';
import type { SqliteJsonValue, SqliteRow } from '@syncline/sqlite-value';

export interface RequestContext {
  /** `request.user_id()` / `token_parameters.user_id`: the JWT `sub`. */
  readonly userId: SqliteJsonValue;
  /** `request.jwt()`: the whole JWT payload as JSON text. */
  readonly jwtJson: string;
  /** `request.parameters()`: the client's request parameters as JSON text (unauthenticated). */
  readonly parametersJson: string;
  /** `token_parameters.<k>`: the JWT `parameters` claim, with `user_id` = `sub`. */
  readonly tokenParameters: SqliteRow;
  /** `user_parameters.<k>`: the client's request parameters (unauthenticated). */
  readonly userParameters: SqliteRow;
  /**
   * Sync streams' `subscription.parameters()`: one subscription's parameters as JSON text, null for
   * a stream's default (auto_subscribe) subscription and outside streams.
   */
  readonly subscriptionParametersJson: string | null;
}

function toRow(object: unknown): SqliteRow {
  const row: SqliteRow = {};
  if (object && typeof object === 'object' && !Array.isArray(object)) {
    for (const [key, value] of Object.entries(object as Record<string, JsonValue>)) {
      row[key] = jsonToSqlite(typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : value);
    }
  }
  return row;
}

/**
 * Builds the request context from a verified JWT payload and the client's `parameters` object.
 * Values may come from JSON.parse (numbers) or from parseJsonIntegersAsBigInt (bigints).
 */
export function createRequestContext(tokenPayload: object, clientParameters: object = {}): RequestContext {
  const payload = tokenPayload as Record<string, JsonValue>;
  const sub = payload['sub'];
  const userId =
    sub === undefined
      ? null
      : (jsonToSqlite(
          typeof sub === 'number' && Number.isInteger(sub) ? BigInt(sub) : sub,
        ) as SqliteJsonValue);
  const tokenParameters = toRow(payload['parameters']);
  tokenParameters['user_id'] = userId;
  return {
    userId,
    jwtJson: stringifyJson(tokenPayload),
    parametersJson: stringifyJson(clientParameters),
    tokenParameters,
    userParameters: toRow(clientParameters),
    subscriptionParametersJson: null,
  };
}

/** The same connection seen from one stream subscription (its parameters, or null for a default one). */
export function withSubscriptionParameters(
  request: RequestContext,
  parameters: object | null,
): RequestContext {
  return {
    ...request,
    subscriptionParametersJson: parameters === null ? null : stringifyJson(parameters as JsonValue),
  };
}
