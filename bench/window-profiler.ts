// CPU profiles of a benchmark's timed windows only (set-up excluded), one .cpuprofile per window,
// for Chrome DevTools or `node --cpu-prof`-style tools.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import * as path from 'node:path';

export class WindowProfiler {
  private readonly session = new Session();
  constructor(private readonly dir: string) {
    this.session.connect();
  }
  async start(): Promise<void> {
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.start');
  }
  /** Stops and writes `<dir>/<name>.cpuprofile`. */
  async stop(name: string): Promise<void> {
    const { profile } = await this.session.post('Profiler.stop');
    writeFileSync(path.join(this.dir, `${name}.cpuprofile`), JSON.stringify(profile));
  }
}
