// Verifies the JWT of a request (`Authorization: Token <jwt>` or `Bearer <jwt>`) with jose: keys
// from JWKS URLs (cached by jose, refetched on an unknown `kid` at most once per
// SYNCLINE_JWKS_MIN_REFETCH_MS) and/or static
// keys (an HS256 secret, a JWKS or JWK, a PEM). Required claims: sub, iat, exp, aud (one of the
// configured audiences); the lifetime exp - iat is bounded. Every failure is a GatewayAuthError
// with its code (docs/errors.md, SYNC_E801-E806, E813-E814).
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  importSPKI,
  jwtVerify,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  type KeyLike,
} from 'jose';
import { SynclineError, type ErrorCode } from '@syncline/errors';
import type { AuthConfig } from './config';

export class GatewayAuthError extends SynclineError {
  override readonly name = 'GatewayAuthError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface VerifiedToken {
  readonly userId: string;
  readonly payload: JWTPayload;
  /** Seconds since the epoch. */
  readonly expiresAt: number;
}

const SCHEME = /^(Token|Bearer) (\S+)$/;
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

interface KeySource {
  readonly algorithms: readonly string[];
  readonly key: JWTVerifyGetKey | KeyLike | Uint8Array;
  readonly remote: boolean;
}

export class TokenVerifier {
  private constructor(
    private readonly config: AuthConfig,
    private readonly sources: readonly KeySource[],
    private readonly now: () => number,
  ) {}

  static async create(config: AuthConfig, now: () => number = () => Date.now()): Promise<TokenVerifier> {
    const sources: KeySource[] = [];
    if (config.secret !== null)
      sources.push({ algorithms: ['HS256'], key: new TextEncoder().encode(config.secret), remote: false });
    if (config.staticKeys !== null) sources.push(await staticKeySource(config.staticKeys));
    for (const url of config.jwksUrls)
      sources.push({
        algorithms: ASYMMETRIC,
        key: createRemoteJWKSet(new URL(url), {
          cooldownDuration: config.jwksMinRefetchMs,
          cacheMaxAge: 10 * 60_000,
        }),
        remote: true,
      });
    return new TokenVerifier(config, sources, now);
  }

  /** The token of an `Authorization` header value, verified. */
  async verifyHeader(header: string | undefined): Promise<VerifiedToken> {
    const match = header === undefined ? null : SCHEME.exec(header.trim());
    if (match === null)
      throw new GatewayAuthError(
        'SYNC_E801',
        'missing Authorization header: expected "Token <JWT>" or "Bearer <JWT>"',
      );
    return this.verify(match[2]!);
  }

  async verify(token: string): Promise<VerifiedToken> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new GatewayAuthError('SYNC_E802', 'the token is not a JWT (its header cannot be decoded)');
    }
    if (alg === undefined || alg === 'none')
      throw new GatewayAuthError('SYNC_E802', `the token's algorithm ${alg ?? '(none)'} is not accepted`);
    const candidates = this.sources.filter((s) => s.algorithms.includes(alg));
    if (candidates.length === 0)
      throw new GatewayAuthError('SYNC_E802', `no configured key verifies ${alg} tokens`);
    let last: unknown;
    for (const source of candidates) {
      try {
        return this.checkClaims(await this.verifyWith(token, source));
      } catch (error) {
        if (error instanceof GatewayAuthError) throw error;
        last = error;
        // Another source may hold the key: only a signature or key mismatch moves on.
        if (!(
          error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey
        ))
          break;
      }
    }
    throw translate(last);
  }

  private async verifyWith(token: string, source: KeySource): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, source.key as JWTVerifyGetKey, {
      algorithms: [...source.algorithms],
      audience: [...this.config.audiences],
      clockTolerance: this.config.clockToleranceS,
      requiredClaims: ['sub', 'iat', 'exp', 'aud'],
      currentDate: new Date(this.now()),
    });
    return payload;
  }

  private checkClaims(payload: JWTPayload): VerifiedToken {
    if (typeof payload.sub !== 'string' || payload.sub === '')
      throw new GatewayAuthError('SYNC_E802', 'the token has no sub (user id)');
    // jose checks nbf but not an iat in the future.
    if (payload.iat! > this.now() / 1000 + this.config.clockToleranceS)
      throw new GatewayAuthError('SYNC_E814', 'the token is not valid yet (its iat lies in the future)');
    const lifetime = payload.exp! - payload.iat!;
    if (lifetime > this.config.maxLifetimeS)
      throw new GatewayAuthError(
        'SYNC_E813',
        `the token lives ${lifetime} s (exp - iat), more than the ${this.config.maxLifetimeS} s the gateway accepts`,
      );
    return { userId: payload.sub, payload, expiresAt: payload.exp! };
  }
}

async function staticKeySource(text: string): Promise<KeySource> {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) {
    for (const alg of ['RS256', 'ES256', 'EdDSA']) {
      try {
        return { algorithms: [alg], key: await importSPKI(trimmed, alg), remote: false };
      } catch {
        // try the next key type
      }
    }
    throw new Error('SYNCLINE_JWT_KEYS: the PEM is not an RSA, EC P-256 or Ed25519 public key (SPKI)');
  }
  const parsed = JSON.parse(trimmed) as { keys?: JWK[] } & JWK;
  const keys = parsed.keys ?? [parsed];
  return { algorithms: ASYMMETRIC, key: createLocalJWKSet({ keys }), remote: false };
}

/** A jose error as the gateway's coded auth error. */
function translate(error: unknown): GatewayAuthError {
  if (error instanceof GatewayAuthError) return error;
  if (error instanceof errors.JWTExpired)
    return new GatewayAuthError('SYNC_E803', `the token expired (${error.message})`);
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud')
      return new GatewayAuthError('SYNC_E804', `the token's audience is not accepted`);
    if (error.claim === 'nbf' || error.claim === 'iat')
      return new GatewayAuthError('SYNC_E814', `the token is not valid yet (${error.claim})`);
    return new GatewayAuthError('SYNC_E802', `the token's ${error.claim} claim is invalid: ${error.message}`);
  }
  if (error instanceof errors.JWKSNoMatchingKey)
    return new GatewayAuthError(
      'SYNC_E805',
      "no key matches the token's kid, also after refreshing the JWKS",
    );
  if (error instanceof errors.JWKSTimeout || isFetchFailure(error))
    return new GatewayAuthError('SYNC_E806', `the JWKS could not be fetched: ${String(error)}`);
  return new GatewayAuthError(
    'SYNC_E802',
    `the token does not verify: ${error instanceof Error ? error.message : String(error)}`,
  );
}

/** A JWKS that could not be fetched: a network error (ECONNREFUSED, ENOTFOUND...) or a bad status. */
function isFetchFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return true;
  return (
    error instanceof TypeError || (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC')
  );
}
