import type { Logger } from '@silo/common';
import type { SigningKey } from '@silo/signing';
import { mintControlToken, parseTokenRequest } from './control-tokens.js';
import type { HttpApi } from './http-api.js';

/**
 * `POST /v1/tokens {role, subject, ttl}` (admin only): issues a role token signed by the
 * coordinator's key with `iss` = the ledger name. The token is in the response and nowhere else;
 * the log records who asked for whom, the role and the token id.
 */
export function addTokenRoutes(api: HttpApi, key: SigningKey, issuer: string, logger: Logger): HttpApi {
  return api.route('POST', '/v1/tokens', ['admin'], async ({ body, principal }) => {
    const request = parseTokenRequest(body);
    const { token, claims } = await mintControlToken(key, { issuer, ...request });
    logger.info(
      { by: principal.subject, sub: claims.sub, role: claims.role, jti: claims.jti, exp: claims.exp },
      'control-plane token issued',
    );
    return {
      status: 201,
      json: {
        token,
        subject: claims.sub,
        role: claims.role,
        id: claims.jti,
        expiresAt: new Date(claims.exp * 1000).toISOString(),
      },
    };
  });
}
