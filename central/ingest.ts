import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { CentralState, EventsBatch, GatewayStatus, Health, Ack } from '../protocols/mqtt/payloads.js';
import { decodeJson, encodeJson, PayloadError } from '../protocols/mqtt/decode.js';
import { Topics } from '../protocols/mqtt/topics.js';
import type { InfluxWriter } from './influx-writer.js';
import { healthToPoint, recordToPoint } from './points.js';
import type { Registry } from './registry.js';
import type { SnapshotStore } from './snapshot-store.js';
import type { LiveState } from './live-state.js';
import { decodeSnapshot, MAX_SNAPSHOT_BYTES, SnapshotFrameError } from '../protocols/snapshot/frame.js';

export interface IngestOptions {
  url: string;
  username?: string;
  password?: string;
  topicRoot: string;
  /** CA to trust for mqtts:// (the installation's own, from pemda-central pki). */
  ca?: Buffer;
  /** This aggregator's name when several share the broker. */
  instance?: string;
  /** Shared-subscription group: each message of events/health/snapshots goes to one aggregator of the group. */
  sharedGroup?: string;
  /** Other topics this client takes in, outside the gateway contract (dataset rows of central/bridges). */
  extra?: { filter: string; handle: (topic: string, payload: Buffer) => void };
}

export interface IngestCounters {
  batches: number;
  records: number;
  acks: number;
  rejectedPayloads: number;
  unknownGateways: number;
  snapshots: number;
}

/**
 * The ack for a stored batch. The cumulative part is the highest of what this
 * central already holds, what the gateway says it holds (it may have been acked by
 * another aggregator or before a restart), and any of the batch's ranges that extend
 * it without a hole. Ranges further up (live records that overtook the backlog) are
 * acked selectively; the records in between are simply still on their way.
 */
export function ackFor(batch: EventsBatch, storedSeq: number): { seq: number; ranges: [number, number][] } {
  let seq = Math.max(storedSeq, batch.ackedSeq);
  const ranges: [number, number][] = [];
  for (const { seq: s } of batch.records) {
    const last = ranges[ranges.length - 1];
    if (last && s === last[1] + 1) last[1] = s;
    else ranges.push([s, s]);
  }
  const selective: [number, number][] = [];
  for (const [from, to] of ranges) {
    if (from <= seq + 1) seq = Math.max(seq, to);
    else selective.push([from, to]);
  }
  // More ranges than an ack carries: the rest are resent and acked next time.
  return { seq, ranges: selective.slice(0, 100) };
}

/**
 * Subscribes to every gateway's events, status and health, validates each payload,
 * writes to InfluxDB and, only once InfluxDB accepted a batch, publishes the
 * cumulative ack. Batches of one gateway are handled strictly in order so its acks
 * never go backwards. It is an ordinary MQTT client, so the same code runs against
 * the embedded broker or an external one.
 */
export class Ingest {
  private client: MqttClient | undefined;
  private readonly topics: Topics;
  /** Per-gateway tail of the processing chain: keeps one gateway's batches in order. */
  private readonly chains = new Map<string, Promise<void>>();
  /** Newest birth session per gateway: a late death of an older session is ignored. */
  private readonly sessions = new Map<string, number>();
  private readonly warnedUnknown = new Set<string>();
  readonly counters: IngestCounters = { batches: 0, records: 0, acks: 0, rejectedPayloads: 0, unknownGateways: 0, snapshots: 0 };

  constructor(
    private readonly options: IngestOptions,
    private readonly registry: Registry,
    private readonly writer: InfluxWriter,
    private readonly snapshots: SnapshotStore,
    private readonly live: LiveState,
    private readonly log: Logger,
  ) {
    this.topics = new Topics(options.topicRoot);
  }

