// Names of a running JVM's threads by native thread id, from `jcmd <pid> Thread.print`: /proc
// truncates a thread's name to 15 bytes and Kafka Connect reuses pool threads, so only the JVM
// knows which thread is which connector's task right now.
import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import * as path from 'node:path';

/** Thread name by native id (the `nid=0x…` of each thread's header line). */
export function parseJavaThreadDump(dump: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of dump.split('\n')) {
    if (!line.startsWith('"')) continue;
    const close = line.lastIndexOf('" ');
    const nid = / nid=(0x[0-9a-f]+)/.exec(line.slice(close));
    if (close > 0 && nid) names.set(Number(nid[1]), line.slice(1, close));
  }
  return names;
}

/**
 * The thread names of the JVM `pid`, asked through the jcmd beside its java binary (a pause of a
 * few ms at a safepoint); empty when there is no jcmd or the JVM does not answer.
 */
export function javaThreadNames(pid: number): Map<number, string> {
  try {
    const jcmd = path.join(path.dirname(readlinkSync(`/proc/${pid}/exe`)), 'jcmd');
    return parseJavaThreadDump(
      execFileSync(jcmd, [String(pid), 'Thread.print'], { encoding: 'utf8', maxBuffer: 64 << 20 }),
    );
  } catch {
    return new Map();
  }
}
