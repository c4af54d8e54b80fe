// docker-compose.yml must stay valid and in step with the local stack. `docker-compose config`
// validates the file without a Docker engine (Debian's docker-compose package; .ci/run installs it).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '@syncline/stack';
import { parse } from 'yaml';
import { renderComposeConnector } from '../render-connector';

const root = repoRoot();
const composeFile = path.join(root, 'docker-compose.yml');

interface ComposeService {
  build?: string;
  image?: string;
  scale?: number;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: unknown;
  depends_on?: Record<string, { condition: string }>;
}
const services = (parse(fs.readFileSync(composeFile, 'utf8')) as { services: Record<string, ComposeService> })
  .services;
/** The services built from the root Dockerfile. */
const APP_SERVICES = ['evaluator', 'gateway', 'backend'];
const hasCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
if (!hasCompose) {
  process.stderr.write(
    'SKIPPING docker-compose config check: docker-compose is not installed (apt-get install docker-compose)\n',
  );
}

describe('docker-compose.yml', () => {
  (hasCompose ? it : it.skip)('passes `docker-compose config`', () => {
    const out = execFileSync('docker-compose', ['-f', composeFile, 'config'], { encoding: 'utf8' });
    for (const service of [...Object.keys(services), 'scale: 2']) expect(out).toContain(service);
  });

  it('runs the evaluator (two replicas), the gateway and the backend from the root Dockerfile', () => {
    expect(services.evaluator?.build).toBe('.');
    expect(services.evaluator?.scale).toBe(2);
    for (const name of APP_SERVICES) expect(services[name]?.image).toBe(services.evaluator?.image);
    expect(services.evaluator?.command?.[0]).toBe('evaluator');
    expect(services.gateway?.command?.[0]).toBe('gateway');
    expect(services.backend?.entrypoint?.slice(-2)).toEqual(['node', 'dist/examples/backend/server.js']);
  });

  it('comes up in order: every dependency waited for is healthy (or done), and has a health check', () => {
    for (const [name, service] of Object.entries(services))
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect([name, dependency, condition]).toEqual([
          name,
          dependency,
          dependency === 'connector-init' ? 'service_completed_successfully' : 'service_healthy',
        ]);
        if (condition === 'service_healthy') expect(services[dependency]?.healthcheck).toBeDefined();
      }
  });

  it('mounts the sync rules and the JWT secret from files of this repository', () => {
    for (const name of APP_SERVICES)
      for (const volume of services[name]?.volumes ?? [])
        expect(fs.existsSync(path.join(root, volume.split(':')[0]!))).toBe(true);
    expect(services.gateway?.environment?.SYNCLINE_JWT_SECRET_FILE).toBeDefined();
  });

  it('registers exactly the connector template rendered for the compose network', () => {
    const committed = fs.readFileSync(path.join(root, 'infra', 'compose', 'debezium-postgres.json'), 'utf8');
    // If this fails, run: npx tsx infra/compose/render-connector.ts
    expect(committed).toBe(renderComposeConnector(root));
  });

  it('uses the versions the architecture fixes', () => {
    const text = fs.readFileSync(composeFile, 'utf8');
    expect(text).toMatch(/image: apache\/kafka:4\.3\./);
    expect(text).toMatch(/image: quay\.io\/debezium\/connect:3\.6\.1\.Final/);
    expect(text).toMatch(/image: postgres:15/);
    expect(text).toMatch(/image: redis:7/);
    expect(text).toMatch(/image: apicurio\/apicurio-registry:3\./);
    expect(text).toMatch(/wal_level=logical/);
  });
});
