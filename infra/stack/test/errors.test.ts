// Every stack error carries its code from @syncline/errors and ends `syncline stack` with exit 1.
import { exitCodeOf } from '@syncline/errors';
import {
  ConnectorFailedError,
  DownloadError,
  MissingToolError,
  PortInUseError,
  PostgresNotLogicalError,
  ReadinessTimeoutError,
  StackConfigError,
  StackError,
} from '../src/index';

describe('stack errors', () => {
  type Make = (message: string, hint: string) => StackError;
  it.each<[string, Make, string]>([
    ['StackError', (m, h) => new StackError(m, h), 'SYNC_E601'],
    ['PortInUseError', (m, h) => new PortInUseError(m, h, 'redis', 6379, 'SYNCLINE_REDIS_PORT'), 'SYNC_E602'],
    ['MissingToolError', (m, h) => new MissingToolError(m, h), 'SYNC_E603'],
    ['DownloadError', (m, h) => new DownloadError(m, h), 'SYNC_E604'],
    ['ReadinessTimeoutError', (m, h) => new ReadinessTimeoutError(m, h), 'SYNC_E605'],
    ['StackConfigError', (m, h) => new StackConfigError(m, h), 'SYNC_E606'],
    ['PostgresNotLogicalError', (m, h) => new PostgresNotLogicalError(m, h), 'SYNC_E607'],
    ['ConnectorFailedError', (m, h) => new ConnectorFailedError(m, h), 'SYNC_E608'],
  ])('%s keeps its name, message and hint, and carries %s', (name, make, code) => {
    const error = make('port 6379 for redis is already in use', 'set SYNCLINE_REDIS_PORT');
    expect([error.name, error.message, error.hint, error.code]).toEqual([
      name,
      'port 6379 for redis is already in use',
      'set SYNCLINE_REDIS_PORT',
      code,
    ]);
    expect(error.category).toBe('stack');
    expect(exitCodeOf(error)).toBe(1);
  });
});
