import { mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * Ports for the servers tests, the demo and the benchmarks start. Asking the kernel for
 * port 0 and closing it again is not enough: the kernel may hand the same number to the
 * next bind(0) (it did in CI: the broker and the HTTP API of one central got one port),
 * and every outgoing connection takes an ephemeral port too. So ports come from below
 * the kernel's ephemeral range, and each one handed out is claimed by a marker file
 * (O_EXCL, holding our pid) that other processes on the machine respect while this
 * process lives. Test workers are killed rather than exit, so a marker whose process is
 * gone is reclaimed by the next caller.
 */

const MARKERS = join(tmpdir(), 'pemda-ports');
const claimed = new Set<number>();
let cursor: number | undefined;

function portRange(): { low: number; high: number } | undefined {
  let ephemeralLow = 32768;
  let ephemeralHigh = 60999;
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined && Number.isInteger(low) && Number.isInteger(high)) [ephemeralLow, ephemeralHigh] = [low, high];
  } catch {
    // Not Linux: the usual defaults stand.
  }
  if (ephemeralLow - 10_000 >= 2000) return { low: 10_000, high: ephemeralLow - 1 };
  if (65_535 - ephemeralHigh >= 2000) return { low: ephemeralHigh + 1, high: 65_535 };
  return undefined;
}

function releaseAll(): void {
  for (const port of claimed) {
    try {
      unlinkSync(join(MARKERS, String(port)));
    } catch {
      // Already gone.
    }
  }
  claimed.clear();
}

function holderAlive(marker: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(marker, 'utf8'));
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function createMarker(marker: string): boolean {
  try {
    writeFileSync(marker, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    return false;
  }
}

function claim(port: number): boolean {
  const marker = join(MARKERS, String(port));
  if (!createMarker(marker)) {
    if (holderAlive(marker)) return false;
    try {
      unlinkSync(marker);
    } catch {
      // Another process reclaimed it first; the exclusive create below decides.
    }
    if (!createMarker(marker)) return false;
  }
  if (claimed.size === 0) process.once('exit', releaseAll);
  claimed.add(port);
  return true;
}

/** Markers of processes that are gone, so the folder does not grow run after run. */
function sweepDeadMarkers(): void {
  for (const name of readdirSync(MARKERS)) {
    const marker = join(MARKERS, name);
    if (!holderAlive(marker)) {
      try {
        unlinkSync(marker);
      } catch {
        // Swept by another process.
      }
    }
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A TCP port on 127.0.0.1 that is free and that no other caller of freePort on this machine holds. */
export async function freePort(): Promise<number> {
  const range = portRange();
  if (!range) return kernelPort();
  const size = range.high - range.low + 1;
  if (cursor === undefined) {
    mkdirSync(MARKERS, { recursive: true });
    sweepDeadMarkers();
    cursor = Math.floor(Math.random() * size);
  }
  for (let tries = 0; tries < size; tries++) {
    const port = range.low + (cursor++ % size);
    if (claimed.has(port) || !claim(port)) continue;
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port between ${range.low} and ${range.high}`);
}
