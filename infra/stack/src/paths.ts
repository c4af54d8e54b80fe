// Locating the repository root (where infra/kafka-stack/pom.xml is) from any working directory.
import * as fs from 'node:fs';
import * as path from 'node:path';

export function repoRoot(start: string = __dirname): string {
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'infra', 'kafka-stack', 'pom.xml'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no Syncline repository above ${start}`);
    dir = parent;
  }
}
