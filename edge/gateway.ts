import type { Logger } from 'pino';
import type { GatewayConfig, TerminalConfig } from './config.js';
import { Outbox, type NewRecord } from './outbox.js';
import { Publisher } from './publisher.js';
import { collectHealth } from './health.js';
import { LineSerialTerminal } from './terminals/line-serial.js';
import type { TerminalContext, TerminalDriver } from './terminals/terminal.js';

export const GATEWAY_VERSION = '0.1.0';

function createTerminal(config: TerminalConfig, ctx: TerminalContext, log: Logger): TerminalDriver {
  switch (config.driver) {
    case 'line-serial':
      return new LineSerialTerminal(config, ctx, log);
  }
}

/** The office gateway: wires terminals -> outbox -> publisher, and reports health. */
export class Gateway {
  readonly outbox: Outbox;
  private readonly publisher: Publisher;
  private readonly terminals: TerminalDriver[];
  private healthTimer: NodeJS.Timeout | undefined;
  private readonly startedAtMs = Date.now();

  constructor(
    private readonly config: GatewayConfig,
    configHash: string,
    private readonly log: Logger,
  ) {
    this.outbox = new Outbox(config.gateway.dataDir);
    const ctx: TerminalContext = { record: (r) => this.record(r) };
    this.terminals = config.terminals.map((t) => createTerminal(t, ctx, log.child({ terminal: t.id })));
    this.publisher = new Publisher(
      config,
      this.outbox,
      {
        version: GATEWAY_VERSION,
        configHash,
        startedAt: new Date(this.startedAtMs).toISOString(),
        clockOffsetMs: null,
        terminals: this.terminals.map((t) => ({ id: t.id, driver: t.driver, zone: t.zone })),
        cameras: [],
      },
      log,
    );
  }

  private record(record: NewRecord): boolean {
    const seq = this.outbox.append(record);
    if (seq === undefined) return false;
    this.publisher.pump();
    return true;
  }

  start(): void {
    const stats = this.outbox.stats();
    this.log.info({ outboxDepth: stats.depth, lastAckedSeq: stats.lastAckedSeq, terminals: this.terminals.length }, 'gateway starting');
    this.outbox.pruneSeen();
    this.publisher.start();
    for (const t of this.terminals) t.start();
    this.healthTimer = setInterval(() => this.reportHealth(), this.config.health.intervalS * 1000);
  }

  private reportHealth(): void {
    this.publisher.publishHealth(collectHealth(this.config.gateway.dataDir, this.outbox.stats(), this.startedAtMs));
  }

  async stop(): Promise<void> {
    clearInterval(this.healthTimer);
    await Promise.all(this.terminals.map((t) => t.stop()));
    await this.publisher.stop();
    this.outbox.close();
  }
}
