// SynclineError's looked-up properties, and exit codes decided by the category of the deepest
// coded error in the cause chain.
import { codedMessage, exitCodeOf, rootSynclineError, SynclineError } from '../src';

class BadConfig extends SynclineError {
  override readonly name = 'BadConfig';
  readonly code = 'SYNC_E101';
}
class Stopped extends SynclineError {
  readonly code = 'SYNC_E001';
}
class Halted extends SynclineError {
  readonly code = 'SYNC_E401';
}
class Unavailable extends SynclineError {
  readonly code = 'SYNC_E501';
}
class Usage extends SynclineError {
  readonly code = 'SYNC_E701';
}

describe('SynclineError', () => {
  it('takes category, retriable and fix from the code table, and keeps name and message', () => {
    const error = new BadConfig('KAFKA_BROKERS: Required (not set)');
    expect(error).toBeInstanceOf(Error);
    expect([error.name, error.message, error.code]).toEqual([
      'BadConfig',
      'KAFKA_BROKERS: Required (not set)',
      'SYNC_E101',
    ]);
    expect([error.category, error.retriable]).toEqual(['config', false]);
    expect(error.fix).toMatch(/docs\/evaluator\.md/);
    expect(new Unavailable('kafka').retriable).toBe(true);
  });

  it('keeps the standard cause', () => {
    const cause = new Error('root');
    expect(new Halted('halted', { cause }).cause).toBe(cause);
  });
});

describe('exitCodeOf', () => {
  const wrapped = (cause: unknown): Error => new Error('while starting', { cause });

  it.each<[string, unknown, number]>([
    ['a stop', new Stopped('stopped while waiting for kafka'), 0],
    ['a configuration error', new BadConfig('bad'), 2],
    ['a usage error', new Usage('missing FILE'), 2],
    ['a halt', new Halted('op id out of range'), 1],
    ['a dependency that stays down', new Unavailable('kafka'), 1],
    ['an error without a code', new Error('bug'), 1],
    ['something that is not an Error', 'a string', 1],
    ['a configuration error wrapped in a plain Error', wrapped(new BadConfig('bad')), 2],
    ['a stop wrapped twice', wrapped(wrapped(new Stopped('stopped'))), 0],
    ['a halt caused by a configuration error', new Halted('halted', { cause: new BadConfig('x') }), 2],
    ['a configuration error caused by a plain error', new BadConfig('x', { cause: new Error('io') }), 2],
  ])('%s exits %i', (_what, error, code) => {
    expect(exitCodeOf(error)).toBe(code);
  });

  it('ends on a cause chain that loops', () => {
    const a = new Error('a');
    const b = new BadConfig('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(exitCodeOf(a)).toBe(2);
  });
});

describe('rootSynclineError and codedMessage', () => {
  it('name the deepest code, with the outer message', () => {
    const error = new Halted('processing halted: snapshot offset', { cause: new Unavailable('inner') });
    expect(rootSynclineError(error)?.code).toBe('SYNC_E501');
    expect(codedMessage(error)).toBe('[SYNC_E501] processing halted: snapshot offset');
  });

  it('leave an error without a code as its message', () => {
    expect(rootSynclineError(new Error('plain'))).toBeNull();
    expect(codedMessage(new Error('plain'))).toBe('plain');
    expect(codedMessage('text')).toBe('text');
  });
});
