import mqtt, { type MqttClient } from 'mqtt';
import type { IPoint } from 'influx';
import { Ack, EventsBatch, type PunchRecord } from '../../protocols/mqtt/payloads.js';
import { recordToPoint } from '../../central/points.js';
import { DATABASE, TOPIC_ROOT, opdOf, zoneOf } from './services.js';

/**
 * Load that behaves like gateways without their outbox and terminals: pre-shaped
 * `events` batches published straight from mqtt.js clients, one batch in flight per
 * gateway (publish, wait for the central's ack, publish the next). Payloads come from
 * a template (a zod-validated record with marker values) so making one costs a few
 * string concatenations, not a JSON.stringify, and the load generator takes little of
 * the two cores it shares with what it measures.
 */

const ZONE_OFFSET_H: Record<string, number> = { 'Asia/Jakarta': 7, 'Asia/Makassar': 8, 'Asia/Jayapura': 9 };
/** Records per second of punch time: keeps nanosecond keys of one series apart. */
const RECORDS_PER_SECOND = 100;

interface Template {
  pieces: string[];
  order: number[];
}

/** Splits `text` at each marker; `fill` puts values back in marker order. */
function compile(text: string, markers: string[]): Template {
  const found: { at: number; marker: number }[] = [];
  markers.forEach((m, i) => {
    const at = text.indexOf(m);
    if (at < 0 || text.indexOf(m, at + 1) >= 0) throw new Error(`template marker ${m} must occur once`);
    found.push({ at, marker: i });
  });
  found.sort((a, b) => a.at - b.at);
  const pieces: string[] = [];
  let from = 0;
  for (const f of found) {
    pieces.push(text.slice(from, f.at));
    from = f.at + markers[f.marker]!.length;
  }
  pieces.push(text.slice(from));
  return { pieces, order: found.map((f) => f.marker) };
}

function fill(t: Template, values: (string | number)[]): string {
  let out = t.pieces[0]!;
  for (let i = 0; i < t.order.length; i++) out += String(values[t.order[i]!]) + t.pieces[i + 1]!;
  return out;
}

/** InfluxDB line protocol as the `influx` client writes it: sorted tags and fields, strings quoted. */
export function toLine(p: IPoint): string {
  const esc = (s: string) => s.replace(/([,= ])/g, '\\$1');
  const tags = Object.entries(p.tags ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  const fields = Object.entries(p.fields ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  const value = (v: unknown) => (typeof v === 'string' ? `"${v.replace(/(["\\])/g, '\\$1')}"` : String(v));
  return `${esc(p.measurement!)}${tags.map(([k, v]) => `,${esc(k)}=${esc(String(v))}`).join('')} ${fields.map(([k, v]) => `${esc(k)}=${value(v)}`).join(',')} ${String(p.timestamp)}`;
}

const M = { employee: 'XEMPX', time: '2000-01-01T00:00:00Z', deviceTime: '2000-01-01T00:00:01', receivedAt: '2000-01-01T00:00:02Z', seq: 987654321 };

/** Punch records of one load gateway: unique employee per record, 100 per punch second. */
export class RecordFactory {
  readonly gateway: string;
  readonly terminal: string;
  readonly opd: string;
  private readonly zone: string;
  private readonly offsetMs: number;
  private readonly json: Template;
  private readonly line: Template;
  private made = 0;
  private second = -1;
  private iso = '';
  private naive = '';

  constructor(
    readonly index: number,
    private readonly baseSecond: number,
    prefix = 'gw-b',
  ) {
    this.gateway = `${prefix}${String(index).padStart(3, '0')}`;
    this.terminal = `t${index}`;
    this.opd = opdOf(index);
    this.zone = zoneOf(index);
    this.offsetMs = ZONE_OFFSET_H[this.zone]! * 3_600_000;
    const sample: PunchRecord = { seq: M.seq, kind: 'punch', terminal: this.terminal, employee: M.employee, time: M.time, deviceTime: M.deviceTime, zone: this.zone, skewMs: null, status: '0', verify: '1', receivedAt: M.receivedAt };
    this.json = compile(JSON.stringify(sample), [String(M.seq), M.employee, M.time, M.deviceTime, M.receivedAt]);
    const point = recordToPoint(sample, { opd: this.opd, gateway: this.gateway });
    this.line = compile(toLine({ ...point, timestamp: 'XTSX' }), [String(M.seq), M.employee, M.deviceTime, M.receivedAt, 'XTSX']);
  }

  get count(): number {
    return this.made;
  }

  private advance(): void {
    const second = this.baseSecond + Math.floor(this.made / RECORDS_PER_SECOND);
    if (second !== this.second) {
      this.second = second;
      this.iso = new Date(second * 1000).toISOString().replace('.000Z', 'Z');
      this.naive = new Date(second * 1000 + this.offsetMs).toISOString().slice(0, 19);
    }
    this.made++;
  }

  /** The JSON of `n` records: seq, employee and times filled into the template. */
  jsonRecords(n: number): { json: string; lastSeq: number } {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      this.advance();
      out.push(fill(this.json, [this.made, `E${this.made}`, this.iso, this.naive, this.iso]));
    }
    return { json: out.join(','), lastSeq: this.made };
  }

  /**
   * The same points as the central would write, as line protocol. The nanosecond offset
   * is random within the record's own 10 ms slot of its second: a purely random one let
   * two of a run's 12 million points meet on one key and overwrite each other.
   */
  lines(n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) {
      this.advance();
      const slot = BigInt((this.made - 1) % RECORDS_PER_SECOND) * 10_000_000n;
      const ns = BigInt(this.second) * 1_000_000_000n + slot + BigInt(1 + Math.floor(Math.random() * 9_999_999));
      out += fill(this.line, [this.made, `E${this.made}`, this.naive, this.iso, ns.toString()]) + '\n';
    }
    return out;
  }
}

