import * as net from 'node:net';
import { assertPortFree } from '../src/ports';
import { PortInUseError, portHolder } from '../src/index';
import { listeningInodes } from '../src/ports';

// Lines as Linux prints them in /proc/net/tcp (port 0xD539 = 54585, 0x1F90 = 8080).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:D539 00000000:0000 0A 00000000:00000000 00:00000000 00000000   105        0 40127 1 0000000000000000 100 0 0 10 0
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5038 1 0000000000000000 100 0 0 10 0
   2: 0100007F:D539 0100007F:A2C4 01 00000000:00000000 00:00000000 00000000     0        0 51234 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:1F90 0100007F:B000 06 00000000:00000000 03:00000F2B 00000000     0        0 0 3 0000000000000000
`;

describe('listeningInodes', () => {
  it.each([
    [54585, ['40127']], // the listener, not the established connection on the same port
    [8080, ['5038']], // a TIME_WAIT entry (inode 0) is not a listener
    [9999, []],
  ])('port %d -> %j', (port, inodes) => expect(listeningInodes(TCP, port)).toEqual(inodes));

  it('reads nothing from an empty table', () => expect(listeningInodes('', 1)).toEqual([]));
});

describe('portHolder', () => {
  it('names the process listening on a port and where it runs', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      expect(portHolder(port)).toMatchObject({ pid: process.pid, cwd: process.cwd() });
    } finally {
      server.close();
    }
  });
});

describe('assertPortFree', () => {
  it('says which component, port and variable collided, as fields', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const err = await assertPortFree('redis', port, 'SYNCLINE_REDIS_PORT').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PortInUseError);
      expect(err).toMatchObject({ component: 'redis', port, envVar: 'SYNCLINE_REDIS_PORT' });
      expect((err as PortInUseError).message).toBe(
        `port ${port} for redis is already in use by another process`,
      );
    } finally {
      server.close();
    }
  });
});
