import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 that a test controls: it forwards to a target port, and
 * `cut()` drops every connection and refuses new ones until `restore()`, like a
 * pulled office uplink.
 */
/** Sees the bytes of one proxied connection, client to target (up) and back (down). */
export interface ConnectionTap {
  up?(chunk: Buffer): void;
  down?(chunk: Buffer): void;
}

export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private cutNow = false;
  connections = 0;

  constructor(
    private readonly targetPort: number,
    private readonly targetHost = '127.0.0.1',
    /** Called once per accepted connection, e.g. to count or parse its traffic. */
    private readonly tap?: () => ConnectionTap,
  ) {}

  async listen(port = 0): Promise<number> {
    const server = createServer((client) => this.onClient(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return (server.address() as { port: number }).port;
  }

  get port(): number {
    return (this.server?.address() as { port: number } | null)?.port ?? 0;
  }

  private onClient(client: Socket): void {
    if (this.cutNow) return void client.destroy();
    this.connections++;
    const upstream = connect(this.targetPort, this.targetHost);
    const tap = this.tap?.();
    if (tap?.up) client.on('data', (chunk: Buffer) => tap.up!(chunk));
    if (tap?.down) upstream.on('data', (chunk: Buffer) => tap.down!(chunk));
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Drops every connection; new ones are refused until restore(). */
  cut(): void {
    this.cutNow = true;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.cutNow = false;
  }

  async close(): Promise<void> {
    this.cut();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
