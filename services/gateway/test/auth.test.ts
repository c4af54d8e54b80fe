// Token verification with static asymmetric keys: a JWKS with kids (an unknown kid is SYNC_E805),
// a PEM; HS256 tokens are refused when only public keys are configured.
import { createServer } from 'node:http';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import { TokenVerifier, GatewayAuthError } from '../src/auth';
import type { AuthConfig } from '../src/config';

const base: AuthConfig = {
  secret: null,
  staticKeys: null,
  jwksUrls: [],
  jwksMinRefetchMs: 30_000,
  audiences: ['syncline'],
  maxLifetimeS: 3600,
  clockToleranceS: 5,
};

async function codeOf(p: Promise<unknown>): Promise<string | null> {
  try {
    await p;
    return null;
  } catch (error) {
    if (error instanceof GatewayAuthError) return error.code;
    throw error;
  }
}

describe('TokenVerifier with static keys', () => {
  it('verifies by kid from a JWKS and names an unknown kid', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    const verifier = await TokenVerifier.create({ ...base, staticKeys: JSON.stringify({ keys: [jwk] }) });
    const now = Math.floor(Date.now() / 1000);
    const sign = (kid: string) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid })
        .setSubject('u1')
        .setAudience('syncline')
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(privateKey);
    expect((await verifier.verify(await sign('k1'))).userId).toBe('u1');
    expect(await codeOf(verifier.verify(await sign('k2')))).toBe('SYNC_E805');
    const hs = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u1')
      .setAudience('syncline')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(new TextEncoder().encode('x'.repeat(32)));
    expect(await codeOf(verifier.verify(hs))).toBe('SYNC_E802');
  });

  it('verifies with an RSA public key given as PEM', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const verifier = await TokenVerifier.create({ ...base, staticKeys: await exportSPKI(publicKey) });
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ parameters: { team: 'a' } })
      .setProtectedHeader({ alg: 'RS256' })
      .setSubject('u2')
      .setAudience(['other', 'syncline'])
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(privateKey);
    const verified = await verifier.verifyHeader(`Bearer ${token}`);
    expect(verified.userId).toBe('u2');
    expect(verified.payload.parameters).toEqual({ team: 'a' });
  });
});

describe('TokenVerifier with a JWKS URL', () => {
  it('fetches the keys, refetches for a new kid, and says when the URL does not answer', async () => {
    const first = await generateKeyPair('ES256');
    const second = await generateKeyPair('ES256');
    const keys = [{ ...(await exportJWK(first.publicKey)), kid: 'a', alg: 'ES256' }];
    let fetches = 0;
    const server = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const url = `http://127.0.0.1:${port}/jwks`;
      const verifier = await TokenVerifier.create({ ...base, jwksUrls: [url], jwksMinRefetchMs: 0 });
      const limited = await TokenVerifier.create({ ...base, jwksUrls: [url] });
      const now = Math.floor(Date.now() / 1000);
      const sign = (kid: string, key: KeyLike) =>
        new SignJWT({})
          .setProtectedHeader({ alg: 'ES256', kid })
          .setSubject('u3')
          .setAudience('syncline')
          .setIssuedAt(now)
          .setExpirationTime(now + 600)
          .sign(key);
      expect((await verifier.verify(await sign('a', first.privateKey))).userId).toBe('u3');
      expect((await limited.verify(await sign('a', first.privateKey))).userId).toBe('u3');
      expect(fetches).toBe(2);
      // A key published after the first fetch: an unknown kid makes the verifier fetch again.
      keys.push({ ...(await exportJWK(second.publicKey)), kid: 'b', alg: 'ES256' });
      expect((await verifier.verify(await sign('b', second.privateKey))).userId).toBe('u3');
      expect(fetches).toBe(3);
      // Within the rate limit, an unknown kid is not fetched again: refused as unknown.
      expect(await codeOf(limited.verify(await sign('b', second.privateKey)))).toBe('SYNC_E805');
      expect(fetches).toBe(3);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    const down = await TokenVerifier.create({ ...base, jwksUrls: [`http://127.0.0.1:${port}/jwks`] });
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'a' })
      .setSubject('u3')
      .setAudience('syncline')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(first.privateKey);
    expect(await codeOf(down.verify(token))).toBe('SYNC_E806');
  });
});
