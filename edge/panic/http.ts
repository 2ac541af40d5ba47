import { readBody } from '../http-body.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { Logger } from 'pino';
import type { PanicHttpConfig } from './config.js';
import { TokenBucket } from '../token-bucket.js';

const noControl = /^[^\u0000-\u001f\u007f]*$/;

/** Body of POST /panic from a phone app (docs/panic-button.md). */
export const PanicRequest = z
  .strictObject({
    source: z.string().trim().min(1).max(100).regex(noControl, 'no control characters').describe('who is calling: the app\'s user or device name, shown on the wall'),
    note: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .regex(/^[^\u0000-\u0008\u000b-\u001f\u007f]*$/, 'no control characters besides line breaks')
      .optional()
      .describe('what is happening, in a few words'),
    lat: z.number().min(-90).max(90).optional().describe('WGS 84 latitude of the phone'),
    lon: z.number().min(-180).max(180).optional().describe('WGS 84 longitude of the phone'),
  })
  .refine((b) => (b.lat === undefined) === (b.lon === undefined), { path: ['lon'], message: 'lat and lon go together' });
export type PanicRequest = z.infer<typeof PanicRequest>;

/** What the app gets back once the press is durably in the outbox. */
export interface PanicAccepted {
  id: string;
  seq: number;
  at: string;
  cameras: string[];
}

const MAX_BODY_BYTES = 16 * 1024;
/**
 * Presses per token: 10 at once, then one every 30 s. Enough for anyone pressing again
 * and again in an emergency (each press past the first raises nothing new on the wall
 * anyway), while an app stuck in a loop or a leaked token cannot bury the wall and the
 * police desk's webhook in alarms. The answer says to call by phone.
 */
export const PRESS_BURST = 10;
export const PRESS_REFILL_PER_S = 1 / 30;
/** Refused tokens are logged once per address per minute, with the count since. */
const REFUSAL_LOG_MS = 60_000;

const digest = (token: string): Buffer => createHash('sha256').update(token).digest();

/**
 * The phone-app endpoint: POST /panic with `Authorization: Bearer <token>` and a JSON
 * body. It answers 202 with the event id only after the record is committed to the
 * outbox (SQLite, synchronous=FULL), so an app that got its 202 knows the press
 * survives a power cut of the gateway; anything else means "not stored, call".
 */
export class PanicHttpServer {
  private server: Server | undefined;
  private readonly tokens: Buffer[];
  private readonly buckets = new Map<number, TokenBucket>();
  private readonly refusals = new Map<string, { loggedAt: number; since: number }>();

  constructor(
    private readonly config: PanicHttpConfig,
    private readonly press: (request: PanicRequest) => PanicAccepted,
    private readonly log: Logger,
  ) {
    this.tokens = config.tokens.map(digest);
  }

  /** Listens; resolves with the port (useful when configured as 0). */
  start(): Promise<number> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.log.error({ input: this.config.id, err: (err as Error).message }, 'panic request failed');
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify({ error: 'internal error: call for help by phone' }));
      });
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.port, this.config.host, () => {
        server.off('error', reject);
        const port = (server.address() as AddressInfo).port;
        this.log.info({ input: this.config.id, host: this.config.host, port }, 'panic HTTP endpoint listening');
        resolve(port);
      });
    });
  }

  /**
   * Which token (its index) the header carries, or -1. Compares digests of equal length
   * in constant time, against every token.
   */
  private tokenIndex(header: string | undefined): number {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!m) return -1;
    const given = digest(m[1]!);
    let found = -1;
    this.tokens.forEach((t, i) => {
      if (timingSafeEqual(given, t)) found = i;
    });
    return found;
  }

  private logRefusal(remote: string): void {
    const now = Date.now();
    const seen = this.refusals.get(remote);
    if (seen && now - seen.loggedAt < REFUSAL_LOG_MS) {
      seen.since++;
      return;
    }
    this.log.warn({ input: this.config.id, remote, refusedSinceLastLog: seen?.since ?? 0 }, 'panic request with a missing or unknown token refused');
    this.refusals.set(remote, { loggedAt: now, since: 0 });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/panic') return reply(404, { error: 'not found: the panic endpoint is POST /panic' });
    if (req.method !== 'POST') return reply(405, { error: 'use POST' }, { Allow: 'POST' });
    const token = this.tokenIndex(req.headers.authorization);
    if (token < 0) {
      this.logRefusal(req.socket.remoteAddress ?? 'unknown');
      return reply(401, { error: 'missing or unknown token: send "Authorization: Bearer <token>"' }, { 'WWW-Authenticate': 'Bearer realm="pemda-edge panic"' });
    }
    const type = req.headers['content-type'];
    if (type !== undefined && !/^application\/json\b/i.test(type)) return reply(415, { error: 'send the body as application/json' });
    let text: string;
    try {
      text = await readBody(req, MAX_BODY_BYTES, 'drain');
    } catch (err) {
      return reply(413, { error: (err as Error).message }, { Connection: 'close' });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      return reply(400, { error: `body is not valid JSON: ${(err as Error).message}` });
    }
    const parsed = PanicRequest.safeParse(json);
    if (!parsed.success) return reply(400, { error: z.prettifyError(parsed.error) });
    let bucket = this.buckets.get(token);
    if (!bucket) this.buckets.set(token, (bucket = new TokenBucket(PRESS_REFILL_PER_S, PRESS_BURST)));
    if (bucket.available() < 1) {
      const retryS = Math.ceil(bucket.msUntil(1) / 1000);
      this.log.warn({ input: this.config.id, token, source: parsed.data.source, retryS }, 'panic presses from one app token over the limit: refused');
      return reply(429, { error: `too many alarms from this app in a short time: the earlier ones are on the wall; call for help by phone, or press again in ${retryS} s` }, { 'Retry-After': String(retryS) });
    }
    bucket.take(1);
    let accepted: PanicAccepted;
    try {
      accepted = this.press(parsed.data);
    } catch (err) {
      this.log.error({ input: this.config.id, source: parsed.data.source, err: (err as Error).message }, 'panic from the phone app could NOT be stored');
      return reply(503, { error: 'the gateway could not store the alarm: call for help by phone' });
    }
    reply(202, accepted);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
