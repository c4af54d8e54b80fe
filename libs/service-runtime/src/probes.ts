// The probe server every service runs: /metrics (Prometheus text from the service's registry),
// /healthz (the process can make progress) and /readyz (it serves or consumes).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface ProbeServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface Probes {
  readonly registry: Registry;
  readonly healthy: () => boolean;
  readonly ready: () => boolean;
}

/** Listens on `port` on every interface (`0`: any free port, read it from `port`). */
export async function startProbeServer(port: number, probes: Probes): Promise<ProbeServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      probes.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': probes.registry.contentType });
          res.end(text);
        },
        (error: unknown) => {
          res.writeHead(500);
          res.end(String(error));
        },
      );
      return;
    }
    if (path === '/healthz' || path === '/readyz') {
      const ok = path === '/healthz' ? probes.healthy() : probes.ready();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(ok ? 'ok\n' : 'not ready\n');
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
