// The probe server on a free port, asked over real HTTP.
import { createServer } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { startProbeServer, type ProbeServer } from '../src';

async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

describe('startProbeServer', () => {
  let server: ProbeServer | null = null;
  let healthy = true;
  let ready = false;
  const registry = new Registry();
  new Counter({
    name: 'syncline_test_things_total',
    help: 'Things counted by the test',
    registers: [registry],
  }).inc(3);

  beforeEach(async () => {
    healthy = true;
    ready = false;
    server = await startProbeServer(0, { registry, healthy: () => healthy, ready: () => ready });
  });

  afterEach(async () => {
    await server?.close();
    server = null;
  });

  const get = (path: string): Promise<Response> => fetch(`http://127.0.0.1:${server!.port}${path}`);

  it('serves the registry as Prometheus text on /metrics', async () => {
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(registry.contentType);
    expect(await res.text()).toContain('syncline_test_things_total 3');
  });

  it('answers /healthz and /readyz from the probes at request time', async () => {
    expect([(await get('/healthz')).status, (await get('/readyz')).status]).toEqual([200, 503]);
    ready = true;
    healthy = false;
    const [health, readiness] = [await get('/healthz'), await get('/readyz')];
    expect([health.status, await health.text()]).toEqual([503, 'not ready\n']);
    expect([readiness.status, await readiness.text()]).toEqual([200, 'ok\n']);
    expect((await get('/readyz?verbose=1')).status).toBe(200);
  });

  it('answers 404 elsewhere', async () => {
    expect((await get('/')).status).toBe(404);
  });

  it('frees its port on close', async () => {
    const port = server!.port;
    await server!.close();
    server = null;
    expect(await portIsFree(port)).toBe(true);
  });

  it('rejects when the port is taken', async () => {
    await expect(
      startProbeServer(server!.port, { registry, healthy: () => true, ready: () => true }),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});
