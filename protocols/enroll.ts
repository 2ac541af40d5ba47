import { z } from 'zod';
import { GATEWAY_ID_PATTERN } from './mqtt/topics.js';

/**
 * Gateway enrollment over HTTP(S), between `pemda-edge enroll` and the central
 * (docs/operations.md, "Enrolling a gateway"):
 *   GET  /api/enroll/ca   the installation's CA certificate (PEM); the box checks its
 *                         SHA-256 against the fingerprint printed with the token
 *   POST /api/enroll      EnrollRequest -> EnrollResponse; the token is single-use
 */
export const ENROLL_TOKEN_PATTERN = /^[A-Za-z0-9_-]{32,128}$/;

export const EnrollRequest = z.strictObject({
  token: z.string().regex(ENROLL_TOKEN_PATTERN, 'an enrollment token from pemda-central enroll-token'),
  gateway: z.string().regex(GATEWAY_ID_PATTERN, 'a gateway id').optional().describe('id the box asks for, when the token names none'),
  hostname: z.string().min(1).max(253).optional().describe('the box\'s host name, for the central\'s log'),
});
export type EnrollRequest = z.infer<typeof EnrollRequest>;

export const EnrollResponse = z.strictObject({
  gateway: z.string().regex(GATEWAY_ID_PATTERN),
  opd: z.string().min(1),
  opdName: z.string().min(1),
  mqtt: z.strictObject({
    url: z.string().regex(/^mqtts?:\/\/[^/\s]+$/),
    username: z.string().min(1),
    password: z.string().min(1),
    topicRoot: z.string().min(1),
  }),
  /** PEM of the CA to pin for mqtts://; null when the central runs without TLS. */
  ca: z.string().startsWith('-----BEGIN CERTIFICATE-----').nullable(),
});
export type EnrollResponse = z.infer<typeof EnrollResponse>;

/** The central's refusal: `{ error }` with 400, 401 (token unknown, used or expired), 409 or 429. */
export const EnrollError = z.strictObject({ error: z.string() });
