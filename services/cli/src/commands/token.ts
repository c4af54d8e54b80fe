// `syncline token --sub USER [--ttl 1h] [--aud AUD] [--claims JSON]`: prints a development JWT
// (HS256) signed with SYNCLINE_JWT_SECRET, or else the local stack's development secret, so a
// gateway started from `syncline stack env` accepts it. For trying things without an identity
// provider; real deployments issue tokens from their own backend (docs/auth.md).
import { SignJWT } from 'jose';
import { devJwtSecret, loadStackConfig, repoRoot } from '@syncline/stack';
import type { CliIo } from '../io';
import { UsageError } from '../io';
import { parseFlags } from '../flags';

const USAGE = [
  'usage:',
  '  syncline token --sub USER [--ttl 1h] [--aud syncline] [--claims JSON]',
  "      a development JWT for the local gateway (signed with SYNCLINE_JWT_SECRET or the stack's dev secret)",
].join('\n');

const TTL = /^([1-9][0-9]*)(s|m|h|d)$/;
const UNIT = { s: 1, m: 60, h: 3600, d: 86400 } as const;

export async function runTokenCommand(args: string[], io: CliIo): Promise<number> {
  const values = parseFlags(args, {
    sub: { type: 'string' },
    ttl: { type: 'string', default: '1h' },
    aud: { type: 'string', default: 'syncline' },
    claims: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (!values.sub) throw new UsageError(`missing --sub USER\n${USAGE}`);
  const ttl = TTL.exec(values.ttl ?? '1h');
  if (ttl === null) throw new UsageError(`--ttl must look like 30s, 15m, 1h or 2d (got ${values.ttl})`);
  let claims: Record<string, unknown> = {};
  if (values.claims !== undefined) {
    try {
      claims = JSON.parse(values.claims) as Record<string, unknown>;
    } catch {
      throw new UsageError(`--claims must be a JSON object (got ${values.claims})`);
    }
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims))
      throw new UsageError(`--claims must be a JSON object (got ${values.claims})`);
  }
  const secret = process.env.SYNCLINE_JWT_SECRET ?? devJwtSecret(loadStackConfig(process.env, repoRoot()));
  const seconds = Number(ttl[1]) * UNIT[ttl[2] as keyof typeof UNIT];
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(values.sub)
    .setAudience(values.aud ?? 'syncline')
    .setIssuedAt(now)
    .setExpirationTime(now + seconds)
    .sign(new TextEncoder().encode(secret));
  io.out(token);
  return 0;
}