/** One load gateway's MQTT session: publishes a batch, waits for the ack covering it. */
export class LoadGateway {
  private client: MqttClient | undefined;
  private ackedSeq = 0;
  private waiting: { seq: number; resolve: () => void } | undefined;
  private validated = false;
  readonly batchMs: number[] = [];
  resends = 0;

  constructor(
    readonly factory: RecordFactory,
    private readonly url: string,
  ) {}

  private get topic(): (kind: string) => string {
    return (kind) => `${TOPIC_ROOT}/${this.factory.gateway}/${kind}`;
  }

  async connect(): Promise<void> {
    const client = mqtt.connect(this.url, { clientId: `bench-${this.factory.gateway}-${process.pid}`, clean: true, reconnectPeriod: 1000 });
    this.client = client;
    client.on('error', () => undefined);
    client.on('message', (topic, payload) => {
      let ack: Ack;
      try {
        ack = Ack.parse(JSON.parse(payload.toString()));
      } catch {
        return console.error(`bench: ${topic}: an ack that breaks the contract: ${payload.toString().slice(0, 200)}`);
      }
      this.ackedSeq = Math.max(this.ackedSeq, ack.seq);
      const w = this.waiting;
      if (w && (ack.seq >= w.seq || (ack.ranges ?? []).some(([a, b]) => w.seq >= a && w.seq <= b))) {
        this.waiting = undefined;
        w.resolve();
      }
    });
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    await client.subscribeAsync(this.topic('ack'), { qos: 1 });
  }

  /**
   * Publishes one batch of `size` records and resolves when it is acked. Like a
   * gateway it resends a batch not acked within `ackTimeoutMs` (harmless: the same
   * records map to the same points); it gives up after `tries`.
   */
  async sendBatch(size: number, ackTimeoutMs = 10_000, tries = 6): Promise<void> {
    const { json, lastSeq } = this.factory.jsonRecords(size);
    const payload = `{"v":1,"ackedSeq":${this.ackedSeq},"records":[${json}]}`;
    if (!this.validated) {
      EventsBatch.parse(JSON.parse(payload)); // the template is checked once against the contract
      this.validated = true;
    }
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      let timer: NodeJS.Timeout | undefined;
      const acked = await new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ackTimeoutMs);
        this.waiting = { seq: lastSeq, resolve: () => resolve(true) };
        this.client!.publish(this.topic('events'), payload, { qos: 1 });
      });
      clearTimeout(timer);
      if (acked) break;
      this.resends++;
      if (attempt >= tries) throw new Error(`${this.factory.gateway}: no ack for seq ${lastSeq} after ${tries} tries of ${ackTimeoutMs} ms`);
    }
    this.batchMs.push(performance.now() - started);
  }

  async close(): Promise<void> {
    await this.client?.endAsync().catch(() => undefined);
  }
}

export interface LoadResult {
  eventsPerS: number;
  measured: number;
  sent: number;
  measureS: number;
  batchMs: number[];
  resends: number;
}

/** Runs `gateways` closed-loop publishers: warm-up, then counts acked records for `measureMs`. */
export async function runMqttLoad(url: string, factories: RecordFactory[], batchSize: number, warmupMs: number, measureMs: number): Promise<LoadResult> {
  const gws = factories.map((f) => new LoadGateway(f, url));
  await Promise.all(gws.map((g) => g.connect()));
  const start = performance.now();
  const t0 = start + warmupMs;
  const t1 = t0 + measureMs;
  let measured = 0;
  let sent = 0;
  try {
    await Promise.all(
      gws.map(async (g) => {
        while (performance.now() < t1) {
          await g.sendBatch(batchSize);
          sent += batchSize;
          const now = performance.now();
          if (now >= t0 && now < t1) measured += batchSize;
        }
      }),
    );
  } finally {
    await Promise.all(gws.map((g) => g.close()));
  }
  return { eventsPerS: measured / (measureMs / 1000), measured, sent, measureS: measureMs / 1000, batchMs: gws.flatMap((g) => g.batchMs), resends: gws.reduce((n, g) => n + g.resends, 0) };
}

/** The ceiling: the same points as line protocol, `pointsPerWrite` per POST, `concurrency` writes in flight. */
export async function runLineLoad(influxUrl: string, factories: RecordFactory[], pointsPerWrite: number, chunk: number, concurrency: number, warmupMs: number, measureMs: number): Promise<LoadResult> {
  const url = `${influxUrl}/write?db=${DATABASE}&precision=n`;
  const start = performance.now();
  const t0 = start + warmupMs;
  const t1 = t0 + measureMs;
  let measured = 0;
  let sent = 0;
  let next = 0;
  const batchMs: number[] = [];
  const body = () => {
    let out = '';
    for (let n = 0; n < pointsPerWrite; n += chunk) out += factories[next++ % factories.length]!.lines(Math.min(chunk, pointsPerWrite - n));
    return out;
  };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < t1) {
        const text = body();
        const started = performance.now();
        const res = await fetch(url, { method: 'POST', body: text });
        if (res.status !== 204) throw new Error(`InfluxDB write: HTTP ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
        const now = performance.now();
        batchMs.push(now - started);
        sent += pointsPerWrite;
        if (now >= t0 && now < t1) measured += pointsPerWrite;
      }
    }),
  );
  return { eventsPerS: measured / (measureMs / 1000), measured, sent, measureS: measureMs / 1000, batchMs, resends: 0 };
}
