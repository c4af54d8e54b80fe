// Token verification with static asymmetric keys: a JWKS with kids (an unknown kid is SYNC_E805),
// a PEM; HS256 tokens are refused when only public keys are configured.
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { TokenVerifier, GatewayAuthError } from '../src/auth';
import type { AuthConfig } from '../src/config';

const base: AuthConfig = {
  secret: null,
  staticKeys: null,
  jwksUrls: [],
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
