import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { EnrollRequest, type EnrollResponse } from '../protocols/enroll.js';
import { GATEWAY_ID_PATTERN } from '../protocols/mqtt/topics.js';
import { generatePassword, hashPassword, mosquittoHash } from './credentials.js';
import type { Registry } from './registry.js';

export interface EnrollOptions {
  topicRoot: string;
  /** Broker address for enrolled gateways; undefined: the host the box reached us at. */
  mqttUrl: string | undefined;
  brokerPort: number;
  /** Set when the broker listens with TLS: gateways are sent there, with the CA. */
  tls: { port: number; caPem: string } | undefined;
  tokenTtlH: number;
}

export interface EnrollReply {
  status: number;
  body: EnrollResponse | { error: string };
}

/** Failures per address before enrollment answers 429 for a while. */
const MAX_FAILURES = 10;
const FAILURE_WINDOW_MS = 15 * 60_000;

export function tokenHash(token: string): string {
  // Tokens carry 192 random bits, so a fast hash is enough: no dictionary to guard against.
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Enrollment of a new gateway box: an admin makes a single-use token for an OPD
 * (optionally naming the gateway id); the box trades it for its id, MQTT password
 * and the CA to pin. Only hashes of tokens and passwords are stored.
 */
export class Enrollment {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly registry: Registry,
    private readonly options: EnrollOptions,
    private readonly log: Logger,
  ) {}

  createToken(opd: string, gateway: string | undefined, ttlH = this.options.tokenTtlH): { token: string; expiresAt: Date } {
    if (!this.registry.opds().some((o) => o.code === opd)) throw new Error(`OPD "${opd}" is not in the registry; add it to the registry seed first`);
    if (gateway !== undefined) {
      if (!GATEWAY_ID_PATTERN.test(gateway)) throw new Error(`"${gateway}" is not a gateway id (lower-case letters, digits, "_" and "-")`);
      const existing = this.registry.gateway(gateway);
      if (existing && existing.opd !== opd) throw new Error(`gateway ${gateway} belongs to OPD ${existing.opd}, not ${opd}`);
    }
    // Never a leading "-": pasted after --token, the command line would read it as an option.
    let token: string;
    do token = randomBytes(24).toString('base64url');
    while (token.startsWith('-'));
    const expiresAt = new Date(Date.now() + ttlH * 3_600_000);
    this.registry.addEnrollToken(tokenHash(token), opd, gateway ?? null, expiresAt);
    return { token, expiresAt };
  }

  /** POST /api/enroll. `host` is the Host header the box used (for the broker address). */
  async enroll(body: unknown, host: string | undefined, remote: string, now = new Date()): Promise<EnrollReply> {
    const fail = (status: number, error: string): EnrollReply => {
      const f = this.failures.get(remote);
      this.failures.set(remote, f && now.getTime() - f.since < FAILURE_WINDOW_MS ? { count: f.count + 1, since: f.since } : { count: 1, since: now.getTime() });
      this.log.warn({ remote, status }, `enrollment refused: ${error}`);
      return { status, body: { error } };
    };
    const f = this.failures.get(remote);
    if (f && f.count >= MAX_FAILURES && now.getTime() - f.since < FAILURE_WINDOW_MS) {
      return { status: 429, body: { error: 'too many failed enrollments from this address; wait 15 minutes' } };
    }
    const parsed = EnrollRequest.safeParse(body);
    if (!parsed.success) return fail(400, `bad request: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
    const hash = tokenHash(parsed.data.token);
    const token = this.registry.enrollToken(hash);
    if (!token) return fail(401, 'unknown enrollment token');
    if (token.usedAt !== null) return fail(401, `this enrollment token was already used (at ${token.usedAt} by ${token.usedBy}); ask the admin for a new one`);
    if (Date.parse(token.expiresAt) <= now.getTime()) return fail(401, `this enrollment token expired at ${token.expiresAt}; ask the admin for a new one`);

    const gateway = token.gateway ?? parsed.data.gateway ?? `${token.opd}-${randomBytes(3).toString('hex')}`;
    if (token.gateway === null) {
      // A token that names no gateway must not take over an existing one (its box would be locked out).
      if (this.registry.gateway(gateway) !== undefined) return fail(409, `gateway id ${gateway} is taken; choose another with --id, or ask for a token naming it`);
    }
    const password = generatePassword();
    const result = this.registry.enrollGateway(hash, gateway, { scrypt: await hashPassword(password), mosquitto: mosquittoHash(password) }, now);
    if (result !== 'ok') return fail(401, `enrollment token ${result === 'used' ? 'was already used' : result}`);
    const opd = this.registry.opds().find((o) => o.code === token.opd);
    this.log.info({ remote, gateway, opd: token.opd, hostname: parsed.data.hostname }, 'gateway enrolled');
    return {
      status: 200,
      body: {
        gateway,
        opd: token.opd,
        opdName: opd?.name ?? token.opd,
        mqtt: { url: this.brokerUrl(host), username: gateway, password, topicRoot: this.options.topicRoot },
        ca: this.options.tls?.caPem ?? null,
      },
    };
  }

  /** GET /api/enroll/ca: the CA to pin, or undefined when TLS is off. */
  caPem(): string | undefined {
    return this.options.tls?.caPem;
  }

  private brokerUrl(host: string | undefined): string {
    if (this.options.mqttUrl !== undefined) return this.options.mqttUrl;
    const name = hostName(host) ?? '127.0.0.1';
    const shown = isIP(name) === 6 ? `[${name}]` : name;
    return this.options.tls ? `mqtts://${shown}:${this.options.tls.port}` : `mqtt://${shown}:${this.options.brokerPort}`;
  }
}

/** The host part of a Host header ("a.b:8080", "[::1]:8080"), if it is a plausible name. */
function hostName(host: string | undefined): string | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]{1,253}))(?::\d{1,5})?$/.exec(host ?? '');
  return m ? (m[1] ?? m[2]) : undefined;
}
