import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { SnapshotStore } from './snapshot-store.js';
import type { LiveState } from './live-state.js';
import type { Registry } from './registry.js';
import type { Enrollment } from './enroll.js';
import type { Auth, AuthResponse, Permission, Principal } from './auth/index.js';
import { adminPermission, adminRoute, type AdminSources } from './admin/routes.js';
import { openApiDocument } from './openapi.js';
import { reportsPermission, reportsRoute, type ReportsSources } from './reports/api.js';
import { bridgesPermission, bridgesRoute, forwardBridgeEvents, type Actor, type BridgesSources } from './bridges/index.js';
import { alertsPermission, alertsRoute, forwardAlertEvents, type AlertEngine } from './alerts/index.js';

/**
 * The compiled web app (tsconfig.web.json output plus central/web/static): dist/web,
 * found next to this file's own folder when it runs as dist/central/http.js.
 */
export const WEB_ROOT = fileURLToPath(new URL('../web/', import.meta.url));

/** What the web app folder may serve, by extension. */
const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};
/** The app loads nothing from elsewhere (no CDN, fonts or tiles); the browser enforces it. */
const STATIC_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
};
/** An SSE event at least this often, so a page can tell a live stream from a dead connection. */
const PING_MS = 15_000;
/**
 * What a stream for someone who handles complaints but may not view (staff of one OPD)
 * carries: no state changes, alerts or datasets of the other offices.
 */
const COMPLAINT_STREAM_EVENTS: ReadonlySet<string> = new Set(['ping', 'complaint']);

export interface HttpSources {
  snapshots: SnapshotStore;
  live: LiveState;
  registry: Registry;
  enrollment?: Enrollment;
  auth: Auth;
  /** Registry pages and device management; absent in tests that need only the wall. */
  admin?: Omit<AdminSources, 'registry' | 'live'> & { caFingerprint: string | undefined };
  alerts?: AlertEngine;
  /** Presence and office performance reports (permission reports.read); absent: no report routes. */
  reports?: ReportsSources;
  /** Complaints and the data bridge (docs/bridges.md); absent: no such routes. */
  bridges?: BridgesSources;
}

interface Reply {
  status: number;
  type: string;
  body: string | Buffer;
  headers?: Record<string, string>;
}

/** JSON bodies are small documents (enrollment, login, an OPD); a roster CSV may be larger. */
const MAX_BODY_BYTES = 64 * 1024;
const MAX_CSV_BYTES = 5 * 1024 * 1024;

class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage, type: RegExp, typeName: string, limit: number): Promise<string> {
  if (!type.test(req.headers['content-type'] ?? '')) throw new BodyError(415, `send Content-Type: ${typeName}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyError(413, `body over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The request body as JSON, refusing what is too large or not JSON. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req, /^application\/json\b/i, 'application/json', MAX_BODY_BYTES);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BodyError(400, 'body is not valid JSON');
  }
}

function json(status: number, value: unknown): Reply {
  return { status, type: 'application/json', body: JSON.stringify(value) };
}

function authReply(r: AuthResponse): Reply {
  return { status: r.status, type: 'application/json', body: JSON.stringify(r.body), headers: r.headers };
}

/** Who may read the wall when auth.anonymousView is on and nobody logged in. */
const ANONYMOUS_VIEWER: Principal = { username: '(anonymous)', role: 'operator', via: 'session' };

/**
 * The central's HTTP API and the web command room (docs/command-room.md):
 *   GET /                                     the command room web app (dist/web/index.html)
 *   GET /web/{file}                           its scripts and styles (dist/web; .js .css .map .html .svg .png .ico)
 *   GET /api/cameras                          latest frame per camera, with capture time and age
 *   GET /api/cameras/{gateway}/{camera}/latest.jpg   that frame (X-Captured-At header)
 *   GET /api/state                            gateways, terminals, cameras, health, today's punches per OPD, latest punches
 *   GET /api/events                           server-sent events: "change" whenever the state changes (at most 2 a second),
 *                                             "ping" every 15 s, "alert-*", and "complaint" / "dataset" (central/bridges/events.ts)
 *   GET /api/enroll/ca, POST /api/enroll      gateway enrollment (protocols/enroll.ts)
 *   GET /api/openapi.json                     every route, its permission and bodies (central/openapi.ts)
 * Served over HTTPS when `tls` is given (pemda-central pki).
 */
