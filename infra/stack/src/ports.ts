// Port checks before start-up, so an occupied port is a clear error and not a JVM stack trace.
import * as net from 'node:net';
import { PortInUseError } from './errors';

export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function assertPortFree(component: string, port: number, envVar: string): Promise<void> {
  if (!(await isPortFree(port))) {
    throw new PortInUseError(
      `port ${port} for ${component} is already in use by another process`,
      `stop that process (e.g. \`ss -ltnp 'sport = :${port}'\` shows it) or choose another port with ${envVar}=<port>`,
    );
  }
}
