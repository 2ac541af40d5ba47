import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { Ack, Birth, CentralState, Command, CommandResult, Death, EventsBatch, Health, type EventRecord } from '../protocols/mqtt/payloads.js';
import { decodeJson, encodeJson, PayloadError } from '../protocols/mqtt/decode.js';
import { Topics } from '../protocols/mqtt/topics.js';
import type { GatewayConfig } from './config.js';
import type { Outbox } from './outbox.js';
import { TokenBucket } from './token-bucket.js';

export type BirthInfo = Omit<Birth, 'v' | 'state' | 'bdSeq' | 'ackedSeq'>;

/**
 * Moves records from the outbox to the central, one batch at a time: publish a batch
 * (QoS1), wait for the cumulative ack that covers it, delete, send the next. A batch
 * not acked in time, or a reconnect, rewinds to the first unacked record; the central
 * dedupes, so a resend is harmless while a lost record is not.
 */
/** The pinned installation CA for mqtts:// (mqtt.ca), read at connect time so a renewed file is used. */
export function brokerTls(m: { ca?: string | undefined }): { ca?: Buffer; rejectUnauthorized?: boolean } {
  return m.ca === undefined ? {} : { ca: readFileSync(m.ca), rejectUnauthorized: true };
}

export class Publisher {
  private client: MqttClient | undefined;
  private readonly topics: Topics;
  private bdSeq = 0;
  /** Sequences of the batch awaiting its ack; undefined when none is in flight. */
  private inFlight: number[] | undefined;
  private refillTimer: NodeJS.Timeout | undefined;
  private readonly backlog: TokenBucket;
  private ackTimer: NodeJS.Timeout | undefined;
  private consecutiveTimeouts = 0;
  /** From the retained `$central/state`: false until the central says it is online. */
  private centralOnline = false;
  private readonly onlineAggregators = new Set<string>();
  lastAckAt: Date | undefined;
  droppedHealth = 0;
  droppedSnapshots = 0;

  constructor(
    private readonly config: GatewayConfig,
    private readonly outbox: Outbox,
    private readonly birthInfo: BirthInfo,
    private readonly log: Logger,
    private readonly commandHandler: (command: Command) => Promise<{ ok: boolean; message: string }>,
  ) {
    this.topics = new Topics(config.mqtt.topicRoot);
    this.backlog = new TokenBucket(config.mqtt.backlogRecordsPerSecond, Math.max(config.mqtt.backlogRecordsPerSecond, config.mqtt.batchSize));
  }

  private get gw(): string {
    return this.config.gateway.id;
  }