export class HttpApi {
  private server: Server | undefined;
  /** Open event streams: everything, or only what a complaints-only user may hear. */
  private readonly streams = new Map<ServerResponse, 'all' | 'complaints'>();
  private pending: NodeJS.Timeout | undefined;
  private pinger: NodeJS.Timeout | undefined;
  private unforward: (() => void) | undefined;
  private unforwardBridges: (() => void) | undefined;

  constructor(
    private readonly options: { host: string; port: number; webRoot?: string; tls?: { cert: Buffer; key: Buffer } | undefined; anonymousView?: boolean },
    private readonly sources: HttpSources,
    private readonly log: Logger,
  ) {
    // Changes arrive in bursts (a morning rush): coalesce them for the wall.
    sources.live.on('change', () => {
      this.pending ??= setTimeout(() => {
        this.pending = undefined;
        this.broadcast('change', { at: new Date().toISOString() });
      }, 500);
    });
  }

  private get snapshots(): SnapshotStore {
    return this.sources.snapshots;
  }

  async start(): Promise<number> {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      if (req.url === '/api/events') {
        const allowed = this.guard(req, 'view');
        if ('principal' in allowed) return this.openStream(res, 'all');
        // Complaint pages follow the stream too; their events name only ids, states and OPDs.
        if (allowed.status === 403 && this.sources.auth.guard(req, 'complaints.handle').ok) return this.openStream(res, 'complaints');
        return res.writeHead(allowed.status, { 'Content-Type': 'application/json', ...allowed.headers }).end(allowed.body);
      }
      this.route(req, new URL(req.url ?? '/', 'http://central'))
        .then(({ status, type, body, headers }) => res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', ...headers }).end(body))
        .catch((err: unknown) => {
          if (err instanceof BodyError) return res.writeHead(err.status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: err.message }));
          this.log.error({ url: req.url, err: (err as Error).message }, 'HTTP request failed');
          res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'internal error' }));
        });
    };
    // Alerts go to the wall at once, not coalesced like state changes: an operator must hear them.
    if (this.sources.alerts) {
      this.unforward = forwardAlertEvents(this.sources.alerts, (event, alert) => {
        this.broadcast(event, alert);
      });
    }
    // Bodies are ids and counts only (the stream reaches anonymous walls); datasets arrive coalesced.
    const bridgeEvents = this.sources.bridges?.events;
    if (bridgeEvents) {
      this.unforwardBridges = forwardBridgeEvents(bridgeEvents, (event, body) => {
        this.broadcast(event, body);
      });
    }
    const tls = this.options.tls;
    const server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, handler) : createServer(handler);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    this.pinger = setInterval(() => {
      this.broadcast('ping', { at: new Date().toISOString() });
    }, PING_MS);
    this.pinger.unref();
    const port = (server.address() as { port: number }).port;
    this.log.info({ host: this.options.host, port, https: tls !== undefined }, 'HTTP API listening');
    return port;
  }

  /** One server-sent event to every open stream. */
  private broadcast(event: string, body: unknown): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(body)}\n\n`;
    for (const [res, scope] of this.streams) if (scope === 'all' || COMPLAINT_STREAM_EVENTS.has(event)) res.write(frame);
  }

  private openStream(res: ServerResponse, scope: 'all' | 'complaints'): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write(': connected\n\n');
    this.streams.set(res, scope);
    res.on('close', () => this.streams.delete(res));
  }

  private async route(req: IncomingMessage, url: URL): Promise<Reply> {
    const method = req.method ?? 'GET';
    const enrollment = this.sources.enrollment;
    if (url.pathname === '/api/enroll' && method === 'POST' && enrollment) {
      const reply = await enrollment.enroll(await readJson(req), req.headers.host, req.socket.remoteAddress ?? '?');
      return json(reply.status, reply.body);
    }
    const auth = this.sources.auth;
    if (url.pathname === '/api/auth/login' && method === 'POST') return authReply(await auth.login(await readJson(req), req.socket.remoteAddress ?? '?'));
    // POST only, so a link on another page cannot log an operator out.
    if (url.pathname === '/api/auth/logout' && method === 'POST') return authReply(auth.logout(req));
    if (url.pathname === '/api/auth/me' && method === 'GET') return authReply(auth.me(req));
    if (url.pathname === '/api/openapi.json' && method === 'GET') return json(200, openApiDocument());
    if (url.pathname === '/api/enroll/ca') {
      const pem = enrollment?.caPem();
      return pem ? { status: 200, type: 'application/x-pem-file', body: pem } : json(404, { error: 'this central runs without TLS: there is no CA to pin' });
    }
    const admin = this.sources.admin;
    const needs = adminPermission(method, url.pathname);
    if (needs && admin) {
      const allowed = this.guard(req, needs);
      if (!('principal' in allowed)) return allowed;
      const scheme = this.options.tls ? 'https' : 'http';
      const reply = await adminRoute(
        { ...admin, registry: this.sources.registry, live: this.sources.live },
        {
          method,
          url,
          json: () => readJson(req),
          text: () => readBody(req, /^text\/(csv|plain)\b/i, 'text/csv', MAX_CSV_BYTES),
          origin: `${scheme}://${req.headers.host ?? `127.0.0.1:${this.options.port}`}`,
          caFingerprint: admin.caFingerprint,
        },
      );
      if (reply) return json(reply.status, reply.body);
    }
    const alerts = this.sources.alerts;
    const alertNeeds = alertsPermission(method, url.pathname);
    if (alertNeeds && alerts) {
      const allowed = this.guard(req, alertNeeds);
      if (!('principal' in allowed)) return allowed;
      const acting = allowed.principal === ANONYMOUS_VIEWER ? undefined : allowed.principal.username;
      const reply = await alertsRoute(alerts, { method, url, user: acting, json: () => readJson(req) });
      if (reply) return json(reply.status, reply.body);
    }
    const reports = this.sources.reports;
    const reportNeeds = reportsPermission(method, url.pathname);
    if (reportNeeds && reports) {
      const allowed = this.guard(req, reportNeeds);
      if (!('principal' in allowed)) return allowed;
      const reply = await reportsRoute(reports, { method, url });
      if (reply) return reply.type === undefined ? json(reply.status, reply.body) : { status: reply.status, type: reply.type, body: reply.body, ...(reply.headers && { headers: reply.headers }) };
    }
    const bridges = this.sources.bridges;
    const bridgeNeeds = bridgesPermission(method, url.pathname);
    if (bridgeNeeds && bridges) {
      let actor: Actor | undefined;
      // A dataset push carries the dataset's own token, not a user's: the route checks it.
      if (bridgeNeeds !== 'dataset-token') {
        const allowed = this.guard(req, bridgeNeeds);
        if (!('principal' in allowed)) return allowed;
        const p = allowed.principal;
        // A user of one OPD carries it into the routes, which show and change only its complaints.
        actor = p === ANONYMOUS_VIEWER ? undefined : { username: p.username, opd: p.opd };
      }
      const reply = await bridgesRoute(bridges, {
        method,
        url,
        actor,
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body: (limit) => readBody(req, /^(application\/json|text\/(csv|plain))\b/i, 'application/json or text/csv', limit),
      });
      if (reply) {
        return reply.type === undefined
          ? { ...json(reply.status, reply.body), ...(reply.headers && { headers: reply.headers }) }
          : { status: reply.status, type: reply.type, body: reply.body, ...(reply.headers && { headers: reply.headers }) };
      }
    }
    if (method !== 'GET') return json(405, { error: `${method} not allowed` });
    // The web app itself is public (its login page must load); data needs a login.
    if (url.pathname === '/' || url.pathname === '/index.html') return this.staticFile('index.html');
    if (url.pathname.startsWith('/web/')) return this.staticFile(url.pathname.slice('/web/'.length));
    const viewer = this.guard(req, 'view');
    if (!('principal' in viewer)) return viewer;
    if (url.pathname === '/api/state') {
      const { gateways, recentPunches } = this.sources.live.snapshot();
      const opds = this.sources.registry.opds().map((o) => ({ ...o, punchesToday: this.sources.live.punchesToday(o.code, o.zone) }));
      return json(200, { at: new Date().toISOString(), opds, gateways, recentPunches });
    }
    if (url.pathname === '/api/cameras') {
      const now = Date.now();
      return json(
        200,
        this.snapshots.all().map((s) => ({
          opd: s.opd,
          gateway: s.gateway,
          camera: s.header.camera,
          capturedAt: s.header.capturedAt,
          ageS: Math.round((now - Date.parse(s.header.capturedAt)) / 1000),
          kind: s.header.kind,
          width: s.header.width,
          height: s.header.height,
          bytes: s.header.bytes,
          url: `/api/cameras/${s.gateway}/${s.header.camera}/latest.jpg`,
        })),
      );
    }
    const m = /^\/api\/cameras\/([a-z0-9_-]{1,64})\/([A-Za-z0-9_.-]{1,64})\/latest\.jpg$/.exec(url.pathname);
    if (m) {
      const s = this.snapshots.latest(m[1]!, m[2]!);
      if (!s) return json(404, { error: `no frame yet from camera ${m[2]} of gateway ${m[1]}` });
      return { status: 200, type: 'image/jpeg', body: await readFile(s.path), headers: { 'X-Captured-At': s.header.capturedAt } };
    }
    return json(404, { error: `no route ${url.pathname}` });
  }

  /** The request's principal if it may do `permission`, else the 401/403 reply. */
  private guard(req: IncomingMessage, permission: Permission): { principal: Principal } | Reply {
    const decision = this.sources.auth.guard(req, permission);
    if (decision.ok) return { principal: decision.principal };
    if (permission === 'view' && this.options.anonymousView && decision.response.status === 401) return { principal: ANONYMOUS_VIEWER };
    return authReply(decision.response);
  }

  /**
   * A file of the web app. `name` comes from the URL path as is (still percent-encoded):
   * only plain names are served (letters, digits, "_", "-", "." inside segments, no
   * segment starting with "."), and the resolved path must stay inside the web root.
   */
  private async staticFile(name: string): Promise<Reply> {
    const notFound = { status: 404, type: 'application/json', body: JSON.stringify({ error: `no file /web/${name}` }) };
    const type = STATIC_TYPES[extname(name)];
    if (!type || !/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}(\/[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}){0,4}$/.test(name)) return notFound;
    const root = resolve(this.options.webRoot ?? WEB_ROOT);
    const path = resolve(join(root, name));
    if (!path.startsWith(root + sep)) return notFound;
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) {
      if (name === 'index.html') {
        this.log.warn({ path }, 'the command room web app is not built: run npm run build');
        return { status: 503, type: 'text/plain; charset=utf-8', body: 'The command room web app is not built: run npm run build.\n' };
      }
      return notFound;
    }
    return { status: 200, type, body: await readFile(path), headers: STATIC_HEADERS };
  }

  async stop(): Promise<void> {
    this.unforward?.();
    this.unforwardBridges?.();
    clearTimeout(this.pending);
    clearInterval(this.pinger);
    for (const res of this.streams.keys()) res.end();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
