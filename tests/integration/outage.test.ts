import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestSystem } from '../helpers/system.js';
import { eventually } from '../helpers/proc.js';

/** Nothing accepted by a gateway is lost when the central is down or the gateway is killed. */
describe('outages', () => {
  const system = new TestSystem([{ gateway: 'gw-dukcapil', opd: 'dukcapil', zone: 'Asia/Jayapura' }]);
  const gw = 'gw-dukcapil';

  beforeAll(() => system.start(), 90_000);
  afterAll(() => system.stop(), 60_000);

  async function punchesFrom(prefix: string): Promise<string[]> {
    const rows = await system.punches(`WHERE employee =~ /^${prefix}/`);
    return rows.map((r) => String(r.employee)).sort();
  }

  it('keeps accepting punches while the central is down and delivers them all when it returns', async () => {
    expect(await system.central!.kill('SIGTERM')).toBe(0);
    const sent: string[] = [];
    for (let i = 0; i < 30; i++) {
      const employee = `71${String(i).padStart(2, '0')}`;
      system.terminal(gw).punch(employee, new Date(Date.UTC(2026, 10, 26, 0, 0, i)), { status: '0', verify: '1' });
      sent.push(employee);
    }
    // Every punch is committed to the gateway's outbox while nobody acks.
    await eventually(() => system.outboxDepth(gw), (n) => n >= 30, 20_000, '30 records in the outbox');
    expect(await punchesFrom('71')).toEqual([]);

    await system.startCentral();
    expect(await eventually(() => punchesFrom('71'), (got) => got.length === 30, 30_000, 'all 30 punches in InfluxDB')).toEqual(sent);
    await eventually(() => system.outboxDepth(gw), (n) => n === 0, 30_000, 'an empty outbox after the acks');
  });

  it('loses no unacked punch when the gateway is SIGKILLed', async () => {
    // Stop the central so the punches stay unacked, then kill the gateway hard.
    await system.central!.kill('SIGTERM');
    const gateway = system.gateways.get(gw)!;
    for (let i = 0; i < 20; i++) system.terminal(gw).punch(`72${String(i).padStart(2, '0')}`, new Date(Date.UTC(2026, 10, 26, 1, 0, i)));
    await eventually(() => system.outboxDepth(gw), (n) => n >= 20, 20_000, '20 records in the outbox');
    expect(await gateway.kill('SIGKILL')).toBe(null);

    await system.startGateway(gw);
    await system.startCentral();
    const got = await eventually(() => punchesFrom('72'), (g) => g.length === 20, 30_000, 'all 20 punches after the restart');
    expect(new Set(got).size).toBe(20);
    await eventually(() => system.outboxDepth(gw), (n) => n === 0, 30_000, 'an empty outbox');
  });
});
