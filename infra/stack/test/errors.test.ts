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
  it.each([
    ['StackError', StackError, 'SYNC_E601'],
    ['PortInUseError', PortInUseError, 'SYNC_E602'],
    ['MissingToolError', MissingToolError, 'SYNC_E603'],
    ['DownloadError', DownloadError, 'SYNC_E604'],
    ['ReadinessTimeoutError', ReadinessTimeoutError, 'SYNC_E605'],
    ['StackConfigError', StackConfigError, 'SYNC_E606'],
    ['PostgresNotLogicalError', PostgresNotLogicalError, 'SYNC_E607'],
    ['ConnectorFailedError', ConnectorFailedError, 'SYNC_E608'],
  ])('%s keeps its name, message and hint, and carries %s', (name, Class, code) => {
    const error = new Class('port 6379 for redis is already in use', 'set SYNCLINE_REDIS_PORT');
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
