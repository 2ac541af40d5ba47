import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The repository root (dist/bench/lib -> ../../..). */
export const ROOT = join(import.meta.dirname, '..', '..', '..');

/**
 * A child process started by a benchmark: its output goes to a log file in the run
 * directory, the last lines are kept to wait on and to show when it fails.
 */
export class Child {
  private recent: string[] = [];
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<number | null>;
  private readonly log: WriteStream;

  private constructor(
    readonly name: string,
    readonly proc: ChildProcess,
    logFile: string,
  ) {
    this.log = createWriteStream(logFile, { flags: 'a' });
    let buffer = '';
    const onData = (chunk: Buffer) => {
      this.log.write(chunk);
      buffer += chunk.toString();
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        this.recent.push(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
      }
      if (this.recent.length > 400) this.recent = this.recent.slice(-200);
      for (const w of this.waiters) w();
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code) => {
        for (const w of this.waiters) w();
        this.log.end();
        resolve(code);
      }),
    );
    proc.once('error', (err) => this.log.write(`spawn failed: ${err.message}\n`));
  }

  static start(name: string, command: string, args: string[], logFile: string, options: SpawnOptions = {}): Child {
    const child = new Child(name, spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options }), logFile);
    cleanups.push(() => child.stop());
    return child;
  }

  /** One of our compiled programs: node [NODE_ARGS] dist/SCRIPT ARGS. */
  static node(name: string, script: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env, nodeArgs: string[] = []): Child {
    return Child.start(name, process.execPath, [...nodeArgs, join(ROOT, 'dist', script), ...args], logFile, { env });
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Waits for an output line containing `text`; fails with the recent output. */
  async waitFor(text: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.recent.some((l) => l.includes(text))) return;
      if (!this.running) throw new Error(`${this.name} exited (${this.proc.exitCode ?? this.proc.signalCode}) before "${text}"\n${this.tail()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: no "${text}" within ${timeoutMs} ms\n${this.tail()}`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, 250));
        this.waiters.add(done);
      });
    }
  }

  tail(n = 12): string {
    return this.recent.slice(-n).join('\n');
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Everything a benchmark started, stopped in reverse order (also on Ctrl-C). */
const cleanups: (() => Promise<void> | void)[] = [];

export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

/** How many cleanups are registered now: `cleanupAll(mark)` undoes only what came after. */
export function cleanupMark(): number {
  return cleanups.length;
}

export async function cleanupAll(mark = 0): Promise<void> {
  while (cleanups.length > mark) {
    const fn = cleanups.pop()!;
    try {
      await fn();
    } catch (err) {
      console.error(`bench: cleanup failed: ${(err as Error).message}`);
    }
  }
}

/** Polls `probe` until `done` accepts its value; returns the last value at the deadline too. */
export async function pollUntil<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() >= deadline) return value;
    await sleep(everyMs);
  }
}

export { sleep };
