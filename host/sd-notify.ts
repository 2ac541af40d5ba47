import { spawn } from 'node:child_process';

/**
 * systemd service notifications (Type=notify) and the service watchdog, for a Node
 * process with no native addon.
 *
 * Protocol: sd_notify(3). The manager puts an AF_UNIX datagram socket in $NOTIFY_SOCKET;
 * the service sends newline-separated VARIABLE=VALUE lines: READY=1 once it serves,
 * STATUS=<one line for `systemctl status`>, WATCHDOG=1 as a keep-alive, STOPPING=1 when
 * it begins to shut down. Node cannot send on a unix datagram socket, so every
 * message is one run of systemd-notify(1) (Debian package `systemd`), which is why
 * the units say NotifyAccess=all: the datagram comes from that child, not from the
 * main PID.
 *
 * systemd-notify 252 (Debian 12), checked against its source and --help:
 * - Without --pid it tries to send with its parent's PID (this process) in the
 *   credentials; that needs CAP_SYS_ADMIN, which the pemda user lacks, so it falls back
 *   to its own PID. --pid would also send MAINPID=, which a Type=notify service whose
 *   main process is node does not need, so it is not used.
 * - Without --no-block it waits (up to 5 s) until the manager has processed the message
 *   (BARRIER=1 with a pipe the manager closes). That wait is what makes the message
 *   count: the manager attributes a datagram to a unit by looking up the sender PID,
 *   and a child that already exited cannot be looked up (systemd-notify(1), "--no-block").
 *   So the default here is to wait; `waitForManager: false` is for receivers that never
 *   answer the barrier (a test socket).
 * - Variables go as positional VARIABLE=VALUE arguments after `--`: STOPPING=1 has no
 *   option of its own before systemd 253, and this way every version reads the same.
 *
 * Watchdog: sd_watchdog_enabled(3). WatchdogSec= makes the manager set WATCHDOG_USEC
 * (and WATCHDOG_PID, the process meant); a process whose PID is not WATCHDOG_PID must
 * not send keep-alives, and the recommended pace is every WATCHDOG_USEC/2.
 */

/** What a liveness check answers; `problem` goes into STATUS= so `systemctl status` shows it. */
export type Liveness = { alive: true } | { alive: false; problem: string };
export type LivenessCheck = () => Liveness | Promise<Liveness>;

/** The part of a pino logger this module uses. */
export interface NotifyLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface SystemdNotifyOptions {
  /** Path of systemd-notify (Debian: /usr/bin/systemd-notify). */
  command?: string;
  /** Wait until the manager has processed each message (see above). Default true. */
  waitForManager?: boolean;
  /**
   * Remove NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from `env` after reading them,
   * like sd_notify(3)'s unset_environment: child programs (ffmpeg) must not inherit
   * them and talk to the manager as if they were the service.
   */
  unsetEnvironment?: boolean;
  /** The PID compared with WATCHDOG_PID; this process by default. */
  pid?: number;
  /** How long a liveness check may take before it counts as failed; default half the keep-alive interval. */
  checkTimeoutMs?: number;
  log?: NotifyLog;
}

export type WatchdogSetting =
  | { enabled: true; timeoutUsec: number; intervalMs: number }
  | { enabled: false; why: string; invalid?: boolean };

const PID_OR_USEC = /^[0-9]+$/;

/** sd_watchdog_enabled(3) semantics for WATCHDOG_USEC and WATCHDOG_PID. */
export function watchdogSetting(env: NodeJS.ProcessEnv, pid: number): WatchdogSetting {
  const usec = env.WATCHDOG_USEC;
  if (usec === undefined || usec === '') return { enabled: false, why: 'WATCHDOG_USEC is not set (no WatchdogSec= in the unit)' };
  const timeoutUsec = PID_OR_USEC.test(usec) ? Number(usec) : NaN;
  if (!Number.isSafeInteger(timeoutUsec) || timeoutUsec <= 0) return { enabled: false, why: `WATCHDOG_USEC=${usec} is not a positive number of microseconds`, invalid: true };
  const watchdogPid = env.WATCHDOG_PID;
  if (watchdogPid !== undefined && watchdogPid !== '') {
    const wanted = PID_OR_USEC.test(watchdogPid) ? Number(watchdogPid) : NaN;
    if (!Number.isSafeInteger(wanted) || wanted <= 0) return { enabled: false, why: `WATCHDOG_PID=${watchdogPid} is not a PID`, invalid: true };
    if (wanted !== pid) return { enabled: false, why: `WATCHDOG_PID=${wanted} is another process (this is ${pid})` };
  }
  return { enabled: true, timeoutUsec, intervalMs: Math.max(1, Math.floor(timeoutUsec / 2000)) };
}

