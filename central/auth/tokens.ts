import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes, base64url: what a session cookie or an API token carries. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Only this hash is stored, so a copy of the database (a backup, a support bundle)
 * cannot be replayed as a login. The token is already 256 random bits: no salt or
 * slow hash is needed, and lookups stay a single indexed read.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
