import type { Logger } from 'pino';
import type { Command, Health } from '../protocols/mqtt/payloads.js';
import type { GatewayConfig, TerminalConfig } from './config.js';
import { Outbox, type NewRecord } from './outbox.js';
import { Publisher } from './publisher.js';
import { collectHealth } from './health.js';
import { LineSerialTerminal } from './terminals/line-serial.js';
import { ZkTerminal } from './terminals/zk/driver.js';
import { AdmsServer } from './terminals/adms/server.js';
import { AdmsTerminal } from './terminals/adms/driver.js';
import { R30xTerminal } from './terminals/r30x/driver.js';
import type { TerminalContext, TerminalDriver } from './terminals/terminal.js';

export const GATEWAY_VERSION = '0.1.0';

function createTerminal(config: TerminalConfig, ctx: TerminalContext, log: Logger, adms: () => AdmsServer): TerminalDriver {
  switch (config.driver) {
    case 'line-serial':
      return new LineSerialTerminal(config, ctx, log);
    case 'zk':
      return new ZkTerminal(config, ctx, log);
    case 'adms':
      return new AdmsTerminal(config, ctx, log, adms());
    case 'r30x':
      return new R30xTerminal(config, ctx, log);
  }
}

/** The office gateway: wires terminals -> outbox -> publisher, and reports health. */
export class Gateway {
  readonly outbox: Outbox;
  private readonly publisher: Publisher;
  private readonly terminals: TerminalDriver[];
  private healthTimer: NodeJS.Timeout | undefined;
  private admsServer: AdmsServer | undefined;
  private budget: 'ok' | 'near' | 'over' = 'ok';
  private readonly startedAtMs = Date.now();

  constructor(
    private readonly config: GatewayConfig,
    configHash: string,
    private readonly log: Logger,
  ) {
    this.outbox = new Outbox(config.gateway.dataDir);
    const ctx: TerminalContext = {
      record: (r) => this.record(r),
      recordMany: (rs) => {
        const seqs = this.outbox.appendMany(rs);
        if (seqs.length > 0) this.publisher.pump();
        return seqs;
      },
      highestSeq: () => this.outbox.highestSeq(),
      isAcked: (seq) => this.outbox.lastAckedSeq() >= seq,
      getState: (key) => this.outbox.getState(key),
      setState: (key, value) => this.outbox.setState(key, value),
    };
    const adms = () => (this.admsServer ??= new AdmsServer(config.adms, log.child({ part: 'adms' })));
    this.terminals = config.terminals.map((t) => createTerminal(t, ctx, log.child({ terminal: t.id }), adms));
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
      (command) => this.runCommand(command),
    );
  }

  /** Runs a command on the named terminal, or on every terminal that supports it. */
  private async runCommand(command: Command): Promise<{ ok: boolean; message: string }> {
    const method = command.name === 'sync-clock' ? 'syncClock' : 'downloadLogs';
    const targets = this.terminals.filter((t) => command.terminal === undefined || t.id === command.terminal);
    if (command.terminal !== undefined && targets.length === 0) return { ok: false, message: `no terminal "${command.terminal}" on this gateway` };
    const able = targets.filter((t) => t[method] !== undefined);
    if (able.length === 0) return { ok: false, message: `${command.name} is not supported by ${targets.map((t) => `${t.id} (${t.driver})`).join(', ') || 'any terminal'}` };
    const results = await Promise.allSettled(able.map((t) => t[method]!()));
    const lines = results.map((r, i) => (r.status === 'fulfilled' ? r.value : `${able[i]!.id}: failed: ${(r.reason as Error).message}`));
    return { ok: results.every((r) => r.status === 'fulfilled'), message: lines.join('; ') };
  }

  private record(record: NewRecord): boolean {
    const seq = this.outbox.append(record);
    if (seq === undefined) return false;
    this.publisher.pump();
    return true;
  }

  async start(): Promise<void> {
    const stats = this.outbox.stats();
    this.log.info({ outboxDepth: stats.depth, lastAckedSeq: stats.lastAckedSeq, terminals: this.terminals.length }, 'gateway starting');
    this.outbox.pruneSeen();
    this.publisher.start();
    for (const t of this.terminals) t.start();
    await this.admsServer?.start();
    this.healthTimer = setInterval(() => this.reportHealth(), this.config.health.intervalS * 1000);
  }

  private reportHealth(): void {
    const stats = this.outbox.stats();
    const budgetBytes = Math.round(this.config.gateway.outboxBudgetMB * 1024 * 1024);
    const budget: Health['outbox']['budget'] = stats.bytes > budgetBytes ? 'over' : stats.bytes > 0.8 * budgetBytes ? 'near' : 'ok';
    if (budget !== this.budget) {
      const log = budget === 'ok' ? this.log.info.bind(this.log) : this.log.warn.bind(this.log);
      log({ bytes: stats.bytes, budgetBytes }, budget === 'over' ? 'outbox over its disk budget: dropping health reports, keeping every punch' : budget === 'near' ? 'outbox above 80 % of its disk budget' : 'outbox back within its disk budget');
      this.budget = budget;
    }
    const { bytes, depth, oldestAgeS, lastAckedSeq } = stats;
    const outbox = { depth, oldestAgeS, lastAckedSeq, bytes, budgetBytes, budget, droppedHealth: this.publisher.droppedHealth };
    this.publisher.publishHealth(collectHealth(this.config.gateway.dataDir, outbox, this.startedAtMs), budget !== 'over');
  }

  async stop(): Promise<void> {
    clearInterval(this.healthTimer);
    await this.admsServer?.stop();
    await Promise.all(this.terminals.map((t) => t.stop()));
    await this.publisher.stop();
    this.outbox.close();
  }
}
