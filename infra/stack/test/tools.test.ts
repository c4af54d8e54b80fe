import * as net from 'node:net';
import { assertLogicalWal } from '../src/components/postgres';
import { PostgresNotLogicalError } from '../src/errors';
import { isPortFree, parseJavaMajor } from '../src/index';
import { renderProperties } from '../src/properties';

describe('parseJavaMajor', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['openjdk version "25.0.3" 2026-04-21 LTS', 25],
    ['java version "1.8.0_392"', 8],
    ['openjdk version "21" 2023-09-19', 21],
    ['garbage', undefined],
  ])('%s -> %s', (text, major) => expect(parseJavaMajor(text)).toBe(major));
});

describe('isPortFree', () => {
  it('reports a listening port as taken and a closed one as free', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    expect(await isPortFree(port)).toBe(false);
    await new Promise<void>((r) => server.close(() => r()));
    expect(await isPortFree(port)).toBe(true);
  });
});

describe('renderProperties', () => {
  it('writes key=value lines after a header', () => {
    expect(renderProperties({ 'a.b': 1, c: 'x', d: false }, 'T').split('\n').slice(2)).toEqual([
      'a.b=1',
      'c=x',
      'd=false',
      '',
    ]);
  });
});

describe('assertLogicalWal', () => {
  const fakeClient = (level: string) =>
    ({ query: async () => ({ rows: [{ wal_level: level }] }) }) as unknown as import('pg').Client;

  it('accepts wal_level=logical', async () => {
    await expect(assertLogicalWal(fakeClient('logical'))).resolves.toBeUndefined();
  });

  it('explains how to enable logical WAL when the server runs with replica', async () => {
    const err = await assertLogicalWal(fakeClient('replica')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PostgresNotLogicalError);
    expect((err as PostgresNotLogicalError).message).toMatch(/wal_level=replica/);
    expect((err as PostgresNotLogicalError).hint).toMatch(/ALTER SYSTEM SET wal_level = logical/);
  });
});
