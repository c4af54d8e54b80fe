// The example backend: what an app's own server does next to Syncline. It issues demo tokens and
// takes the PowerSync client's uploads (its CRUD batch) into Postgres. Run it with
//   PG_URL=... SYNCLINE_JWT_SECRET=... BACKEND_ALLOW='{"todos":["list_id","title"]}' npx tsx examples/backend/server.ts
// Configuration (environment): PG_URL, SYNCLINE_JWT_SECRET or SYNCLINE_JWT_SECRET_FILE (verifies the
// uploader's token and signs demo tokens), BACKEND_PORT (default 6060), BACKEND_SCHEMA (default public), BACKEND_ALLOW (JSON:
// table -> writable columns), BACKEND_DEMO_TOKENS=on to serve GET /api/token?user=,
// SYNCLINE_JWT_AUDIENCE (default syncline: the audience the gateway accepts),
// BACKEND_SYNC_ENDPOINT (the gateway's URL as the browser reaches it; returned with demo tokens as
// `endpoint`, what a PowerSync connector's fetchCredentials() returns), BACKEND_STATIC_DIR (serve
// a built web app from this folder, so the app and its backend share one origin).
import * as fs from 'node:fs';
import express, { type NextFunction, type Request, type Response } from 'express';
import { jwtVerify, SignJWT } from 'jose';
import pg from 'pg';
import { applyBatch, UploadError, validateBatch, type AllowList } from './upload';

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    process.stderr.write(`examples/backend: set ${name}\n`);
    process.exit(2);
  }
  return value;
}

const pool = new pg.Pool({ connectionString: required('PG_URL'), max: 4 });
// SYNCLINE_JWT_SECRET_FILE: the secret from a mounted file, as the gateway accepts it.
const secretFile = process.env.SYNCLINE_JWT_SECRET_FILE;
const secret = new TextEncoder().encode(
  secretFile ? fs.readFileSync(secretFile, 'utf8').trim() : required('SYNCLINE_JWT_SECRET'),
);
const schema = process.env.BACKEND_SCHEMA ?? 'public';
const audience = process.env.SYNCLINE_JWT_AUDIENCE ?? 'syncline';
let allow: AllowList;
try {
  allow = JSON.parse(required('BACKEND_ALLOW')) as AllowList;
} catch {
  process.stderr.write('examples/backend: BACKEND_ALLOW must be JSON: {"table": ["column", ...]}\n');
  process.exit(2);
}

const app = express();
app.use(express.json({ limit: '2mb' }));
// Liveness for container health checks (the image's HEALTHCHECK, docker-compose.yml).
app.get('/healthz', (_req, res) => {
  res.json({ ok: true });
});

/** The uploader is the user of a token the gateway would accept (a real app uses its own sessions). */
async function userOf(req: Request): Promise<string> {
  const match = /^(Bearer|Token) (\S+)$/.exec(req.headers.authorization ?? '');
  if (match === null)
    throw Object.assign(new Error('missing Authorization: Bearer <token>'), { status: 401 });
  try {
    // The gateway's checks: the algorithm, audience, subject, issue and expiry times, at most a day
    // of lifetime, 30 s of clock skew (docs/auth.md). A real backend checks per row, too, that
    // this user may write it; the allow-list only limits tables and columns.
    const { payload } = await jwtVerify(match[2]!, secret, {
      algorithms: ['HS256'],
      audience,
      requiredClaims: ['sub', 'iat', 'exp'],
      maxTokenAge: '1d',
      clockTolerance: 30,
    });
    return String(payload.sub);
  } catch (error) {
    throw Object.assign(new Error(`invalid token: ${(error as Error).message}`), { status: 401 });
  }
}

app.post('/api/upload', async (req, res, next) => {
  try {
    const user = await userOf(req);
    const entries = validateBatch(req.body, allow);
    await applyBatch(pool, schema, entries);
    res.json({ applied: entries.length, user });
  } catch (error) {
    next(error);
  }
});

if (process.env.BACKEND_DEMO_TOKENS === 'on')
  app.get('/api/token', async (req, res) => {
    const user = typeof req.query.user === 'string' ? req.query.user : '';
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(user)) {
      res.status(400).json({ error: 'user must be 1-64 letters, digits, _ . -' });
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(secret);
    const endpoint = process.env.BACKEND_SYNC_ENDPOINT;
    res.json({ token, expiresAt: now + 3600, ...(endpoint ? { endpoint } : {}) });
  });

if (process.env.BACKEND_STATIC_DIR) app.use(express.static(process.env.BACKEND_STATIC_DIR));

app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
  const status =
    error instanceof UploadError
      ? 400
      : ((error as { status?: number }).status ??
        ((error as { code?: string }).code?.match(/^2[23]/) ? 400 : 500));
  res.status(status).json({ error: error instanceof Error ? error.message : String(error) });
});

const server = app.listen(Number(process.env.BACKEND_PORT ?? 6060), () => {
  const address = server.address();
  process.stdout.write(
    `examples/backend listening on ${typeof address === 'object' && address ? address.port : address}\n`,
  );
});
const stop = (): void => {
  server.close(() => void pool.end().then(() => process.exit(0)));
  server.closeAllConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