/** A STATUS= value is one line: a newline would start another variable. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').trim().slice(0, 400);
}

const CHILD_TIMEOUT_MS = 10_000; // systemd-notify gives up on the barrier after 5 s
const STOPPING_WAIT_MS = 1_000;

/**
 * Tells systemd how the service is doing. Without NOTIFY_SOCKET (not started by
 * systemd as Type=notify: a terminal, a test, Docker) every method does nothing.
 */
export class SystemdNotifier {
  private readonly command: string;
  private readonly waitForManager: boolean;
  private readonly log: NotifyLog | undefined;
  private readonly checkTimeoutMs: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private tickBusy = false;
  private runningStatus: string | undefined;
  private withheldFor: string | undefined;
  private lastSendError: string | undefined;
  private stoppingSent = false;

  private constructor(
    readonly socket: string | undefined,
    readonly watchdog: WatchdogSetting,
    private readonly env: NodeJS.ProcessEnv,
    options: SystemdNotifyOptions,
  ) {
    this.command = options.command ?? '/usr/bin/systemd-notify';
    this.waitForManager = options.waitForManager ?? true;
    this.log = options.log;
    this.checkTimeoutMs = options.checkTimeoutMs;
  }

  static fromEnvironment(env: NodeJS.ProcessEnv = process.env, options: SystemdNotifyOptions = {}): SystemdNotifier {
    const socket = env.NOTIFY_SOCKET || undefined;
    const watchdog: WatchdogSetting = socket ? watchdogSetting(env, options.pid ?? process.pid) : { enabled: false, why: 'NOTIFY_SOCKET is not set' };
    // What the child gets: our environment without what names this process to the
    // manager; NOTIFY_SOCKET is put back per message.
    const childEnv: NodeJS.ProcessEnv = { ...env };
    for (const name of ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID']) {
      delete childEnv[name];
      if (options.unsetEnvironment) delete env[name];
    }
    const notifier = new SystemdNotifier(socket, watchdog, childEnv, options);
    if (socket && !watchdog.enabled && watchdog.invalid) options.log?.warn({ why: watchdog.why }, 'systemd watchdog settings not understood: sending no keep-alives');
    return notifier;
  }

  /** True when started by systemd with a notification socket. */
  get enabled(): boolean {
    return this.socket !== undefined;
  }

  /** READY=1: the service is up; systemd starts what waits for it and the start job ends. */
  async ready(status?: string): Promise<boolean> {
    if (status !== undefined) this.runningStatus = oneLine(status);
    return this.send(['READY=1', ...(this.runningStatus ? [`STATUS=${this.runningStatus}`] : [])]);
  }

  /** STATUS=...: one line shown by `systemctl status`. */
  async status(text: string): Promise<boolean> {
    this.runningStatus = oneLine(text);
    return this.send([`STATUS=${this.runningStatus}`]);
  }

  /**
   * Sends WATCHDOG=1 every WATCHDOG_USEC/2 while `check` says the process is alive.
   * The timer runs on the event loop, so a blocked loop sends nothing; a check that
   * fails, throws or does not answer in time withholds the keep-alive, and once
   * WatchdogSec passes without one systemd kills and restarts the service (Restart=).
   * Does nothing when the watchdog is not enabled for this process.
   */
  startWatchdog(check: LivenessCheck): void {
    if (!this.enabled || !this.watchdog.enabled || this.timer || this.stoppingSent) return;
    const { intervalMs, timeoutUsec } = this.watchdog;
    this.log?.info({ watchdogS: timeoutUsec / 1e6, keepAliveMs: intervalMs }, 'systemd watchdog on');
    this.timer = setInterval(() => void this.tick(check, intervalMs), intervalMs);
    // The keep-alive must not be what keeps the process running.
    this.timer.unref();
  }

