import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { javaThreadNames, parseJavaThreadDump } from '../src';

describe('parseJavaThreadDump', () => {
  const dump = readFileSync(path.join(__dirname, 'fixtures', 'jcmd-thread-print.txt'), 'utf8');
  const names = parseJavaThreadDump(dump);

  it.each([
    [0x2a44, 'task-thread-syncline-postgres-0'],
    [0x2a4f, 'debezium-postgresconnector-syncline-change-event-source-coordinator'],
    [0x2a42, 'kafka-producer-network-thread | connector-producer-syncline-postgres-0'],
    [0x2a17, 'VM Thread'],
    [0x2ded, 'pool-2-thread-4'],
  ])('names native thread %i %j (captured from Kafka Connect)', (nid, name) => {
    expect(names.get(nid)).toBe(name);
  });

  it('keeps quotes and spaces inside a name and skips stack lines', () => {
    expect([...names.values()].find((n) => n.startsWith('qtp'))).toContain('{HTTP/1.1, (http/1.1)}');
    expect(names.size).toBe(7);
  });
});

describe('javaThreadNames', () => {
  it('is empty for a process that is not a JVM', () => {
    expect(javaThreadNames(2 ** 30).size).toBe(0);
  });
});
