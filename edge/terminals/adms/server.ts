import { BodyTooLargeError, readBody } from '../../http-body.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { DateTime } from 'luxon';
import { formatAttlogAck, formatHandshakeReply, parseAttlogBody, parseQuery, type AttlogParseResult } from '../../../protocols/adms/index.js';

/** What the server needs from the terminal a serial number belongs to. */
export interface AdmsDevice {
  readonly zone: string;
  /** Commits parsed punches; returns after they are durable in the outbox. */
  onAttlog(result: AttlogParseResult, stamp: string | null): void;
  /** The ATTLOG stamp to hand back in the handshake (where the device resumes). */
  attlogStamp(): string | undefined;
  onContact(remote: string): void;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The gateway as an ADMS ("iclock") push server on the office LAN: terminals
 * configured with the gateway's address upload punches to it. One server serves
 * every ADMS terminal of the gateway; each is known by its serial number, and an
 * unknown serial number is refused and logged.
 */
export class AdmsServer {
  private server: Server | undefined;
  private readonly devices = new Map<string, AdmsDevice>();
  readonly stats = { requests: 0, refused: 0, punches: 0, badLines: 0 };

  constructor(
    private readonly options: { host: string; port: number },
    private readonly log: Logger,
  ) {}

  register(serialNumber: string, device: AdmsDevice): void {
    this.devices.set(serialNumber, device);
  }

  async start(): Promise<number> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : this.options.port;
    this.log.info({ host: this.options.host, port }, 'ADMS push server listening');
    return port;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.stats.requests++;
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    try {
      const url = new URL(req.url ?? '/', 'http://gateway');
      const body = req.method === 'POST' ? await readBody(req, MAX_BODY_BYTES, 'destroy') : '';
      const reply = this.route(req.method ?? 'GET', url, body, remote);
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end(reply);
    } catch (err) {
      const status = err instanceof HttpError ? err.status : err instanceof BodyTooLargeError ? 413 : 500;
      if (status === 403) this.stats.refused++;
      this.log.warn({ remote, method: req.method, url: req.url?.slice(0, 200), status }, `ADMS request refused: ${(err as Error).message}`);
      res.writeHead(status, { 'Content-Type': 'text/plain' }).end(`ERROR: ${(err as Error).message}\n`);
    }
  }

  private route(method: string, url: URL, body: string, remote: string): string {
    if (!url.pathname.startsWith('/iclock/')) throw new HttpError(404, `unknown path ${url.pathname}`);
    const query = parseQuery(url.searchParams);
    if (!query.ok) throw new HttpError(400, query.error.message);
    const { sn, table, stamp, options } = query.value;
    const device = this.devices.get(sn);
    if (!device) throw new HttpError(403, `unknown terminal serial number ${sn}: add it to the gateway config as an adms terminal`);
    device.onContact(remote);
    const path = url.pathname;
    if (path === '/iclock/cdata' && method === 'GET' && options === 'all') {
      const stampValue = device.attlogStamp();
      return formatHandshakeReply({
        sn,
        stamps: { ATTLOG: stampValue ?? 'None', OPERLOG: 'None', ATTPHOTO: 'None' },
        errorDelay: 30,
        delay: 10,
        transTimes: ['00:00', '12:00'],
        transInterval: 1,
        transFlags: ['AttLog'],
        timeZone: DateTime.now().setZone(device.zone).offset / 60,
        realtime: true,
      });
    }
    if (path === '/iclock/cdata' && method === 'POST') {
      if (table !== 'ATTLOG') return 'OK'; // other tables are acknowledged and not used (yet)
      const result = parseAttlogBody(body);
      device.onAttlog(result, stamp);
      this.stats.punches += result.punches.length;
      this.stats.badLines += result.errors.length;
      // Bad lines are acknowledged too: resending cannot repair them, and they are logged.
      return formatAttlogAck(result.punches.length + result.errors.length);
    }
    if (path === '/iclock/getrequest') return 'OK';
    if (path === '/iclock/devicecmd' && method === 'POST') return 'OK';
    throw new HttpError(404, `unsupported ${method} ${path}`);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

