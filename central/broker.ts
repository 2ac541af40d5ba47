import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Logger } from 'pino';
import type { BrokerAcl, Principal } from './broker-acl.js';

const ANONYMOUS: Principal = { role: 'anonymous' };
const BAD_USERNAME_OR_PASSWORD = 4; // MQTT 3.1.1 CONNACK return code (section 3.2.2.3)

export interface BrokerOptions {
  host: string;
  /** Plain MQTT; undefined: no plain listener. */
  port?: number | undefined;
  /** MQTT over TLS with this certificate; the port is tls.port. */
  tls?: { port: number; cert: Buffer; key: Buffer } | undefined;
  maxConnections: number;
  /** Longest keepalive a client may ask for; 0 (no keepalive) is refused too. */
  keepaliveLimitS: number;
}

/** The embedded MQTT broker (aedes) on a TCP port, with our identities and ACL as its hooks. */
export class EmbeddedBroker {
  private aedes: Aedes | undefined;
  private servers: Server[] = [];
  private readonly principals = new WeakMap<Client, Principal>();
  private refusedFull = 0;

  constructor(
    private readonly options: BrokerOptions,
    private readonly acl: BrokerAcl,
    private readonly log: Logger,
  ) {}

  /** Resolves with the bound ports (useful with port 0). */
  async start(): Promise<{ port?: number; tlsPort?: number }> {
    const acl = this.acl;
    const max = this.options.maxConnections;
    const aedes = await Aedes.createBroker({
      keepaliveLimit: this.options.keepaliveLimitS,
      // Checked before authentication, so a flood of connections costs no scrypt work.
      preConnect: (client, _packet, callback) => {
        if (aedes.connectedClients < max) return callback(null, true);
        // One log line per 100 refusals: a flood must not flood the journal too.
        if (this.refusedFull++ % 100 === 0) {
          this.log.warn({ remote: (client.conn as Socket).remoteAddress, max, refused: this.refusedFull }, 'MQTT connection refused: broker.maxConnections reached');
        }
        // aedes closes the connection without a CONNACK; the client retries later.
        callback(new Error('too many connections'), false);
      },
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
    const result: { port?: number; tlsPort?: number } = {};
    if (this.options.port !== undefined) result.port = await this.listen(createServer(aedes.handle), this.options.port, 'mqtt');
    const tls = this.options.tls;
    if (tls) result.tlsPort = await this.listen(createTlsServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, aedes.handle), tls.port, 'mqtts');
    return result;
  }

  private async listen(server: Server, port: number, scheme: string): Promise<number> {
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    const bound = typeof address === 'object' && address ? address.port : port;
    this.log.info({ host: this.options.host, port: bound, scheme }, 'embedded MQTT broker listening');
    return bound;
  }

  async stop(): Promise<void> {
    const servers = this.servers;
    const aedes = this.aedes;
    this.servers = [];
    this.aedes = undefined;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}
