// Where a service's Redis is: one server (`redis://`, `rediss://`, handed to ioredis as it is) or a
// Redis Cluster named by seed nodes (`redis+cluster://[user:password@]host:port,host:port,...`,
// `rediss+cluster://` for TLS). Parsed once at start-up; a message never repeats a password.
import { z } from 'zod';

export interface RedisNodeAddress {
  readonly host: string;
  readonly port: number;
}

export type RedisTarget =
  | { readonly kind: 'single'; readonly url: string }
  | {
      readonly kind: 'cluster';
      readonly seeds: readonly RedisNodeAddress[];
      readonly username: string | null;
      readonly password: string | null;
      readonly tls: boolean;
    };

export class RedisTargetError extends Error {
  override readonly name = 'RedisTargetError';
}

const SINGLE = /^rediss?:\/\/\S/;
const CLUSTER = /^(rediss?)\+cluster:\/\/(.*)$/;
const SEED = /^(\[[0-9A-Fa-f:.]+\]|[^\s:/@,[\]]+):(\d{1,5})$/;
const EXAMPLE = 'redis+cluster://10.0.0.1:6379,10.0.0.2:6379';

/** Parses a `REDIS_URL` value; throws RedisTargetError saying what is wrong. */
export function parseRedisTarget(url: string): RedisTarget {
  if (SINGLE.test(url)) return { kind: 'single', url };
  const cluster = CLUSTER.exec(url);
  if (cluster === null)
    throw new RedisTargetError(
      'redis:// or rediss:// URL, or redis+cluster://host:port,host:port,... (rediss+cluster:// for TLS)',
    );
  const rest = cluster[2]!;
  const at = rest.lastIndexOf('@');
  const credentials = at < 0 ? null : rest.slice(0, at);
  const seeds = (at < 0 ? rest : rest.slice(at + 1)).replace(/\/$/, '').split(',');
  return {
    kind: 'cluster',
    seeds: seeds.map(parseSeed),
    ...parseCredentials(credentials),
    tls: cluster[1] === 'rediss',
  };
}

function parseSeed(text: string): RedisNodeAddress {
  const match = SEED.exec(text.trim());
  const port = match === null ? 0 : Number(match[2]);
  if (match === null || port < 1 || port > 65535)
    throw new RedisTargetError(
      `cluster seed nodes are host:port separated by commas (e.g. ${EXAMPLE}); ${JSON.stringify(text)} is not host:port`,
    );
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

function parseCredentials(text: string | null): { username: string | null; password: string | null } {
  if (text === null) return { username: null, password: null };
  const colon = text.indexOf(':');
  try {
    if (colon < 0) return { username: null, password: decodeURIComponent(text) };
    const username = decodeURIComponent(text.slice(0, colon));
    return {
      username: username === '' ? null : username,
      password: decodeURIComponent(text.slice(colon + 1)),
    };
  } catch {
    throw new RedisTargetError('the user or password before @ is not valid percent-encoding');
  }
}

/** The URL with its password replaced by `<hidden>` (for messages and logs). */
export function hideRedisPassword(url: string): string {
  return url.replace(
    /^([a-z+]+:\/\/)([^@/]*:)?[^@/]*@/,
    (_m, scheme: string, user: string | undefined) => `${scheme}${user ?? ''}<hidden>@`,
  );
}

/** `REDIS_URL` in a config schema: any form parseRedisTarget accepts. */
export const redisUrlSchema = z.string().superRefine((url, ctx) => {
  try {
    parseRedisTarget(url);
  } catch (error) {
    if (!(error instanceof RedisTargetError)) throw error;
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: error.message });
  }
});
