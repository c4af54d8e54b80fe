// Apicurio Registry 3.x (Quarkus fast-jar from Maven Central) with in-memory storage, serving
// the Confluent-compatible API at /apis/ccompat/v7. Apicurio 3.3 needs Java 21 or newer.
import * as fs from 'node:fs';
import type { Component } from '../component';
import { componentDir, jvmFlags, logFileOf } from '../component';
import { failIfExited, readyOrStopped, spawnDaemon, stopProcessGroup } from '../processes';
import { httpGet, waitUntil } from '../readiness';

export const registry: Component = {
  name: 'registry',
  ports: (c) => [
    { port: c.ports.registry, envVar: 'SYNCLINE_REGISTRY_PORT' },
    { port: c.ports.registryManagement, envVar: 'SYNCLINE_REGISTRY_MANAGEMENT_PORT' },
  ],

  preflight: async (ctx) => void (await ctx.jvm()),

  async start(ctx) {
    const c = ctx.config;
    const { downloads, registryJava } = await ctx.jvm();
    const dir = componentDir(c, 'registry');
    fs.mkdirSync(dir, { recursive: true });
    const log = logFileOf(c, 'registry');
    const pid = await spawnDaemon({
      command: registryJava.executable,
      args: [
        ...jvmFlags(c.heaps.registry, 'startup'),
        '-Dquarkus.http.host=127.0.0.1',
        `-Dquarkus.http.port=${c.ports.registry}`,
        '-Dquarkus.management.host=127.0.0.1',
        `-Dquarkus.management.port=${c.ports.registryManagement}`,
        // The Confluent client's DELETE /subjects needs these; Apicurio disables deletes by default.
        '-Dapicurio.rest.deletion.artifact.enabled=true',
        '-Dapicurio.rest.deletion.artifact-version.enabled=true',
        '-Dapicurio.rest.deletion.group.enabled=true',
        '-jar',
        downloads.apicurioJar,
      ],
      logFile: log,
      cwd: dir,
    });
    await readyOrStopped(
      pid,
      waitUntil(
        async () => {
          const r = await httpGet(`http://127.0.0.1:${c.ports.registryManagement}/health/ready`);
          return r.status === 200;
        },
        {
          what: 'Apicurio Registry (/health/ready)',
          timeoutMs: c.readyTimeoutMs,
          check: failIfExited(pid, 'Apicurio Registry', log),
        },
      ),
    );
    return { pid, detail: `http://127.0.0.1:${c.ports.registry}/apis/ccompat/v7 (in-memory storage)` };
  },

  async probe(ctx) {
    try {
      const r = await httpGet(`http://127.0.0.1:${ctx.config.ports.registryManagement}/health/ready`);
      return { healthy: r.status === 200, detail: `GET /health/ready ${r.status}` };
    } catch (err) {
      return { healthy: false, detail: (err as Error).message };
    }
  },

  async stop(_ctx, pid) {
    if (pid) await stopProcessGroup(pid, 15000);
  },
};
