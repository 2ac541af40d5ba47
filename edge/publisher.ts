import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { Ack, Birth, CentralState, Command, CommandResult, Death, EventsBatch, Health } from '../protocols/mqtt/payloads.js';
import { decodeJson, encodeJson, PayloadError } from '../protocols/mqtt/decode.js';
import { Topics } from '../protocols/mqtt/topics.js';
import type { GatewayConfig } from './config.js';
import type { Outbox } from './outbox.js';

export type BirthInfo = Omit<Birth, 'v' | 'state' | 'bdSeq' | 'ackedSeq'>;

/**
 * Moves records from the outbox to the central, one batch at a time: publish a batch
 * (QoS1), wait for the cumulative ack that covers it, delete, send the next. A batch
 * not acked in time, or a reconnect, rewinds to the first unacked record; the central
 * dedupes, so a resend is harmless while a lost record is not.
 */
export class Publisher {
  private client: MqttClient | undefined;
  private readonly topics: Topics;
  private bdSeq = 0;
  /** Last seq of the batch awaiting its ack; undefined when none is in flight. */
  private inFlightUpTo: number | undefined;
  private ackTimer: NodeJS.Timeout | undefined;
  private consecutiveTimeouts = 0;
  /** From the retained `$central/state`: false until the central says it is online. */
  private centralOnline = false;
  lastAckAt: Date | undefined;

  constructor(
    private readonly config: GatewayConfig,
    private readonly outbox: Outbox,
    private readonly birthInfo: BirthInfo,
    private readonly log: Logger,
    private readonly commandHandler: (command: Command) => Promise<{ ok: boolean; message: string }>,
  ) {
    this.topics = new Topics(config.mqtt.topicRoot);
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
      { [this.topics.gateway(this.gw, 'ack')]: { qos: 1 }, [this.topics.centralState()]: { qos: 1 }, [this.topics.gateway(this.gw, 'cmd')]: { qos: 1 } },
      (err) => {
        if (err) this.log.error({ err: err.message }, 'cannot subscribe to acks, commands and central state');
      },
    );
    const birth: Birth = { v: 1, state: 'online', bdSeq: this.bdSeq, ackedSeq: this.outbox.lastAckedSeq(), ...this.birthInfo };
    client.publish(this.topics.gateway(this.gw, 'status'), encodeJson(Birth, birth), { qos: 1, retain: true });
    this.rewind();
  }

  private onClose(): void {
    if (this.inFlightUpTo !== undefined) this.log.info({ inFlightUpTo: this.inFlightUpTo }, 'connection lost with a batch unacked; will resend');
    this.clearInFlight();
    this.centralOnline = false; // re-learned from the retained state after reconnecting
    // The next connection is a new session: its Last Will must carry the new bdSeq,
    // so a late death of this session cannot override the next birth.
    this.bdSeq = this.outbox.nextBdSeq();
    if (this.client) this.client.options.will = this.will();
  }

  private onMessage(topic: string, payload: Buffer): void {
    try {
      if (topic === this.topics.gateway(this.gw, 'ack')) this.onAck(decodeJson(Ack, topic, payload));
      else if (topic === this.topics.centralState()) this.onCentralState(payload.byteLength === 0 ? undefined : decodeJson(CentralState, topic, payload));
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

  private onCentralState(state: CentralState | undefined): void {
    const online = state?.state === 'online';
    if (online === this.centralOnline) return;
    this.centralOnline = online;
    this.log.info({ centralOnline: online }, online ? 'central is online; sending backlog' : 'central is offline; holding records in the outbox');
    if (online) this.rewind();
    else this.clearInFlight();
  }

  private onAck(ack: Ack): void {
    const applied = this.outbox.ack(ack.seq);
    if (applied < ack.seq) this.log.warn({ ack: ack.seq, highestSeq: applied }, 'ack beyond anything this gateway sent; clamped');
    this.lastAckAt = new Date();
    this.consecutiveTimeouts = 0;
    if (this.inFlightUpTo !== undefined) {
      if (ack.seq < this.inFlightUpTo) this.log.warn({ ack: ack.seq, sent: this.inFlightUpTo }, 'central acked less than sent; resending the rest');
      this.clearInFlight();
    }
    this.pump();
  }

  /** Called when the outbox has something new. */
  pump(): void {
    const client = this.client;
    if (!client?.connected || !this.centralOnline || this.inFlightUpTo !== undefined) return;
    const ackedSeq = this.outbox.lastAckedSeq();
    const records = this.outbox.pending(ackedSeq, this.config.mqtt.batchSize);
    if (records.length === 0) return;
    const batch: EventsBatch = { v: 1, ackedSeq, records };
    this.inFlightUpTo = records[records.length - 1]!.seq;
    client.publish(this.topics.gateway(this.gw, 'events'), encodeJson(EventsBatch, batch), { qos: 1 }, (err) => {
      if (err) this.log.warn({ err: err.message }, 'events publish failed; will resend');
    });
    // Back off while the central cannot ack (InfluxDB down, gateway not registered).
    const timeout = this.config.mqtt.ackTimeoutMs * Math.min(6, 2 ** this.consecutiveTimeouts);
    this.ackTimer = setTimeout(() => {
      this.consecutiveTimeouts++;
      this.log.warn({ upTo: this.inFlightUpTo, waitedMs: timeout }, 'no ack from central; resending');
      this.rewind();
    }, timeout);
  }

  private rewind(): void {
    this.clearInFlight();
    this.pump();
  }

  private clearInFlight(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    this.inFlightUpTo = undefined;
  }

  publishHealth(health: Health): void {
    if (!this.client?.connected) return; // latest wins: a missed health report is replaced by the next
    this.client.publish(this.topics.gateway(this.gw, 'health'), encodeJson(Health, health), { qos: 0 });
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async stop(): Promise<void> {
    this.clearInFlight();
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
