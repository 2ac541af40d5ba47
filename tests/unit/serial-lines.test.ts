import { afterAll, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialLines } from '../../edge/serial-lines.js';
import { PtyPair } from '../../sim/pty-pair.js';
import { eventually } from '../helpers/proc.js';

/**
 * The serial line reader of line terminals and alarm panels, on real socat
 * pseudo-terminals: a port that is not there yet, a cable pulled (socat gone, the pty
 * removed) and put back, each seen once, and the lines read on every open.
 */
describe('serial lines that are opened again after a failure', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pemda-serial-lines-'));
  const device = join(dir, 'device');
  const gateway = join(dir, 'gateway');
  const seen: string[] = [];
  const reader = new SerialLines(
    { path: gateway, baudRate: 9600, reopenDelayMs: 200 },
    { line: (l) => seen.push(`line ${l}`), up: () => seen.push('up'), down: (reason) => seen.push(`down ${reason}`) },
  );
  let pty: PtyPair | undefined;
  afterAll(async () => {
    await reader.stop();
    await pty?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits for a port that is not there, reads lines without their CR, and comes back after the cable is pulled', async () => {
    reader.start();
    await eventually(() => seen.filter((s) => s.startsWith('down')).length, (n) => n >= 2, 5000, 'retries on a missing port');
    expect(seen[0]).toMatch(/^down cannot open .*gateway: .*(ENOENT|No such file)/);

    pty = await PtyPair.open(device, gateway);
    await eventually(() => seen.includes('up'), Boolean, 5000, 'the port open');
    appendFileSync(device, '1001,2026-11-26 07:58:00\r\n1002,2026-11-26 07:59:00\n');
    await eventually(() => seen.filter((s) => s.startsWith('line')).length, (n) => n === 2, 5000, 'two lines');
    expect(seen.filter((s) => s.startsWith('line'))).toEqual(['line 1001,2026-11-26 07:58:00', 'line 1002,2026-11-26 07:59:00']);

    const before = seen.length;
    await pty.close(); // the cable pulled: the pty goes away
    await eventually(() => seen.slice(before).some((s) => s.startsWith('down')), Boolean, 5000, 'the port down');
    pty = await PtyPair.open(device, gateway);
    await eventually(() => seen.filter((s) => s === 'up').length, (n) => n === 2, 5000, 'the port open again');
    appendFileSync(device, '1003,2026-11-26 08:01:00\n');
    await eventually(() => seen.at(-1), (s) => s === 'line 1003,2026-11-26 08:01:00', 5000, 'a line after the reopen');
  });

  it('stops cleanly: no reopen, no event after stop', async () => {
    await reader.stop();
    const count = seen.length;
    await pty?.close();
    pty = undefined;
    await new Promise((r) => setTimeout(r, 600));
    expect(seen.length).toBe(count);
  });
});
