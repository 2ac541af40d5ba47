import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestSystem } from '../helpers/system.js';
import { eventually } from '../helpers/proc.js';

/** A gateway whose outbox outgrows its disk budget keeps every punch and drops only health reports. */
describe('outbox disk budget', () => {
  const gw = 'gw-satpolpp';
  const system = new TestSystem([{ gateway: gw, opd: 'satpolpp', zone: 'Asia/Makassar', gatewaySettings: { outboxBudgetMB: 0.05 } }]);
  beforeAll(() => system.start(), 90_000);
  afterAll(() => system.stop(), 60_000);

  it('keeps every punch over budget, drops health, and says so', async () => {
    await system.central!.kill('SIGTERM');
    let lines = '';
    for (let i = 0; i < 600; i++) lines += `5${String(i).padStart(3, '0')},2026-11-26 07:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')},0,1\r\n`;
    system.terminal(gw).writeRaw(lines);
    const gateway = system.gateways.get(gw)!;
    const warning = await gateway.waitForLog((l) => l.msg === 'outbox over its disk budget: dropping health reports, keeping every punch', 30_000, 'over-budget warning');
    expect(warning.bytes as number).toBeGreaterThan(warning.budgetBytes as number);
    await eventually(() => system.outboxDepth(gw), (n) => n >= 600, 30_000, 'all punches kept in the outbox');
    await new Promise((r) => setTimeout(r, 4500)); // two more health intervals, dropped

    await system.startCentral();
    const count = async () => Number((await system.influx.query('pemda', `SELECT COUNT(employee) FROM punch WHERE employee =~ /^5/`))[0]?.count ?? 0);
    await eventually(count, (n) => n === 600, 30_000, 'all 600 punches');
    const health = await eventually(
      () => system.influx.query('pemda', `SELECT dropped_health, outbox_budget_bytes FROM ops.gateway_health WHERE gateway = '${gw}' AND dropped_health > 0`),
      (rows) => rows.length > 0,
      20_000,
      'a health report counting the drops',
    );
    expect(health[0]!.dropped_health as number).toBeGreaterThanOrEqual(2);
    expect(health[0]!.outbox_budget_bytes).toBe(Math.round(0.05 * 1024 * 1024));
  }, 90_000);
});
