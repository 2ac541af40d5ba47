import type { Logger } from 'pino';
import { GATEWAY_ID_PATTERN, Topics } from '../protocols/mqtt/topics.js';
import { MAX_JSON_PAYLOAD_BYTES } from '../protocols/mqtt/decode.js';
import { MAX_SNAPSHOT_BYTES } from '../protocols/snapshot/frame.js';
import { CENTRAL_USERNAME, verifyPassword } from './credentials.js';

export type Principal = { role: 'central' } | { role: 'gateway'; gateway: string } | { role: 'dataset'; slug: string } | { role: 'anonymous' };

/**
 * MQTT user names of dataset publishers (docs/bridges.md): `dataset:{slug}`, or
 * `dataset.{slug}` as on an external Mosquitto (whose password file cannot hold ":" in a
 * name: central/bridges/dataset-mosquitto.ts), so one name works on both; password the push token.
 */
const DATASET_USER = /^dataset[:.]([a-z0-9][a-z0-9_-]{0,47})$/;

export interface AclOptions {
  /** 'required': only known identities; 'off': anyone (a warning is logged at start). */
  auth: 'required' | 'off';
  topicRoot: string;
  centralPassword: string;
  /** The stored hash of a gateway's password, if it has one. */
  gatewayHash(gateway: string): string | undefined;
  /** Whether `token` is the push token of dataset `slug` (central/bridges); absent: no dataset logins. */
  datasetToken?(slug: string, token: string): boolean;
  /** Failed logins per address per minute before refusing without checking. */
  maxFailuresPerMinute?: number;
}

/**
 * Who may connect and what each may do on the embedded broker. A gateway may
 * publish only under its own id and subscribe only to its acks, its commands and
 * the central's state; the central may do anything. Payload sizes are bounded per
 * topic class before anything reaches ingest. All checks are synchronous except the
 * password hash.
 */
export class BrokerAcl {
  private readonly topics: Topics;
  private readonly failures = new Map<string, number[]>();
  refusedPublishes = 0;
  refusedLogins = 0;

  constructor(
    private readonly options: AclOptions,
    private readonly log: Logger,
  ) {
    this.topics = new Topics(options.topicRoot);
  }

  /** Resolves the principal, or a reason the login is refused. */
  async authenticate(username: string | undefined, password: Buffer | undefined, remote: string): Promise<Principal | string> {
    if (this.options.auth === 'off') return username === CENTRAL_USERNAME ? { role: 'central' } : { role: 'anonymous' };
    const now = Date.now();
    const recent = (this.failures.get(remote) ?? []).filter((t) => t > now - 60_000);
    if (recent.length >= (this.options.maxFailuresPerMinute ?? 10)) return this.refuse(remote, username, 'too many failed logins from this address; wait a minute', recent);
    const secret = password?.toString('utf8') ?? '';
    if (username === CENTRAL_USERNAME && secret === this.options.centralPassword) return { role: 'central' };
    if (username !== undefined && GATEWAY_ID_PATTERN.test(username)) {
      const hash = this.options.gatewayHash(username);
      if (hash !== undefined && (await verifyPassword(secret, hash))) return { role: 'gateway', gateway: username };
    }
    const dataset = DATASET_USER.exec(username ?? '');
    if (dataset && this.options.datasetToken?.(dataset[1]!, secret)) return { role: 'dataset', slug: dataset[1]! };
    return this.refuse(remote, username, 'unknown gateway or wrong password', [...recent, now]);
  }

  private refuse(remote: string, username: string | undefined, reason: string, failures: number[]): string {
    this.failures.set(remote, failures);
    this.refusedLogins++;
    this.log.warn({ remote, username }, `MQTT login refused: ${reason}`);
    return reason;
  }

  /** Undefined when allowed, else why not. */
  checkPublish(principal: Principal, topic: string, bytes: number): string | undefined {
    const parsed = this.topics.parse(topic);
    const limit = parsed?.kind === 'snapshot' ? MAX_SNAPSHOT_BYTES : MAX_JSON_PAYLOAD_BYTES;
    if (bytes > limit) return `${bytes} bytes is over the ${limit}-byte limit for ${parsed?.kind ?? 'this topic'}`;
    if (principal.role === 'dataset') {
      const own = `${this.options.topicRoot}/$bridge/datasets/${principal.slug}/rows`;
      return topic === own ? undefined : `dataset ${principal.slug} may publish only to ${own}`;
    }
    if (principal.role !== 'gateway') return undefined;
    if (!parsed || parsed.gateway !== principal.gateway) return `gateway ${principal.gateway} may publish only under ${this.options.topicRoot}/${principal.gateway}/`;
    if (parsed.kind === 'ack' || parsed.kind === 'cmd') return `gateway ${principal.gateway} may not publish ${parsed.kind}`;
    return undefined;
  }

  checkSubscribe(principal: Principal, filter: string): string | undefined {
    // Dataset payloads carry push tokens: a publisher reads nothing.
    if (principal.role === 'dataset') return `dataset ${principal.slug} may only publish its rows`;
    if (principal.role !== 'gateway') return undefined;
    const own = [this.topics.gateway(principal.gateway, 'ack'), this.topics.gateway(principal.gateway, 'cmd'), this.topics.centralState(), this.topics.centralStates()];
    return own.includes(filter) ? undefined : `gateway ${principal.gateway} may subscribe only to its ack, cmd and the central state`;
  }

  /** Counts and logs a refused publish (it never reaches ingest). */
  refusedPublish(principal: Principal, topic: string, reason: string): void {
    this.refusedPublishes++;
    const who = principal.role === 'gateway' ? principal.gateway : principal.role === 'dataset' ? `dataset:${principal.slug}` : principal.role;
    this.log.warn({ principal: who, topic }, `MQTT publish refused: ${reason}`);
  }
}

/**
 * The same identities and rights for an external Mosquitto 2: a password file (the
 * central's own user and every gateway with a password) and an ACL file giving each
 * gateway its own subtree, as the embedded broker's ACL does.
 */
export function mosquittoFiles(topicRoot: string, central: { username: string; hash: string }, gateways: { gateway: string; hash: string }[]): { passwd: string; acl: string } {
  const passwd = [`${central.username}:${central.hash}`, ...gateways.map((g) => `${g.gateway}:${g.hash}`)].join('\n') + '\n';
  const own = (kind: string) => `${topicRoot}/%u/${kind}`;
  const acl = [
    '# Generated by pemda-central mosquitto-files: do not edit, regenerate.',
    // A `topic` line before any `user` line binds only anonymous clients in Mosquitto 2;
    // a `pattern` line binds every user, so gateways see the central's state.
    `# Every client may read the aggregators' state.`,
    `pattern read ${topicRoot}/$central/state/#`,
    '# A gateway (user name = gateway id) publishes only under its own id, reads only its ack and cmd.',
    ...['status', 'events', 'health', 'cmd/result', 'snapshot/+'].map((k) => `pattern write ${own(k)}`),
    ...['ack', 'cmd'].map((k) => `pattern read ${own(k)}`),
    '',
    `user ${central.username}`,
    'topic readwrite #',
    '',
  ].join('\n');
  return { passwd, acl };
}
