import { ceilingTxPerSecond, coresAt, evaluatorsCeiling, evaluatorsFor, firstCap } from '../src';

describe('ceilingTxPerSecond', () => {
  it.each([
    [20, 1, 50_000],
    [25, 1, 40_000],
    [690, 2, 2_898.550724637681],
    [100, 4, 40_000],
  ])('%d µs per tx on %d core(s) sustains %d tx/s', (micros, cores, rate) => {
    expect(ceilingTxPerSecond(micros, cores)).toBeCloseTo(rate, 6);
  });

  it.each([0, -1, NaN])('refuses a cost of %d', (micros) => {
    expect(() => ceilingTxPerSecond(micros)).toThrow(RangeError);
  });

  it('is the inverse of coresAt', () => {
    expect(coresAt(ceilingTxPerSecond(37, 3), 37)).toBeCloseTo(3, 9);
    expect(coresAt(50_000, 22)).toBeCloseTo(1.1, 9);
  });
});

describe('firstCap', () => {
  it('names the costliest serial point and its ceiling', () => {
    const cap = firstCap([
      { name: 'connect task', microsPerTx: 22 },
      { name: 'leader', microsPerTx: 32 },
      { name: 'redis', microsPerTx: 10 },
    ]);
    expect(cap.point.name).toBe('leader');
    expect(cap.txPerSecond).toBeCloseTo(31_250, 6);
  });

  it('refuses an empty list', () => {
    expect(() => firstCap([])).toThrow(RangeError);
  });
});

describe('evaluatorsCeiling', () => {
  const costs = { readMicrosPerTx: 20, processMicrosPerTx: 200, coordinateMicrosPerTx: 10 };

  it.each([
    [1, 1e6 / 230],
    [2, 1e6 / 130],
    [10, 1e6 / 50],
    [200, 1e6 / 31],
  ])('with %d instances is one core over read + coordinate + process / n', (n, rate) => {
    expect(evaluatorsCeiling(n, costs)).toBeCloseTo(rate, 6);
  });

  it('never passes one core over the part every instance or the leader pays', () => {
    expect(evaluatorsCeiling(1e9, costs)).toBeLessThan(1e6 / 30);
    expect(evaluatorsCeiling(1e9, costs)).toBeCloseTo(1e6 / 30, 0);
  });

  it('refuses fewer than one instance', () => {
    expect(() => evaluatorsCeiling(0, costs)).toThrow(RangeError);
  });
});

describe('evaluatorsFor', () => {
  const costs = { readMicrosPerTx: 20, processMicrosPerTx: 200, coordinateMicrosPerTx: 10 };

  it.each([
    [1_000, 1],
    [4_000, 1],
    [5_000, 2],
    [10_000, 3],
    [20_000, 10],
    [25_000, 20],
  ])('at %d tx/s needs %d instance(s)', (rate, n) => {
    expect(evaluatorsFor(rate, costs)).toBe(n);
    expect(evaluatorsCeiling(n, costs)).toBeGreaterThanOrEqual(rate);
  });

  it('is null once the leader cannot keep up with any number of instances', () => {
    expect(evaluatorsFor(1e6 / 30, costs)).toBeNull();
    expect(evaluatorsFor(50_000, costs)).toBeNull();
  });
});
