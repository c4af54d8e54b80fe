// The benchmarks' `--override key=value` / `--connector-set key=value` options.
import { keyValueSettings } from '../script';

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
