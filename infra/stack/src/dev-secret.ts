// The local stack's development JWT secret: generated once per stack directory (mode 0600), so
// `syncline token` signs tokens that a gateway started from `syncline stack env` accepts. For
// trying things locally only; production gateways are configured with real keys (docs/auth.md).
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StackConfig } from './config';

export function devJwtSecret(config: Pick<StackConfig, 'stateDir'>): string {
  const file = path.join(config.stateDir, 'dev-jwt-secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    fs.mkdirSync(config.stateDir, { recursive: true });
    const secret = randomBytes(32).toString('base64url');
    try {
      fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
      return secret;
    } catch {
      // Another process created it first: use theirs.
      return fs.readFileSync(file, 'utf8').trim();
    }
  }
}
