import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestSystem } from '../helpers/system.js';
import { eventually } from '../helpers/proc.js';

/** After an outage the backlog is replayed at a bounded rate and a live punch overtakes it. */
describe('backlog replay', () => {
  const gw = 'gw-bkpsdm';
  const system = new TestSystem([{ gateway: gw, opd: 'bkpsdm', zone: 'Asia/Jakarta', mqtt: { liveWindowS: 2, backlogRecordsPerSecond: 100, batchSize: 100 } }]);
  beforeAll(() => system.start(), 90_000);
  afterAll(() => system.stop(), 60_000);

  const count = async (where: string) => Number((await system.influx.query('pemda', `SELECT COUNT(employee) FROM punch WHERE ${where}`))[0]?.count ?? 0);

  it('sends a live punch before the rest of a 1,000-punch backlog, and marks the backlog historical', async () => {
    await system.central!.kill('SIGTERM');
    const terminal = system.terminal(gw);
    let lines = '';
    for (let i = 0; i < 1000; i++) lines += `6${String(i).padStart(3, '0')},2026-11-26 06:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')},0,1\r\n`;
    terminal.writeRaw(lines);
    await eventually(() => system.outboxDepth(gw), (n) => n >= 1000, 30_000, '1,000 records in the outbox');
    await new Promise((r) => setTimeout(r, 2500)); // older than the live window: now they are backlog

    await system.startCentral();
    terminal.writeRaw('9999,2026-11-26 08:00:00,0,1\r\n');
    await eventually(() => count(`employee = '9999'`), (n) => n === 1, 10_000, 'the live punch');
    const backlogSoFar = await count(`employee =~ /^6/`);
    // At 100 records/s the backlog needs about 10 s; the live punch did not wait for it.
    expect(backlogSoFar).toBeLessThan(1000);
    const live = await system.punches(`WHERE employee = '9999'`);
    expect(live[0]!.historical).toBe(false);

    await eventually(() => count(`employee =~ /^6/`), (n) => n === 1000, 30_000, 'the whole backlog');
    expect(await count(`employee =~ /^6/ AND historical = true`)).toBe(1000);
    await eventually(() => system.outboxDepth(gw), (n) => n === 0, 10_000, 'an empty outbox');
  }, 90_000);
});
