import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { PanicRecord } from '../../protocols/mqtt/payloads.js';
import type { ModemLineInputConfig, PanicConfig } from './config.js';
import { PanicHttpServer, type PanicAccepted, type PanicRequest } from './http.js';
import { ModemLineReader, serialModemPort, type ModemPortFactory } from './modem-line.js';
import { SerialLineInput } from './serial-line.js';

export type NewPanicRecord = Omit<PanicRecord, 'seq'>;

/** What the panic inputs get from the gateway. */
export interface PanicContext {
  /** Commits the record to the outbox (durable when this returns) and sends it at once if it can; returns its seq. Throws when it cannot store. */
  commit(record: NewPanicRecord): number;
  /** Grabs a full frame of a camera and sends it on the snapshot path (kind "full"); resolves with a one-line report. */
  grabFull(camera: string): Promise<string>;
}

export interface PanicPress {
  input: string;
  via: PanicRecord['via'];
  cameras: readonly string[];
  atMs: number;
  source?: string | undefined;
  note?: string | undefined;
  lat?: number | undefined;
  lon?: number | undefined;
}

/**
 * The gateway's panic feature: reads every configured input and turns each press into
 * a durable `panic` record (committed before anything else happens), then asks the
 * input's nearest cameras for a full frame, the same grab as the snapshot-full command.
 */
export class PanicService {
  private readonly modemReaders: ModemLineReader[] = [];
  private readonly serialInputs: SerialLineInput[] = [];
  private readonly http: PanicHttpServer | undefined;
  /** The phone-app endpoint's port once listening (config port 0 picks one). */
  httpPort: number | undefined;

  constructor(
    config: PanicConfig,
    private readonly ctx: PanicContext,
    private readonly log: Logger,
    openModemPort: ModemPortFactory = serialModemPort,
  ) {
    const byPort = new Map<string, ModemLineInputConfig[]>();
    for (const input of config.inputs) {
      if (input.kind === 'modem-line') byPort.set(input.port, [...(byPort.get(input.port) ?? []), input]);
      else this.serialInputs.push(new SerialLineInput(input, (i, atMs, line) => this.pressSafely({ input: i.id, via: 'serial-line', cameras: i.cameras, atMs, source: line }), log));
    }
    for (const [port, inputs] of byPort) {
      this.modemReaders.push(new ModemLineReader(port, inputs, (i, atMs) => this.pressSafely({ input: i.id, via: 'modem-line', cameras: i.cameras, atMs }), log, openModemPort));
    }
    const http = config.http;
    if (http) {
      this.http = new PanicHttpServer(http, (req: PanicRequest) => this.press({ input: http.id, via: 'http', cameras: http.cameras, atMs: Date.now(), ...req }), log);
    }
  }

  get inputCount(): number {
    return this.modemReaders.length + this.serialInputs.length + (this.http ? 1 : 0);
  }

  /**
   * Commits one press and starts the frames. Returns what the phone app is told; throws
   * when the outbox cannot store it (the caller says so: nothing was promised).
   */
  press(p: PanicPress): PanicAccepted {
    const at = new Date(p.atMs).toISOString();
    const record: NewPanicRecord = {
      kind: 'panic',
      eventId: randomUUID(),
      input: p.input,
      via: p.via,
      at,
      cameras: [...p.cameras],
      ...(p.source !== undefined && { source: p.source }),
      ...(p.note !== undefined && { note: p.note }),
      ...(p.lat !== undefined && p.lon !== undefined && { lat: p.lat, lon: p.lon }),
    };
    const seq = this.ctx.commit(record);
    this.log.warn({ input: p.input, via: p.via, eventId: record.eventId, seq, source: p.source, cameras: p.cameras }, 'PANIC: press committed to the outbox');
    for (const camera of p.cameras) {
      this.ctx.grabFull(camera).then(
        (report) => this.log.info({ input: p.input, eventId: record.eventId, camera }, `panic frame: ${report}`),
        (err: unknown) => this.log.error({ input: p.input, eventId: record.eventId, camera }, `panic frame failed: ${(err as Error).message}`),
      );
    }
    return { id: record.eventId, seq, at, cameras: [...p.cameras] };
  }

  /** For button and panel inputs: nobody to answer, so a failure to store is logged as loudly as we can. */
  private pressSafely(p: PanicPress): void {
    try {
      this.press(p);
    } catch (err) {
      this.log.fatal({ input: p.input, via: p.via, err: (err as Error).message }, 'PANIC press could NOT be stored in the outbox');
    }
  }

  async start(): Promise<void> {
    for (const r of this.modemReaders) r.start();
    for (const s of this.serialInputs) s.start();
    if (this.http) this.httpPort = await this.http.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.modemReaders.map((r) => r.stop()), ...this.serialInputs.map((s) => s.stop()), this.http?.stop()]);
  }
}
