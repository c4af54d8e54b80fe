// docs/gateway.md documents exactly the variables GATEWAY_CONFIG_SCHEMA reads (its Configuration table).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GATEWAY_CONFIG_SCHEMA, loadGatewayConfig } from '../src/config';

const doc = readFileSync(join(__dirname, '../../../docs/gateway.md'), 'utf8');
const section = doc.slice(
  doc.indexOf('## Configuration'),
  doc.indexOf('\n## ', doc.indexOf('## Configuration') + 1),
);
const documented = [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]!);
const read = Object.keys(GATEWAY_CONFIG_SCHEMA.shape);

describe('docs/gateway.md configuration table', () => {
  it('documents exactly the variables the gateway reads', () => {
    expect(read.filter((name) => !documented.includes(name))).toEqual([]);
    expect(documented.filter((name) => !read.includes(name))).toEqual([]);
  });
});

describe('loadGatewayConfig', () => {
  const base = { SYNCLINE_RULES_FILE: 'r.yaml', REDIS_URL: 'redis://h:1' };
  it('requires a key source and never echoes a secret', () => {
    expect(() => loadGatewayConfig(base)).toThrow(/SYNCLINE_JWT_SECRET: set a key source/);
    expect(() => loadGatewayConfig({ ...base, SYNCLINE_JWT_SECRET: 'short-secret' })).toThrow(
      /SYNCLINE_JWT_SECRET: at least 32 characters \(HS256\) \(got "<hidden>"\)/,
    );
    const config = loadGatewayConfig({
      ...base,
      SYNCLINE_JWT_SECRET: 'x'.repeat(32),
      SYNCLINE_DEPLOYMENT: 'prod',
    });
    expect(config.auth.audiences).toEqual(['syncline']);
    expect(config.keyPrefix).toBe('syncline:prod:1');
  });
});

describe('key files', () => {
  const base = { SYNCLINE_RULES_FILE: 'r.yaml', REDIS_URL: 'redis://h:1' };
  const dir = mkdtempSync(join(tmpdir(), 'gateway-keys-'));
  it('reads SYNCLINE_JWT_SECRET_FILE and SYNCLINE_JWT_KEYS_FILE, trimmed', () => {
    writeFileSync(join(dir, 'secret'), `${'s'.repeat(40)}\n`);
    writeFileSync(join(dir, 'keys'), '{"keys": []}\n');
    const config = loadGatewayConfig({
      ...base,
      SYNCLINE_JWT_SECRET_FILE: join(dir, 'secret'),
      SYNCLINE_JWT_KEYS_FILE: join(dir, 'keys'),
    });
    expect(config.auth.secret).toBe('s'.repeat(40));
    expect(config.auth.staticKeys).toBe('{"keys": []}');
  });
  it('names the variable when the file is missing or both forms are set', () => {
    expect(() => loadGatewayConfig({ ...base, SYNCLINE_JWT_SECRET_FILE: join(dir, 'nope') })).toThrow(
      /SYNCLINE_JWT_SECRET_FILE: cannot read .*nope/,
    );
    expect(() =>
      loadGatewayConfig({
        ...base,
        SYNCLINE_JWT_SECRET: 'x'.repeat(32),
        SYNCLINE_JWT_SECRET_FILE: join(dir, 'secret'),
      }),
    ).toThrow(/set SYNCLINE_JWT_SECRET or SYNCLINE_JWT_SECRET_FILE, not both/);
  });
});
