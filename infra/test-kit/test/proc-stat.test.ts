import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { cpuByThreadGroup, parseProcStat, threadCpu, threadCpuSince } from '../src';

const fixture = (name: string) => readFileSync(path.join(__dirname, 'fixtures', name), 'utf8');

describe('parseProcStat', () => {
  it('reads a thread of Kafka Connect captured from /proc (task thread, ticks of 10 ms)', () => {
    expect(parseProcStat(fixture('proc-stat-connect-task-thread.txt'))).toEqual({
      id: 10820,
      name: 'task-thread-syn',
      ppid: 1,
      userSeconds: 3.33,
      systemSeconds: 0.06,
      reapedChildrenSeconds: 0,
    });
  });

  it('keeps spaces and parentheses of the name: fields start after the last ")"', () => {
    expect(parseProcStat(fixture('proc-stat-odd-name.txt'))).toMatchObject({
      id: 4242,
      name: 'my (odd) name',
      userSeconds: 12.34,
      systemSeconds: 0.56,
      reapedChildrenSeconds: 0.15,
    });
  });

  it.each([['no parentheses at all'], ['12 (cut) R 1']])('refuses %j', (text) => {
    expect(() => parseProcStat(text)).toThrow(/\/proc stat/);
  });
});

describe('threadCpuSince', () => {
  it('subtracts by tid, counts a new thread from 0 and sorts the busiest first', () => {
    const before = [
      { tid: 1, name: 'main', cpuSeconds: 1 },
      { tid: 2, name: 'gone', cpuSeconds: 5 },
      { tid: 3, name: 'task', cpuSeconds: 2 },
    ];
    const after = [
      { tid: 1, name: 'main', cpuSeconds: 1.5 },
      { tid: 3, name: 'task', cpuSeconds: 4 },
      { tid: 4, name: 'new', cpuSeconds: 0.7 },
    ];
    expect(threadCpuSince(before, after)).toEqual([
      { tid: 3, name: 'task', cpuSeconds: 2 },
      { tid: 4, name: 'new', cpuSeconds: 0.7 },
      { tid: 1, name: 'main', cpuSeconds: 0.5 },
    ]);
  });
});

describe('cpuByThreadGroup', () => {
  it('adds up the threads of a pool by their name less the trailing number', () => {
    const groups = cpuByThreadGroup([
      { tid: 1, name: 'qtp1454870101-1', cpuSeconds: 0.25 },
      { tid: 2, name: 'qtp1454870101-2', cpuSeconds: 0.5 },
      { tid: 3, name: 'task-thread-syn', cpuSeconds: 2 },
    ]);
    expect([...groups]).toEqual([
      ['task-thread-syn', 2],
      ['qtp', 0.75],
    ]);
  });
});

describe('threadCpu', () => {
  it("lists this process's threads, the main one named after it", () => {
    const threads = threadCpu(process.pid);
    expect(threads.find((t) => t.tid === process.pid)).toBeDefined();
    expect(threads.every((t) => t.cpuSeconds >= 0)).toBe(true);
  });

  it('is empty for a process that does not exist', () => {
    expect(threadCpu(2 ** 30)).toEqual([]);
  });
});
