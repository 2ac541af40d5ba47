import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { BrokerAcl, Principal } from './broker-acl.js';

const ANONYMOUS: Principal = { role: 'anonymous' };
const BAD_USERNAME_OR_PASSWORD = 4; // MQTT 3.1.1 CONNACK return code

/** The embedded MQTT broker (aedes) on a TCP port, with our identities and ACL as its hooks. */
export class EmbeddedBroker {
  private aedes: Aedes | undefined;
  private server: Server | undefined;
  private readonly principals = new WeakMap<Client, Principal>();

  constructor(
    private readonly options: { host: string; port: number },
    private readonly acl: BrokerAcl,
    private readonly log: Logger,
  ) {}

  /** Resolves with the bound port (useful with port 0). */
  async start(): Promise<number> {
    const acl = this.acl;
    const aedes = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        const remote = (client.conn as Socket).remoteAddress ?? '?';
        acl.authenticate(username, password, remote).then(
          (result) => {
            if (typeof result === 'string') {
              done(Object.assign(new Error(result), { returnCode: BAD_USERNAME_OR_PASSWORD }) as AuthenticateError, false);
            } else {
              this.principals.set(client, result);
              done(null, true);
            }
          },
          (err: unknown) => done(Object.assign(err as Error, { returnCode: 3 }) as AuthenticateError, false),
        );
      },
      authorizePublish: (client, packet, callback) => {
        // The broker's own messages (no client) and $SYS stay as aedes has them.
        if (!client) return callback(null);
        if (packet.topic.startsWith('$SYS')) return callback(new Error('$SYS topics are reserved'));
        const principal = this.principals.get(client) ?? ANONYMOUS;
        const reason = acl.checkPublish(principal, packet.topic, packet.payload.length);
        if (reason) {
          acl.refusedPublish(principal, packet.topic, reason);
          return callback(new Error(reason));
        }
        callback(null);
      },
      authorizeSubscribe: (client, subscription, callback) => {
        const reason = acl.checkSubscribe(this.principals.get(client) ?? ANONYMOUS, subscription.topic);
        if (reason) {
          this.log.warn({ client: client.id, topic: subscription.topic }, `MQTT subscription refused: ${reason}`);
          return callback(null, null); // SUBACK 0x80 for this filter; the client stays connected
        }
        callback(null, subscription);
      },
    });
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