  stopWatchdog(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * STOPPING=1 (and a STATUS), and no more keep-alives. Resolves once the manager has
   * the message or after a second, whichever is first: the shutdown must not wait on it.
   */
  async stopping(status?: string): Promise<void> {
    this.stopWatchdog();
    if (this.stoppingSent) return;
    this.stoppingSent = true;
    const sent = this.send(['STOPPING=1', ...(status !== undefined ? [`STATUS=${oneLine(status)}`] : [])]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([sent, new Promise<void>((resolve) => (timer = setTimeout(resolve, STOPPING_WAIT_MS)))]);
    clearTimeout(timer);
  }

  private async tick(check: LivenessCheck, intervalMs: number): Promise<void> {
    // One keep-alive at a time: if the previous one is still waiting for the manager,
    // the manager is slow and a second child would not help it.
    if (this.tickBusy) return;
    this.tickBusy = true;
    try {
      const liveness = await this.runCheck(check, this.checkTimeoutMs ?? Math.max(1, Math.floor(intervalMs / 2)));
      if (this.stoppingSent) return;
      if (!liveness.alive) {
        if (this.withheldFor !== liveness.problem) {
          this.withheldFor = liveness.problem;
          this.log?.warn({ problem: liveness.problem }, 'liveness check failed: withholding the systemd watchdog keep-alive (systemd restarts the service if this lasts)');
          await this.send([`STATUS=not healthy, watchdog keep-alive withheld: ${oneLine(liveness.problem)}`]);
        }
        return;
      }
      if (this.withheldFor !== undefined) {
        this.log?.info({ problem: this.withheldFor }, 'liveness check passes again: systemd watchdog keep-alives resumed');
        this.withheldFor = undefined;
        await this.send(['WATCHDOG=1', ...(this.runningStatus ? [`STATUS=${this.runningStatus}`] : [])]);
        return;
      }
      await this.send(['WATCHDOG=1']);
    } finally {
      this.tickBusy = false;
    }
  }

  private async runCheck(check: LivenessCheck, timeoutMs: number): Promise<Liveness> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timedOut = new Promise<Liveness>((resolve) => {
        timer = setTimeout(() => resolve({ alive: false, problem: `liveness check did not answer within ${timeoutMs} ms` }), timeoutMs);
      });
      return await Promise.race([Promise.resolve().then(check), timedOut]);
    } catch (err) {
      return { alive: false, problem: `liveness check failed: ${err instanceof Error ? err.message : String(err)}` };
    } finally {
      clearTimeout(timer);
    }
  }

  /** One systemd-notify run; resolves true when it reports success. Never rejects. */
  private send(variables: string[]): Promise<boolean> {
    if (!this.socket) return Promise.resolve(false);
    const args = [...(this.waitForManager ? [] : ['--no-block']), '--', ...variables];
    return new Promise<boolean>((resolve) => {
      let stderr = '';
      let settled = false;
      const child = spawn(this.command, args, { env: { ...this.env, NOTIFY_SOCKET: this.socket }, stdio: ['ignore', 'ignore', 'pipe'] });
      const killer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
      child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-1000)));
      // A child that cannot start reports 'error' and then 'close': answer once.
      const done = (problem: string | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(killer);
        if (problem !== undefined && problem !== this.lastSendError) {
          this.log?.warn({ command: this.command, variables, problem }, 'could not notify systemd');
        }
        this.lastSendError = problem;
        resolve(problem === undefined);
      };
      child.once('error', (err: NodeJS.ErrnoException) =>
        done(err.code === 'ENOENT' ? `${this.command} not found: install the Debian package systemd, or start the program without NOTIFY_SOCKET` : err.message),
      );
      child.once('close', (code, signal) => {
        if (code === 0) done(undefined);
        else if (code !== null) done(`exit ${code}: ${stderr.trim() || 'no message'}`);
        else done(`killed by ${signal ?? 'a signal'}`);
      });
    });
  }
}
