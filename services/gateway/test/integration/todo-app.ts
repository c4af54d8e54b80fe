// What the gateway's integration tests share: a small todo app's schema and sync rules (lists
// by owner; todos through a membership table, with priority 1), development tokens, and a
// gateway's environment for a capture.
import { SignJWT } from 'jose';
import { getTestStack, type CdcCapture } from '@syncline/test-kit';

export const SECRET = 'gateway-test-secret-gateway-test-secret';

export const RULES = `
bucket_definitions:
  own_lists:
    parameters: SELECT request.user_id() AS owner
    data:
      - SELECT id, owner, name FROM lists WHERE owner = bucket.owner
  shared_todos:
    priority: 1
    parameters: SELECT list_id FROM members WHERE user_id = request.user_id()
    data:
      - SELECT id, list_id, title, big FROM todos WHERE list_id = bucket.list_id
`;

export const SETUP = `
CREATE TABLE lists (id int PRIMARY KEY, owner text NOT NULL, name text);
CREATE TABLE members (list_id int, user_id text, PRIMARY KEY (list_id, user_id));
CREATE TABLE todos (id int PRIMARY KEY, list_id int NOT NULL, title text, big bigint);
`;

/** An HS256 token for `sub` (audience `syncline` unless given). */
export async function token(
  sub: string,
  options: { ttlS?: number; aud?: string; secret?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setAudience(options.aud ?? 'syncline')
    .setIssuedAt(now)
    .setExpirationTime(now + (options.ttlS ?? 3600))
    .sign(new TextEncoder().encode(options.secret ?? SECRET));
}

/** A gateway's environment for the deployment the test's evaluator runs on `capture`. */
export function gatewayEnv(
  capture: CdcCapture,
  rulesFile: string,
  redisUrl = getTestStack().endpoints.redisUrl,
): Record<string, string> {
  return {
    SYNCLINE_RULES_FILE: rulesFile,
    REDIS_URL: redisUrl,
    PG_URL: getTestStack().endpoints.pgUrl,
    SYNCLINE_DEPLOYMENT: capture.name,
    SYNCLINE_DEFAULT_SCHEMA: capture.schema,
    SYNCLINE_GATEWAY_PORT: '0',
    SYNCLINE_LOG_LEVEL: 'warn',
    SYNCLINE_JWT_SECRET: SECRET,
    SYNCLINE_KEEPALIVE_MS: '1000',
  };
}
