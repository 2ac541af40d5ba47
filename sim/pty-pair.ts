import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A pair of linked pseudo-terminals made by socat: bytes written to `devicePath`
 * (the terminal's end) come out of `gatewayPath` (what the gateway opens as its
 * serial port), and back. The paths are symlinks socat creates.
 */
export class PtyPair {
  private constructor(
    readonly devicePath: string,
    readonly gatewayPath: string,
    private readonly proc: ChildProcess,
  ) {}

  static async open(devicePath: string, gatewayPath: string, timeoutMs = 5000): Promise<PtyPair> {
    const proc = spawn('socat', [`pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${gatewayPath}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const spawnError = new Promise<never>((_, reject) => proc.once('error', (err) => reject(new Error(`cannot start socat (apt-get install socat): ${err.message}`))));
    spawnError.catch(() => undefined);
    const deadline = Date.now() + timeoutMs;
    while (!(existsSync(devicePath) && existsSync(gatewayPath))) {
      if (proc.exitCode !== null) throw new Error(`socat exited with ${proc.exitCode}: ${stderr.trim()}`);
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`socat did not create ${devicePath} and ${gatewayPath} within ${timeoutMs} ms: ${stderr.trim()}`);
      }
      await Promise.race([sleep(20), spawnError]);
    }
    return new PtyPair(devicePath, gatewayPath, proc);
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  async close(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.proc.kill('SIGTERM');
    await exited;
  }
}
