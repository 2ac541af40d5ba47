import { z } from 'zod';
import { bearerTokenOf } from '../auth/request.js';

/**
 * What central/http.ts hands the bridge routes, and what it gets back. The server owns
 * the connection, the authentication and the body limit; the routes own the rest.
 */

/** Who acts: from the session or API token the caller checked. */
export interface Actor {
  username: string;
  /**
   * Set for a user who belongs to one OPD: they see and handle only its complaints.
   * The command room's own users (operators, admins) have none.
   */
  opd?: string | undefined;
}

export interface BridgesRequest {
  method: string;
  url: URL;
  /** Absent on the dataset push route, which checks its own token. */
  actor?: Actor | undefined;
  /** The Authorization header as sent (the dataset push route reads its Bearer token). */
  authorization?: string | undefined;
  contentType?: string | undefined;
  /** The body as UTF-8 text; the caller refuses bodies over `limit` bytes (413). */
  body: (limit: number) => Promise<string>;
}

/** JSON (`type` absent: the caller serializes `body`), or a file with its content type. */
export type BridgesReply =
  | { status: number; body: unknown; type?: undefined; headers?: Record<string, string> | undefined }
  | { status: number; body: Buffer; type: string; headers: Record<string, string> };

/** Small JSON documents: an assignment, a note, a registration. */
export const JSON_BODY_LIMIT = 64 * 1024;
/** A complaint with a 2 MB photo as base64 (2.7 MB) and its text. */
export const COMPLAINT_BODY_LIMIT = 3 * 1024 * 1024;
/** A push of rows: up to 10 000 rows of JSON or CSV. */
export const ROWS_BODY_LIMIT = 5 * 1024 * 1024;

export const bad = (error: z.ZodError): BridgesReply => ({ status: 400, body: { error: z.prettifyError(error) } });
export const fail = (status: number, error: string): BridgesReply => ({ status, body: { error } });

/** The body as JSON, or the 415/400 reply that says why not. */
export async function readJson(req: BridgesRequest, limit = JSON_BODY_LIMIT): Promise<{ value: unknown } | { reply: BridgesReply }> {
  if (!/^application\/json\b/i.test(req.contentType ?? '')) return { reply: fail(415, 'send Content-Type: application/json') };
  const text = await req.body(limit);
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { reply: fail(400, 'body is not valid JSON') };
  }
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return bearerTokenOf({ headers: { authorization } });
}

const instant = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 date or instant, e.g. 2026-11-01 or 2026-11-01T00:00:00+08:00');

/** A [from, to) period from the query; default the 30 days up to now. */
export const PeriodQuery = {
  from: instant.optional().describe('start (ISO 8601); default 30 days before `to`'),
  to: instant.optional().describe('end, exclusive (ISO 8601); default now'),
};

export function periodOf(q: { from?: string | undefined; to?: string | undefined }, nowMs: number): { fromMs: number; toMs: number } | { error: string } {
  const toMs = q.to !== undefined ? Date.parse(q.to) : nowMs;
  const fromMs = q.from !== undefined ? Date.parse(q.from) : toMs - 30 * 86400_000;
  return toMs > fromMs ? { fromMs, toMs } : { error: '"to" must be later than "from"' };
}
