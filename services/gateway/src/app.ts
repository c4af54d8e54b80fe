// The gateway's HTTP surface (express): POST /sync/stream, the write-checkpoint endpoints, CORS,
// probes and metrics. Every error before a stream starts is a JSON body
// `{"error": {"code", "status", "description"}}` with the status of its code (docs/errors.md).
import express, { type NextFunction, type Request, type Response } from 'express';
import { ERRORS, rootSynclineError, SynclineError, type ErrorCode } from '@syncline/errors';
import { GatewayAuthError } from './auth';
import type { GatewayDeps } from './gateway-deps';
import { SyncRequestError } from './sync-request';
import { syncStreamHandler } from './sync-stream-route';

class RequestTooLargeError extends SynclineError {
  override readonly name = 'RequestTooLargeError';
  readonly code = 'SYNC_E807';
}

export function createApp(deps: GatewayDeps): express.Express {
  const { config, metrics } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.use(cors(config.corsOrigins));
  const json = express.json({ limit: config.limits.maxRequestBytes, type: () => true });

  app.post('/sync/stream', json, syncStreamHandler(deps));

  app.get('/write-checkpoint2.json', async (req, res, next) => {
    try {
      const token = await deps.verifier.verifyHeader(req.headers.authorization);
      const clientId = typeof req.query.client_id === 'string' ? req.query.client_id : '';
      if (clientId === '' || clientId.includes('/'))
        throw new SyncRequestError('client_id is required (a non-empty id without "/")');
      const n = await deps.writeCheckpoints.create(token.userId, clientId);
      res.json({ data: { write_checkpoint: n.toString() } });
    } catch (error) {
      next(error);
    }
  });

  app.post('/sync/checkpoint-request', json, async (req, res, next) => {
    try {
      const token = await deps.verifier.verifyHeader(req.headers.authorization);
      const body = (req.body ?? {}) as { client_id?: unknown; checkpoint_request_id?: unknown };
      const clientId = typeof body.client_id === 'string' ? body.client_id : '';
      const id = typeof body.checkpoint_request_id === 'string' ? body.checkpoint_request_id : '';
      if (clientId === '' || clientId.includes('/') || !/^[1-9][0-9]{0,15}$/.test(id))
        throw new SyncRequestError('expected {"client_id": "<id>", "checkpoint_request_id": "<1..2^53>"}');
      const n = await deps.writeCheckpoints.create(token.userId, clientId, BigInt(id));
      res.json({ data: { checkpoint_request_id: n.toString() } });
    } catch (error) {
      next(error);
    }
  });

  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  app.get('/readyz', (_req, res) => {
    const ok = deps.ready();
    res
      .status(ok ? 200 : 503)
      .type('text/plain')
      .send(ok ? 'ok\n' : 'not ready\n');
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const coded = codedError(error, config.limits.maxRequestBytes);
    if (coded instanceof GatewayAuthError) metrics.authFailures.inc({ code: coded.code });
    const status = ERRORS[coded.code].httpStatus ?? 500;
    if (status >= 500) deps.logger.error({ err: error }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).json({ error: { code: coded.code, status, description: coded.message } });
  });
  return app;
}

class InternalError extends SynclineError {
  override readonly name = 'InternalError';
  readonly code: ErrorCode = 'SYNC_E812';
}

function codedError(error: unknown, maxRequestBytes: number): SynclineError {
  const type = (error as { type?: string } | null)?.type;
  if (type === 'entity.too.large')
    return new RequestTooLargeError(
      `the request body is larger than ${maxRequestBytes} bytes (SYNCLINE_MAX_REQUEST_BYTES)`,
    );
  if (type === 'entity.parse.failed') return new SyncRequestError('the request body is not JSON');
  const root = rootSynclineError(error);
  if (root !== null && ERRORS[root.code].httpStatus !== undefined) return root;
  return new InternalError('internal error', { cause: error });
}

function cors(origins: readonly string[]) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    const allowed = origins.includes('*')
      ? '*'
      : origin !== undefined && origins.includes(origin)
        ? origin
        : null;
    if (allowed !== null) {
      res.setHeader('access-control-allow-origin', allowed);
      res.setHeader('access-control-allow-headers', 'Content-Type, Authorization, User-Agent, X-User-Agent');
      res.setHeader('access-control-expose-headers', 'Content-Type');
      res.setHeader('access-control-max-age', '3600');
      if (allowed !== '*') res.setHeader('vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
      res.status(204).end();
      return;
    }
    next();
  };
}