  start(): Promise<void> {
    const stateTopic = this.topics.centralState(this.options.instance);
    // Retained status must reach every aggregator (shared subscriptions get no retained messages).
    const shared = (filter: string) => (this.options.sharedGroup ? `$share/${this.options.sharedGroup}/${filter}` : filter);
    const client = mqtt.connect(this.options.url, {
      clientId: `pemda-central-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      clean: true,
      reconnectPeriod: 1000,
      ...(this.options.username !== undefined && { username: this.options.username }),
      ...(this.options.password !== undefined && { password: this.options.password }),
      ...(this.options.ca !== undefined && { ca: this.options.ca, rejectUnauthorized: true }),
      will: { topic: stateTopic, payload: encodeJson(CentralState, { v: 1, state: 'offline' }), qos: 1, retain: true },
    });
    this.client = client;
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('error', (err) => this.log.warn({ err: err.message }, 'ingest mqtt error'));
    client.on('connect', () => {
      client.subscribe(
        {
          [shared(this.topics.allGateways('events'))]: { qos: 1 },
          [this.topics.allGateways('status')]: { qos: 1 },
          [shared(this.topics.allGateways('health'))]: { qos: 0 },
          [shared(`${this.options.topicRoot}/+/snapshot/+`)]: { qos: 0 },
          ...(this.options.extra && { [shared(this.options.extra.filter)]: { qos: 1 } }),
        },
        (err) => {
          if (err) return this.log.error({ err: err.message }, 'ingest cannot subscribe');
          client.publish(stateTopic, encodeJson(CentralState, { v: 1, state: 'online', at: new Date().toISOString() }), { qos: 1, retain: true });
          this.log.info({ url: this.options.url }, 'ingest subscribed');
        },
      );
    });
    return new Promise((resolve) => client.once('connect', () => resolve()));
  }

  private onMessage(topic: string, payload: Buffer): void {
    const parsed = this.topics.parse(topic);
    if (!parsed) {
      this.options.extra?.handle(topic, payload);
      return;
    }
    const { gateway } = parsed;
    // Chain per gateway: ordering matters for acks and for birth/death.
    const previous = this.chains.get(gateway) ?? Promise.resolve();
    const next = previous.then(() => this.handle(parsed.kind, gateway, topic, payload, parsed.camera)).catch((err: unknown) => {
      if (err instanceof SnapshotFrameError) {
        this.counters.rejectedPayloads++;
        this.log.error({ gateway, topic, bytes: payload.byteLength }, `rejected snapshot: ${err.message}`);
      } else if (err instanceof PayloadError) {
        this.counters.rejectedPayloads++;
        this.log.error({ gateway, topic, field: err.field, bytes: payload.byteLength }, `rejected payload: ${err.message}`);
      } else {
        this.log.error({ gateway, topic, err: (err as Error).message }, 'ingest failed for a message; the gateway will resend');
      }
    });
    this.chains.set(gateway, next);
    void next.then(() => {
      if (this.chains.get(gateway) === next) this.chains.delete(gateway);
    });
  }

  private async handle(kind: string, gateway: string, topic: string, payload: Buffer, camera?: string): Promise<void> {
    switch (kind) {
      case 'snapshot':
        return this.onSnapshot(gateway, camera!, payload);
      case 'events':
        return this.onEvents(gateway, decodeJson(EventsBatch, topic, payload));
      case 'status':
        return this.onStatus(gateway, payload.byteLength === 0 ? undefined : decodeJson(GatewayStatus, topic, payload));
      case 'health':
        return this.onHealth(gateway, decodeJson(Health, topic, payload));
    }
  }

  private opdOf(gateway: string): string | undefined {
    const entry = this.registry.gateway(gateway);
    if (entry) {
      this.warnedUnknown.delete(gateway);
      return entry.opd;
    }
    this.counters.unknownGateways++;
    if (!this.warnedUnknown.has(gateway)) {
      this.warnedUnknown.add(gateway);
      this.log.error({ gateway }, `gateway "${gateway}" is not in the registry: its data is kept at the gateway, not acked, until it is added to an OPD in the registry seed file`);
    }
    return undefined;
  }

  private async onEvents(gateway: string, batch: EventsBatch): Promise<void> {
    const opd = this.opdOf(gateway);
    if (opd === undefined) return;
    const nipOf = (pin: string) => {
      const employee = this.registry.employee(opd, pin);
      return employee === undefined ? undefined : employee.nip;
    };
    // Panics go to the wall first: before InfluxDB (a slow or down database must not
    // hold back an emergency) and before the ack (the alert is committed in SQLite by
    // then, so an acked panic can never be lost). A resend raises nothing new: the
    // alert engine dedupes by the record's eventId.
    for (const r of batch.records) {
      if (r.kind !== 'panic') continue;
      if (!this.live.onPanic(gateway, opd, r)) throw new Error(`panic ${r.eventId} (seq ${r.seq}) not acked: no alert engine is running to raise it; the gateway keeps it and resends`);
    }
    await this.writer.write(batch.records.map((r) => recordToPoint(r, { opd, gateway, nipOf })));
    this.counters.batches++;
    this.counters.records += batch.records.length;
    const { seq, ranges } = ackFor(batch, this.registry.ackedSeq(gateway));
    this.registry.setAckedSeq(gateway, seq);
    await this.publishAck(gateway, seq, ranges);
    this.live.onRecords(gateway, opd, batch.records);
  }

  private async publishAck(gateway: string, seq: number, ranges: [number, number][]): Promise<void> {
    const ack: Ack = { v: 1, seq, ...(ranges.length > 0 && { ranges }) };
    await this.client!.publishAsync(this.topics.gateway(gateway, 'ack'), encodeJson(Ack, ack), { qos: 1 });
    this.counters.acks++;
  }

  private async onStatus(gateway: string, status: GatewayStatus | undefined): Promise<void> {
    if (!status) return; // a cleared retained message
    const current = this.sessions.get(gateway);
    if (status.state === 'offline' && current !== undefined && status.bdSeq < current) {
      this.log.info({ gateway, bdSeq: status.bdSeq, current }, 'late offline of an older session ignored');
      return;
    }
    if (status.state === 'online') this.sessions.set(gateway, status.bdSeq);
    this.log.info({ gateway, state: status.state, bdSeq: status.bdSeq }, `gateway ${status.state}`);
    const opd = this.opdOf(gateway);
    if (opd === undefined) return;
    this.live.onStatus(gateway, opd, status);
    await this.writer.write([
      {
        measurement: 'gateway_status',
        tags: { opd, gateway },
        fields: {
          state: status.state,
          bd_seq: status.bdSeq,
          ...(status.state === 'online' && { version: status.version, config_hash: status.configHash, terminals: status.terminals.length }),
        },
        timestamp: (BigInt(Date.now()) * 1_000_000n).toString(),
      },
    ]);
  }

  private async onSnapshot(gateway: string, camera: string, payload: Buffer): Promise<void> {
    if (payload.byteLength > MAX_SNAPSHOT_BYTES) throw new SnapshotFrameError(`${payload.byteLength} bytes is over the ${MAX_SNAPSHOT_BYTES}-byte limit`, 'byte 0');
    const { header, jpeg } = decodeSnapshot(payload);
    if (header.camera !== camera) throw new SnapshotFrameError(`header names camera ${header.camera}, topic says ${camera}`, 'header');
    const opd = this.opdOf(gateway);
    if (opd === undefined) return;
    const stored = this.snapshots.save(opd, gateway, header, jpeg);
    this.counters.snapshots++;
    this.live.onSnapshot(gateway, opd, header);
    await this.writer.write([
      {
        measurement: 'snapshot',
        tags: { opd, gateway, camera },
        fields: {
          kind: header.kind,
          bytes: header.bytes,
          width: header.width,
          height: header.height,
          sha256: header.sha256,
          source: header.source,
          path: stored.path,
          delay_ms: Math.max(0, Date.parse(stored.receivedAt) - Date.parse(header.capturedAt)),
        },
        timestamp: (BigInt(Date.parse(header.capturedAt)) * 1_000_000n).toString(),
      },
    ]);
  }

  private async onHealth(gateway: string, health: Health): Promise<void> {
    const opd = this.opdOf(gateway);
    if (opd === undefined) return;
    this.live.onHealth(gateway, opd, health);
    await this.writer.write([healthToPoint(health, { opd, gateway })]);
  }

  async stop(): Promise<void> {
    // Let batches in progress finish (and ack) before the client goes.
    await Promise.allSettled([...this.chains.values()]);
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (client.connected) {
      await Promise.race([sleep(2000), client.publishAsync(this.topics.centralState(this.options.instance), encodeJson(CentralState, { v: 1, state: 'offline', at: new Date().toISOString() }), { qos: 1, retain: true })]).catch(() => undefined);
    }
    // A broker that is itself going away must not keep us from exiting.
    await Promise.race([client.endAsync(), sleep(2000)]);
    client.end(true);
  }
}
