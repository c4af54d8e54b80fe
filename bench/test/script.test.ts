// The benchmarks' shared option parsers: `--override key=value` / `--connector-set key=value`
// and whole-number flags.
import { keyValueSettings, positiveInteger } from '../script';

describe('keyValueSettings', () => {
  it('keeps everything after the first = as the value', () => {
    expect(keyValueSettings(['poll.interval.ms=10', 'a=b=c', 'empty='], '--override')).toEqual({
      'poll.interval.ms': '10',
      a: 'b=c',
      empty: '',
    });
  });

  it.each(['no-equals', '=value'])('refuses %j, naming the option', (text) => {
    expect(() => keyValueSettings([text], '--connector-set')).toThrow(/--connector-set wants key=value/);
  });
});

describe('positiveInteger', () => {
  it.each(['0', '-1', '1.5', 'x', ''])('refuses %j, naming the flag', (text) => {
    expect(() => positiveInteger('--growth-repeat', text)).toThrow(
      /^--growth-repeat must be a positive integer/,
    );
  });

  it('reads a positive integer', () => {
    expect(positiveInteger('--cache-rows', '10000')).toBe(10_000);
  });
});
