import { z } from 'zod';

/** `auth:` in the central config: command-room sessions and login throttling. */
export const AuthConfig = z
  .strictObject({
    idleTimeoutMinutes: z
      .number()
      .int()
      .min(1)
      .max(525_600)
      .default(720)
      .describe('a session not used for this long ends (an open wall keeps its session in use)'),
    sessionLifetimeHours: z
      .number()
      .int()
      .min(1)
      .max(8760)
      .default(168)
      .describe('every session ends this long after its login, in use or not; then the browser must log in again'),
    loginMaxFailures: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(10)
      .describe('failed logins from one address, or for one username, before further attempts are refused with 429'),
    loginWindowMinutes: z.number().int().min(1).max(1440).default(15).describe('how long a failed login counts against loginMaxFailures'),
    anonymousView: z
      .boolean()
      .default(false)
      .describe('true: the wall, attendance and health pages (and their read-only API) open without login, e.g. a kiosk screen on a closed network; acknowledging and admin pages still need a login'),
    secureCookie: z
      .enum(['auto', 'always'])
      .default('auto')
      .describe('auto: mark the session cookie Secure when the central serves HTTPS itself; always: also behind a TLS-terminating reverse proxy'),
  })
  .describe('command-room login: sessions, API tokens and login throttling (docs/command-room.md)');
export type AuthConfig = z.infer<typeof AuthConfig>;
