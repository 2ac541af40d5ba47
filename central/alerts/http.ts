import { z } from 'zod';
import { AckRequest, type Alert } from './alert.js';
import { AlertError, type AlertEngine, type AlertEvents } from './engine.js';

/**
 * The alert routes of the central's HTTP API. central/http.ts owns the server, the
 * body reading and the authentication; it hands each request here:
 *   GET  /api/alerts                       open alerts (what the wall shows)
 *   GET  /api/alerts/recent?limit=100      newest first, open and cleared
 *   GET  /api/alerts/response-times?opd=CODE&from=ISO&to=ISO
 *                                          raised -> acknowledged seconds per alert of an OPD
 *   GET  /api/alerts/{id}                  one alert
 *   POST /api/alerts/{id}/ack              acknowledges as the logged-in user; without
 *                                          authentication the JSON body {"user": "..."} names them.
 *                                          200 with the alert (a second ack returns the first one)
 */

export interface AlertsHttpRequest {
  method: string;
  url: URL;
  /** Who acts, from the session or API token; undefined when the central runs without authentication. */
  user?: string | undefined;
  /** The request body as JSON; called only to acknowledge without an authenticated user. */
  json: () => Promise<unknown>;
}

export interface AlertsHttpReply {
  status: number;
  body: unknown;
}

/** Permission names as central/auth/roles.ts spells them. */
export type AlertsPermission = 'view' | 'alerts.ack';

const RecentQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(10_000).default(100) });
const instant = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 date or instant, e.g. 2026-11-01 or 2026-11-01T00:00:00+08:00');
const ResponseTimesQuery = z.strictObject({ opd: z.string().min(1).max(32), from: instant, to: instant });

const ACK_PATH = /^\/api\/alerts\/(\d{1,15})\/ack\/?$/;

function isAlertsPath(pathname: string): boolean {
  return pathname === '/api/alerts' || pathname.startsWith('/api/alerts/');
}

/** What a request to the alert routes needs; undefined when the path is not one of them. */
export function alertsPermission(method: string, pathname: string): AlertsPermission | undefined {
  if (!isAlertsPath(pathname)) return undefined;
  return method === 'POST' && ACK_PATH.test(pathname) ? 'alerts.ack' : 'view';
}

/** The reply to an alert route; undefined leaves the request to the caller's other routes. */
export async function alertsRoute(engine: AlertEngine, req: AlertsHttpRequest): Promise<AlertsHttpReply | undefined> {
  const { method, url } = req;
  if (!isAlertsPath(url.pathname)) return undefined;
  const bad = (error: z.ZodError): AlertsHttpReply => ({ status: 400, body: { error: z.prettifyError(error) } });
  const query = Object.fromEntries(url.searchParams);
  const path = url.pathname.replace(/\/$/, '');

  const ack = ACK_PATH.exec(path);
  if (ack) {
    if (method !== 'POST') return { status: 405, body: { error: 'acknowledge with POST' } };
    let user = req.user;
    if (user === undefined) {
      const parsed = AckRequest.safeParse(await req.json());
      if (!parsed.success) return bad(parsed.error);
      user = parsed.data.user;
    }
    let alert: Alert | undefined;
    try {
      alert = engine.acknowledge(Number(ack[1]), user);
    } catch (err) {
      if (err instanceof AlertError) return { status: 400, body: { error: err.message } };
      throw err;
    }
    return alert ? { status: 200, body: alert } : { status: 404, body: { error: `no alert ${ack[1]}` } };
  }
  if (method !== 'GET') return { status: 405, body: { error: `${method} not allowed` } };
  if (path === '/api/alerts') return { status: 200, body: { at: new Date().toISOString(), open: engine.open() } };
  if (path === '/api/alerts/recent') {
    const q = RecentQuery.safeParse(query);
    return q.success ? { status: 200, body: { alerts: engine.recent(q.data.limit) } } : bad(q.error);
  }
  if (path === '/api/alerts/response-times') {
    const q = ResponseTimesQuery.safeParse(query);
    if (!q.success) return bad(q.error);
    const from = Date.parse(q.data.from);
    const to = Date.parse(q.data.to);
    if (!(to > from)) return { status: 400, body: { error: '"to" must be later than "from"' } };
    return { status: 200, body: { opd: q.data.opd, from: new Date(from).toISOString(), to: new Date(to).toISOString(), alerts: engine.responseTimes(q.data.opd, from, to) } };
  }
  const one = /^\/api\/alerts\/(\d{1,15})$/.exec(path);
  if (one) {
    const alert = engine.get(Number(one[1]));
    return alert ? { status: 200, body: alert } : { status: 404, body: { error: `no alert ${one[1]}` } };
  }
  return { status: 404, body: { error: `no route ${url.pathname}` } };
}

/**
 * Passes every alert event to `send`, e.g. onto the SSE stream as events
 * "alert-raised", "alert-acknowledged" and "alert-cleared" with the alert as data.
 * Returns the unsubscribe.
 */
export function forwardAlertEvents(engine: AlertEngine, send: (event: `alert-${keyof AlertEvents}`, alert: Alert) => void): () => void {
  const listeners = (['raised', 'acknowledged', 'cleared'] as const).map((e) => [e, (alert: Alert) => send(`alert-${e}`, alert)] as const);
  for (const [e, l] of listeners) engine.on(e, l);
  return () => {
    for (const [e, l] of listeners) engine.off(e, l);
  };
}
