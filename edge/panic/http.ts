import { readBody } from '../http-body.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { Logger } from 'pino';
import type { PanicHttpConfig } from './config.js';

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

  /** Compares digests of equal length in constant time, against every token. */
  private authorized(header: string | undefined): boolean {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!m) return false;
    const given = digest(m[1]!);
    let ok = false;
    for (const t of this.tokens) ok = timingSafeEqual(given, t) || ok;
    return ok;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/panic') return reply(404, { error: 'not found: the panic endpoint is POST /panic' });
    if (req.method !== 'POST') return reply(405, { error: 'use POST' }, { Allow: 'POST' });
    if (!this.authorized(req.headers.authorization)) {
      this.log.warn({ input: this.config.id, remote: req.socket.remoteAddress }, 'panic request with a missing or unknown token refused');
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
