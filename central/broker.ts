import { Aedes } from 'aedes';
import { createServer, type Server } from 'node:net';
import type { Logger } from 'pino';

/** The embedded MQTT broker (aedes) on a TCP port. Auth and ACL hooks come with the security work. */
export class EmbeddedBroker {
  private aedes: Aedes | undefined;
  private server: Server | undefined;

  constructor(
    private readonly options: { host: string; port: number },
    private readonly log: Logger,
  ) {}

  /** Resolves with the bound port (useful with port 0). */
  async start(): Promise<number> {
    const aedes = await Aedes.createBroker();
    this.aedes = aedes;
    aedes.on('clientError', (client, err) => this.log.debug({ client: client.id, err: err.message }, 'mqtt client error'));
    aedes.on('client', (client) => this.log.debug({ client: client.id }, 'mqtt client connected'));
    const server = createServer(aedes.handle);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : this.options.port;
    this.log.info({ host: this.options.host, port }, 'embedded MQTT broker listening');
    return port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    const aedes = this.aedes;
    this.server = undefined;
    this.aedes = undefined;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