  start(): void {
    const { mqtt: m } = this.config;
    this.bdSeq = this.outbox.nextBdSeq();
    const client = mqtt.connect(m.url, {
      clientId: `pemda-gw-${this.gw}`,
      clean: true,
      keepalive: m.keepaliveS,
      reconnectPeriod: m.reconnectMs,
      connectTimeout: 10_000,
      ...(m.username !== undefined && { username: m.username }),
      ...(m.password !== undefined && { password: m.password }),
      ...brokerTls(m),
      will: this.will(),
    });
    this.client = client;
    client.on('connect', () => this.onConnect());
    client.on('close', () => this.onClose());
    client.on('error', (err) => this.log.warn({ err: err.message }, 'mqtt error'));
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  private will() {
    const death: Death = { v: 1, state: 'offline', bdSeq: this.bdSeq };
    return { topic: this.topics.gateway(this.gw, 'status'), payload: encodeJson(Death, death), qos: 1 as const, retain: true };
  }

  private onConnect(): void {
    const client = this.client!;
    this.log.info({ bdSeq: this.bdSeq, url: this.config.mqtt.url }, 'connected to broker');
    // The retained central state arrives right after subscribing: until it says
    // online, records stay in the outbox (nobody would ack them).
    client.subscribe(
      { [this.topics.gateway(this.gw, 'ack')]: { qos: 1 }, [this.topics.centralStates()]: { qos: 1 }, [this.topics.gateway(this.gw, 'cmd')]: { qos: 1 } },
      (err) => {
        if (err) this.log.error({ err: err.message }, 'cannot subscribe to acks, commands and central state');
      },
    );
    const birth: Birth = { v: 1, state: 'online', bdSeq: this.bdSeq, ackedSeq: this.outbox.lastAckedSeq(), ...this.birthInfo };
    client.publish(this.topics.gateway(this.gw, 'status'), encodeJson(Birth, birth), { qos: 1, retain: true });
    this.rewind();
  }

  private onClose(): void {
    if (this.inFlight !== undefined) this.log.info({ records: this.inFlight.length }, 'connection lost with a batch unacked; will resend');
    this.clearInFlight();
    this.centralOnline = false; // re-learned from the retained state after reconnecting
    this.onlineAggregators.clear();
    // The next connection is a new session: its Last Will must carry the new bdSeq,
    // so a late death of this session cannot override the next birth.
    this.bdSeq = this.outbox.nextBdSeq();
    if (this.client) this.client.options.will = this.will();
  }

  private onMessage(topic: string, payload: Buffer): void {
    try {
      if (topic === this.topics.gateway(this.gw, 'ack')) this.onAck(decodeJson(Ack, topic, payload));
      else if (topic.startsWith(this.topics.centralState())) this.onCentralState(topic, payload.byteLength === 0 ? undefined : decodeJson(CentralState, topic, payload));
      else if (topic === this.topics.gateway(this.gw, 'cmd')) void this.onCommand(decodeJson(Command, topic, payload));
    } catch (err) {
      if (err instanceof PayloadError) return void this.log.error({ topic, err: err.message }, 'bad message from central ignored');
      throw err;
    }
  }

  private async onCommand(command: Command): Promise<void> {
    this.log.info({ id: command.id, name: command.name, terminal: command.terminal }, 'command received');
    let result: { ok: boolean; message: string };
    try {
      result = await this.commandHandler(command);
    } catch (err) {
      result = { ok: false, message: (err as Error).message };
    }
    const reply: CommandResult = { v: 1, id: command.id, ...result, message: result.message.slice(0, 4000), at: new Date().toISOString() };
    this.log.info({ id: command.id, ok: reply.ok }, `command result: ${reply.message}`);
    this.client?.publish(this.topics.gateway(this.gw, 'cmd/result'), encodeJson(CommandResult, reply), { qos: 1 });
  }

  /** Online while any aggregator says it is (several may share the broker). */
  private onCentralState(topic: string, state: CentralState | undefined): void {
    if (state?.state === 'online') this.onlineAggregators.add(topic);
    else this.onlineAggregators.delete(topic);
    const online = this.onlineAggregators.size > 0;
    if (online === this.centralOnline) return;
    this.centralOnline = online;
    this.log.info({ centralOnline: online }, online ? 'central is online; sending backlog' : 'central is offline; holding records in the outbox');
    if (online) {
      this.flushLatest();
      this.rewind();
    } else this.clearInFlight();
  }

  private onAck(ack: Ack): void {
    const ranges = ack.ranges ?? [];
    this.outbox.ack(ack.seq, ranges);
    this.lastAckAt = new Date();
    this.consecutiveTimeouts = 0;
    const inFlight = this.inFlight;
    if (inFlight === undefined) return this.pump();
    const covered = (seq: number) => seq <= ack.seq || ranges.some(([from, to]) => seq >= from && seq <= to);
    const done = inFlight.filter(covered).length;
    if (done === 0) return; // a late ack for an earlier batch: keep waiting for ours
    if (done < inFlight.length) this.log.warn({ acked: done, sent: inFlight.length }, 'central acked part of a batch; resending the rest');
    this.clearInFlight();
    this.pump();
  }

  /**
   * Sends the next batch when nothing is in flight. Live records (younger than
   * liveWindowS) go first and are never rate-limited; the backlog fills the rest of
   * the batch at backlogRecordsPerSecond, marked historical, so a long outage's
   * replay never delays this morning's punches.
   */
  pump(): void {
    const client = this.client;
    if (!client?.connected || !this.centralOnline || this.inFlight !== undefined) return;
    clearTimeout(this.refillTimer);
    this.refillTimer = undefined;
    const { batchSize, liveWindowS } = this.config.mqtt;
    const now = Date.now();
    const liveSince = now - liveWindowS * 1000;
    const live = this.outbox.pendingSince(liveSince, batchSize);
    const room = Math.min(batchSize - live.length, this.backlog.available(now));
    const backlog = room > 0 ? this.outbox.pendingBefore(liveSince, room) : [];
    this.backlog.take(backlog.length, now);
    if (live.length + backlog.length === 0) {
      // Backlog waiting for budget: come back when it has refilled.
      if (room <= 0 && this.outbox.pendingBefore(liveSince, 1).length > 0) this.refillTimer = setTimeout(() => this.pump(), this.backlog.msUntil(1, now));
      return;
    }
    const records = [...backlog, ...live]
      .sort((a, b) => a.record.seq - b.record.seq)
      .map(({ record, createdMs }) => (record.kind === 'punch' && createdMs < liveSince ? { ...record, historical: true } : record));
    const batch: EventsBatch = { v: 1, ackedSeq: this.outbox.lastAckedSeq(), records };
    this.inFlight = records.map((r) => r.seq);
    client.publish(this.topics.gateway(this.gw, 'events'), encodeJson(EventsBatch, batch), { qos: 1 }, (err) => {
      if (err) this.log.warn({ err: err.message }, 'events publish failed; will resend');
    });
    // Back off while the central cannot ack (InfluxDB down, gateway not registered).
    const timeout = this.config.mqtt.ackTimeoutMs * Math.min(6, 2 ** this.consecutiveTimeouts);
    this.ackTimer = setTimeout(() => {
      this.consecutiveTimeouts++;
      this.log.warn({ records: this.inFlight?.length, waitedMs: timeout }, 'no ack from central; resending');
      this.rewind();
    }, timeout);
  }

  /**
   * An urgent record (a panic) goes out at once, even while a batch waits for its ack:
   * a backlog batch must not hold an emergency back. It is sent alone, outside the
   * in-flight bookkeeping; its ack deletes it from the outbox like any other (selective
   * ranges), and until then it is still pending, so the next batch may carry it again:
   * the central dedupes.
   */
  sendUrgent(record: EventRecord): void {
    this.pump();
    const client = this.client;
    if (!client?.connected || !this.centralOnline || this.inFlight?.includes(record.seq)) return;
    const batch: EventsBatch = { v: 1, ackedSeq: this.outbox.lastAckedSeq(), records: [record] };
    client.publish(this.topics.gateway(this.gw, 'events'), encodeJson(EventsBatch, batch), { qos: 1 }, (err) => {
      if (err) this.log.warn({ err: err.message, seq: record.seq }, 'urgent publish failed; the next batch carries it');
    });
  }

  private rewind(): void {
    this.clearInFlight();
    this.pump();
  }

  private clearInFlight(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    this.inFlight = undefined;
  }

  /**
   * Health is latest-wins: sent at once when the central can take it, else kept as
   * the one newest report (when the outbox may grow) and sent on return. Every report
   * replaced undelivered, or not kept, is counted.
   */
  publishHealth(health: Health, mayStore: boolean): void {
    const body = encodeJson(Health, health);
    if (this.client?.connected && this.centralOnline) {
      this.client.publish(this.topics.gateway(this.gw, 'health'), body, { qos: 0 });
    } else if (!mayStore || this.outbox.putLatest('health', body.toString())) {
      this.droppedHealth++;
    }
  }

  /**
   * Snapshots are latest-wins too, per camera: published at once when the central
   * can take them, else the newest per camera is kept. Full frames (on command, or at
   * a panic press) are kept apart from thumbnails, so the next thumbnail does not
   * replace the frame of the moment someone pressed the panic button. Returns whether
   * it was sent.
   */
  publishSnapshot(camera: string, message: Buffer, mayStore: boolean, kind: 'thumb' | 'full' = 'thumb'): boolean {
    if (this.client?.connected && this.centralOnline) {
      this.client.publish(this.topics.snapshot(this.gw, camera), message, { qos: 0 });
      return true;
    }
    if (!mayStore || this.outbox.putLatest(`${kind === 'full' ? 'full' : 'snapshot'}:${camera}`, message)) this.droppedSnapshots++;
    return false;
  }

  /** Delivers what latest-wins classes kept while the central was away. */
  private flushLatest(): void {
    for (const { key, body } of this.outbox.takeLatest()) {
      const [klass, camera] = key.split(/:(.*)/s);
      const topic = key === 'health' ? this.topics.gateway(this.gw, 'health') : (klass === 'snapshot' || klass === 'full') && camera ? this.topics.snapshot(this.gw, camera) : undefined;
      if (topic) this.client?.publish(topic, body, { qos: 0 });
    }
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async stop(): Promise<void> {
    this.clearInFlight();
    clearTimeout(this.refillTimer);
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    // A clean stop is still "offline" for the command room: publish the death ourselves.
    if (client.connected) {
      await Promise.race([sleep(2000), client.publishAsync(this.topics.gateway(this.gw, 'status'), encodeJson(Death, { v: 1, state: 'offline', bdSeq: this.bdSeq }), { qos: 1, retain: true })]).catch(() => undefined);
    }
    // A broker that is itself going away must not keep us from exiting.
    await Promise.race([client.endAsync(), sleep(2000)]);
    client.end(true);
  }
}
