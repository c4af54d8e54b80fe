// docker-compose.yml must stay valid and in step with the local stack. `docker-compose config`
// validates the file without a Docker engine (Debian's docker-compose package; .ci/run installs it).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '@syncline/stack';
import { renderComposeConnector } from '../render-connector';

const root = repoRoot();
const composeFile = path.join(root, 'docker-compose.yml');
const hasCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
if (!hasCompose) {
  process.stderr.write(
    'SKIPPING docker-compose config check: docker-compose is not installed (apt-get install docker-compose)\n',
  );
}

describe('docker-compose.yml', () => {
  (hasCompose ? it : it.skip)('passes `docker-compose config`', () => {
    const out = execFileSync('docker-compose', ['-f', composeFile, 'config'], { encoding: 'utf8' });
    for (const service of ['postgres:', 'redis:', 'kafka:', 'connect:', 'registry:', 'connector-init:'])
      expect(out).toContain(service);
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
