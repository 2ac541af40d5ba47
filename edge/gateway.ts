import { join } from 'node:path';
import type { Logger } from 'pino';
import { CameraPoller } from './cameras/poller.js';
import { SnapshotBudget } from './cameras/budget.js';
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
import { RELEASE_VERSION } from '../protocols/version.js';
import { PanicService } from './panic/service.js';


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

/** One line per device for a command result. */
function summarize(ids: string[], results: PromiseSettledResult<string>[]): { ok: boolean; message: string } {
  const lines = results.map((r, i) => (r.status === 'fulfilled' ? r.value : `${ids[i]!}: failed: ${(r.reason as Error).message}`));
  return { ok: results.every((r) => r.status === 'fulfilled'), message: lines.join('; ') };
}

/** The office gateway: wires terminals and cameras -> outbox -> publisher, and reports health. */
export class Gateway {
  readonly outbox: Outbox;
  private readonly publisher: Publisher;
  private readonly terminals: TerminalDriver[];
  private healthTimer: NodeJS.Timeout | undefined;
  private admsServer: AdmsServer | undefined;
  private diskBudget: Health['outbox']['budget'] = 'ok';
  private readonly cameras: CameraPoller[];
  private readonly snapshotBudget: SnapshotBudget;
  private readonly startedAtMs = Date.now();
  readonly panic: PanicService;

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
    this.snapshotBudget = new SnapshotBudget(config.snapshots.bandwidthKbps);
    const cameraCtx = {
      record: (r: NewRecord) => void this.record(r),
      publishSnapshot: (camera: string, message: Buffer, kind: 'thumb' | 'full') => {
        // A full frame (on command, at a panic press) is one per camera and asked for: kept even over budget.
        if (this.publisher.publishSnapshot(camera, message, kind === 'full' || this.diskBudget !== 'over', kind)) this.snapshotBudget.recordSent(message.length);
      },
      framesDir: join(config.gateway.dataDir, 'frames'),
      staleAfterSameFrames: config.snapshots.staleAfterSameFrames,
    };
    this.cameras = config.cameras.map((c) => new CameraPoller(c, cameraCtx, this.snapshotBudget, log.child({ camera: c.id })));
    this.publisher = new Publisher(
      config,
      this.outbox,
      {
        version: RELEASE_VERSION,
        configHash,
        startedAt: new Date(this.startedAtMs).toISOString(),
        clockOffsetMs: null,
        terminals: this.terminals.map((t) => ({ id: t.id, driver: t.driver, zone: t.zone })),
        cameras: config.cameras.map((c) => ({ id: c.id })),
      },
      log,
      (command) => this.runCommand(command),
    );
    this.panic = new PanicService(
      config.panic,
      {
        commit: (record) => {
          const seq = this.outbox.append(record);
          if (seq === undefined) throw new Error('the outbox refused the panic record');
          this.publisher.sendUrgent({ ...record, seq });
          return seq;
        },
        grabFull: (camera) => {
          const poller = this.cameras.find((c) => c.id === camera);
          return poller ? poller.grabFull() : Promise.reject(new Error(`no camera "${camera}" on this gateway`));
        },
      },
      log.child({ part: 'panic' }),
    );
  }

  /** Runs a command on the named terminal or camera, or on every one that supports it. */
  private async runCommand(command: Command): Promise<{ ok: boolean; message: string }> {
    if (command.name === 'snapshot-full') {
      const cams = this.cameras.filter((c) => command.camera === undefined || c.id === command.camera);
      if (cams.length === 0) return { ok: false, message: command.camera ? `no camera "${command.camera}" on this gateway` : 'this gateway has no cameras' };
      return summarize(cams.map((c) => c.id), await Promise.allSettled(cams.map((c) => c.grabFull())));
    }
    const method = command.name === 'sync-clock' ? 'syncClock' : 'downloadLogs';
    const targets = this.terminals.filter((t) => command.terminal === undefined || t.id === command.terminal);
    if (command.terminal !== undefined && targets.length === 0) return { ok: false, message: `no terminal "${command.terminal}" on this gateway` };
    const able = targets.filter((t) => t[method] !== undefined);
    if (able.length === 0) return { ok: false, message: `${command.name} is not supported by ${targets.map((t) => `${t.id} (${t.driver})`).join(', ') || 'any terminal'}` };
    return summarize(able.map((t) => t.id), await Promise.allSettled(able.map((t) => t[method]!())));
  }

  private record(record: NewRecord): boolean {
    const seq = this.outbox.append(record);
    if (seq === undefined) return false;
    this.publisher.pump();
    return true;
  }

  async start(): Promise<void> {
    const stats = this.outbox.stats();
    this.log.info({ outboxDepth: stats.depth, lastAckedSeq: stats.lastAckedSeq, terminals: this.terminals.length, cameras: this.cameras.length, panicInputs: this.panic.inputCount }, 'gateway starting');
    this.outbox.pruneSeen();
    this.publisher.start();
    for (const t of this.terminals) t.start();
    for (const c of this.cameras) c.start();
    await this.admsServer?.start();
    await this.panic.start();
    this.healthTimer = setInterval(() => this.reportHealth(), this.config.health.intervalS * 1000);
  }

  private reportHealth(): void {
    const stats = this.outbox.stats();
    const budgetBytes = Math.round(this.config.gateway.outboxBudgetMB * 1024 * 1024);
    const budget: Health['outbox']['budget'] = stats.bytes > budgetBytes ? 'over' : stats.bytes > 0.8 * budgetBytes ? 'near' : 'ok';
    if (budget !== this.diskBudget) {
      const log = budget === 'ok' ? this.log.info.bind(this.log) : this.log.warn.bind(this.log);
      log({ bytes: stats.bytes, budgetBytes }, budget === 'over' ? 'outbox over its disk budget: dropping health reports, keeping every punch' : budget === 'near' ? 'outbox above 80 % of its disk budget' : 'outbox back within its disk budget');
      this.diskBudget = budget;
    }
    const { bytes, depth, oldestAgeS, lastAckedSeq } = stats;
    const outbox = { depth, oldestAgeS, lastAckedSeq, bytes, budgetBytes, budget, droppedHealth: this.publisher.droppedHealth };
    const health = collectHealth(this.config.gateway.dataDir, outbox, this.startedAtMs);
    if (this.cameras.length > 0) {
      const b = this.snapshotBudget;
      health.snapshots = { budgetKbps: b.budgetKbps, sentKbps: Math.round(b.sentKbps() * 10) / 10, stretch: Math.round(b.stretch() * 100) / 100, quality: b.quality(65), dropped: b.dropped + this.publisher.droppedSnapshots };
      health.cameras = this.cameras.map((c) => ({ id: c.id, state: c.state, latencyMs: c.latencyMs, thumbBytes: c.thumbBytes, source: c.source }));
    }
    this.publisher.publishHealth(health, budget !== 'over');
  }

  async stop(): Promise<void> {
    clearInterval(this.healthTimer);
    await this.admsServer?.stop();
    await Promise.all([this.panic.stop(), ...[...this.terminals, ...this.cameras].map((d) => d.stop())]);
    await this.publisher.stop();
    this.outbox.close();
  }
}
