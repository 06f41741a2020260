/**
 * Who may do what on the hub with `--secret`: a JWT signed with HS256 (and
 * only HS256: `alg: none` and every other algorithm are refused), with an
 * `exp` claim that has not passed (5 s of clock tolerance) and a
 * `permissions` claim (see `topic-rules.ts`).
 *
 * @module
 */
import { jwtVerify } from 'jose';
import { Permissions } from './topic-rules.js';

/** Clock difference accepted on `exp`/`nbf`, in seconds. */
export const CLOCK_TOLERANCE_S = 5;

/** Largest token accepted (bytes of the compact form), checked before any parsing. */
const MAX_TOKEN_LENGTH = 8192;

/** A token's outcome: its permissions and when it expires (ms since the epoch), or why it was refused. */
export type TokenCheck =
  | { readonly ok: true; readonly permissions: Permissions; readonly expiresAt: number }
  | { readonly ok: false; readonly reason: string };

/** Verifies hub tokens against one secret. */
export class TokenVerifier {
  readonly #key: Uint8Array;

  constructor(secret: string) {
    this.#key = new TextEncoder().encode(secret);
  }

  /** Check `token` (the compact JWT); never throws. */
  async verify(token: string): Promise<TokenCheck> {
    if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'token too long' };
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.#key, {
        algorithms: ['HS256'],
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      return { ok: false, reason: tokenError(error) };
    }
    const permissions = Permissions.parse(payload['permissions']);
    if (typeof permissions === 'string') return { ok: false, reason: permissions };
    return { ok: true, permissions, expiresAt: (payload.exp ?? 0) * 1000 };
  }
}

/** A short reason from jose's error codes (never the token itself). */
function tokenError(error: unknown): string {
  const code = (error as { code?: string }).code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'token expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'token signature does not match';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'token algorithm is not HS256';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `token claim check failed: ${(error as Error).message}`;
    default:
      return 'token is not a valid JWT';
  }
}

/** The token of a request: `Authorization: Bearer …` first, else `?token=`. */
export function tokenOf(authorization: string | undefined, queryToken: string | undefined): string | undefined {
  if (authorization !== undefined) {
    const match = /^Bearer +([^\s]+) *$/i.exec(authorization);
    if (match !== null) return match[1];
  }
  return queryToken === '' ? undefined : queryToken;
}
