import type { IncomingMessage } from 'node:http';

export const SESSION_COOKIE = 'pemda_session';

/**
 * Cookie pairs of a request (RFC 6265 section 5.4 form: `a=1; b=2`). The first
 * occurrence of a name wins, as browsers send the most specific path first; values
 * in quotes lose them; a value that is not valid percent-encoding is kept as sent.
 */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (header === undefined) return cookies;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    if (name === '' || cookies.has(name)) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      // Not ours to reject: the token check that follows refuses anything malformed.
    }
    cookies.set(name, value);
  }
  return cookies;
}

export interface CookieOptions {
  secure: boolean;
  /** Seconds; 0 tells the browser to drop the cookie now. */
  maxAgeS: number;
}

/**
 * HttpOnly keeps page scripts (and anything injected into them) away from the token;
 * SameSite=Strict keeps other sites from riding on it (no cross-site form posts).
 */
export function sessionCookie(value: string, options: CookieOptions): string {
  const parts = [`${SESSION_COOKIE}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${Math.max(0, Math.floor(options.maxAgeS))}`];
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

/** The session token a request carries in its cookie, if any. */
export function sessionTokenOf(req: Pick<IncomingMessage, 'headers'>): string | undefined {
  return parseCookies(req.headers.cookie).get(SESSION_COOKIE);
}
