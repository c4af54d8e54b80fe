// POST /sync/stream: authenticate, parse the request, prepare the first checkpoint (errors are
// still HTTP statuses then), and stream the session until the client leaves, the token expires or
// the gateway stops. A client too slow to read is disconnected (SYNC_E811).
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { SynclineError } from '@syncline/errors';
import type { GatewayDeps } from './gateway-deps';
import { ClientGoneError, NdjsonWriter, SlowClientError } from './ndjson-writer';
import { parseSyncRequest } from './sync-request';
import { SyncSession } from './sync-session';

export class NoCheckpointError extends SynclineError {
  override readonly name = 'NoCheckpointError';
  readonly code = 'SYNC_E810';
}
export class TooManyConnectionsError extends SynclineError {
  override readonly name = 'TooManyConnectionsError';
  readonly code = 'SYNC_E815';
}

export function syncStreamHandler(deps: GatewayDeps): RequestHandler {
  const { config, metrics } = deps;
  let open = 0;
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      if (open >= config.limits.maxConnections)
        throw new TooManyConnectionsError(
          `this gateway holds ${open} streams, its limit (SYNCLINE_MAX_CONNECTIONS)`,
        );
      const token = await deps.verifier.verifyHeader(req.headers.authorization);
      const request = parseSyncRequest(req.body, config.limits.maxParameterBytes);
      const session = new SyncSession(
        {
          rules: deps.rules,
          reads: deps.reads,
          limits: config.limits,
          metrics,
          writeCheckpointAt: (user, client, cp) => deps.writeCheckpoints.at(user, client, cp),
        },
        token,
        request,
      );
      const current = await deps.reads.reader.currentCheckpoint();
      if (current === null)
        throw new NoCheckpointError('no checkpoint yet: the evaluator has not finished its initial snapshot');
      const first = await session.target(current);
      open++;
      metrics.connections.inc();
      res.writeHead(200, {
        'content-type': 'application/x-ndjson',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
      });
      res.flushHeaders();
      const writer = new NdjsonWriter(res, config.limits.slowClientMs);
      const gone = new AbortController();
      res.on('close', () => gone.abort());
      const stop = AbortSignal.any([gone.signal, deps.stopping]);
      try {
        await session.run(writer, first, (signal) => deps.reads.reader.checkpoints(signal), stop);
      } catch (error) {
        if (error instanceof SlowClientError) {
          metrics.slowClientDisconnects.inc();
          deps.logger.warn({ user: token.userId, code: error.code }, error.message);
          res.destroy();
        } else if (!(error instanceof ClientGoneError) && !res.destroyed) {
          deps.logger.error({ err: error, user: token.userId }, 'sync stream failed; closing it');
          res.destroy();
        }
      } finally {
        open--;
        metrics.connections.dec();
        metrics.linesSent.inc(writer.lines);
        metrics.bytesSent.inc(writer.bytes);
        writer.end();
      }
    } catch (error) {
      next(error);
    }
  };
}
