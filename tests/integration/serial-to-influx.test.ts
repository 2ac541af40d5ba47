import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { TestSystem } from '../helpers/system.js';
import { eventually, NodeProcess } from '../helpers/proc.js';

/**
 * The foundation path on real processes: socat pty -> pemda-edge (serialport, SQLite
 * outbox, mqtt) -> pemda-central (aedes, ingest) -> influxd.
 */
describe('serial terminal to InfluxDB', () => {
  const system = new TestSystem([{ gateway: 'gw-bpkad', opd: 'bpkad', zone: 'Asia/Makassar', employees: [{ pin: '2001', nip: '198001012005011001', name: 'Andi' }] }], [{ gateway: 'gw-replay', opd: 'replay', zone: 'Asia/Jakarta' }]);

  beforeAll(() => system.start(), 90_000);
  afterAll(() => system.stop(), 60_000);

  it('stores a WITA punch with OPD, gateway and terminal tags, the employee as a field and the right UTC time', async () => {
    // Written raw, the way a terminal in Makassar prints 07:58:09 local time (UTC+8).
    system.terminal('gw-bpkad').writeRaw('2001,2026-11-26 07:58:09,0,1\r\n');
    const rows = await eventually(() => system.punches(`WHERE employee = '2001'`), (r) => r.length === 1, 20_000, 'punch 2001 in InfluxDB');
    const row = rows[0]!;
    expect(row).toMatchObject({ opd: 'bpkad', gateway: 'gw-bpkad', terminal: 'term-1', employee: '2001', device_time: '2026-11-26T07:58:09', zone: 'Asia/Makassar', status: '0', verify: '1', known: true, nip: '198001012005011001' });
    // 07:58:09 WITA is 23:58:09 UTC the day before; the sub-second digits only keep points apart.
    const ns = BigInt(row.time as number | string);
    expect(ns / 1_000_000_000n).toBe(BigInt(Date.UTC(2026, 10, 25, 23, 58, 9) / 1000));
    // The employee id must not be a tag (cardinality): it is absent from SHOW TAG KEYS.
    const tagKeys = await system.influx.query('pemda', 'SHOW TAG KEYS FROM punch');
    expect(tagKeys.map((t) => t.tagKey).sort()).toEqual(['gateway', 'opd', 'terminal']);
  });

  it('keeps two punches in the same second on one terminal', async () => {
    const t = system.terminal('gw-bpkad');
    t.writeRaw('3001,2026-11-26 07:30:00,0,1\r\n3002,2026-11-26 07:30:00,0,1\r\n');
    const rows = await eventually(
      () => system.punches(`WHERE device_time = '2026-11-26T07:30:00'`),
      (r) => r.length >= 2,
      20_000,
      'two punches in the same second',
    );
    expect(rows.map((r) => r.employee).sort()).toEqual(['3001', '3002']);
    // Not on the roster: kept, and flagged for the administrator.
    expect(rows.map((r) => r.known)).toEqual([false, false]);
  });

  it('stores a replayed batch once', async () => {
    // The same events batch published twice straight to the broker, as a gateway does
    // when an ack is lost; gw-replay is registered but has no gateway process.
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${system.brokerPort}`, { clientId: 'test-replayer', ...system.credentials('gw-replay') });
    const record = {
      seq: 1_000_000,
      kind: 'punch',
      terminal: 'term-9',
      employee: '4001',
      time: '2026-11-26T00:00:00.000Z',
      deviceTime: '2026-11-26T08:00:00',
      zone: 'Asia/Makassar',
      skewMs: null,
      status: '0',
      verify: '1',
      receivedAt: new Date().toISOString(),
    };
    const payload = JSON.stringify({ v: 1, ackedSeq: 999_999, records: [record] });
    await client.subscribeAsync('pemda/v1/gw-replay/ack', { qos: 1 });
    const acks: unknown[] = [];
    client.on('message', (_topic, body) => acks.push(JSON.parse(body.toString())));
    await client.publishAsync('pemda/v1/gw-replay/events', payload, { qos: 1 });
    await client.publishAsync('pemda/v1/gw-replay/events', payload, { qos: 1 });
    // Wait until the central has processed both copies (it acks each), then count.
    // The central acks each copy only after InfluxDB accepted it.
    await eventually(() => acks.length, (n) => n >= 2, 20_000, 'two acks for the replayed batch');
    expect(acks).toEqual([{ v: 1, seq: 1_000_000 }, { v: 1, seq: 1_000_000 }]);
    await client.endAsync();
    const rows = await system.punches(`WHERE employee = '4001'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ opd: 'replay', gateway: 'gw-replay', terminal: 'term-9', seq: 1_000_000 });
  });

  it('pemda-edge status shows the outbox and the last punch per terminal', async () => {
    const p = NodeProcess.start('status', 'edge/main.js', ['status', '--config', system.gatewayConfigPath('gw-bpkad')]);
    expect(await p.exited).toBe(0);
    const out = p.lines.map((l) => l.msg).join('\n');
    expect(out).toMatch(/^gateway gw-bpkad\n  outbox: \d+ record\(s\) waiting/);
    expect(out).toMatch(/last ack from the central: 20\d\d-/);
    expect(out).toMatch(/terminal term-1: last punch \d+ at 2026-11-26T/);
  });

  it('shows the live state over HTTP and pushes a change event when a punch arrives', async () => {
    const base = `http://127.0.0.1:${system.httpPort}`;
    const events = await fetch(`${base}/api/events`);
    const reader = events.body!.getReader();
    system.terminal('gw-bpkad').writeRaw('6001,2026-11-26 10:00:00,0,1\r\n');
    let text = '';
    const deadline = Date.now() + 10_000;
    while (!text.includes('event: change') && Date.now() < deadline) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain('event: change');
    await reader.cancel();
    const state = await eventually(
      async () => (await (await fetch(`${base}/api/state`)).json()) as { opds: { code: string; gateways: string[] }[]; gateways: { gateway: string; state: string; terminals: Record<string, unknown> }[]; recentPunches: { employee: string }[] },
      (s) => s.recentPunches.some((p) => p.employee === '6001'),
      10_000,
      'the punch in /api/state',
    );
    expect(state.opds.find((o) => o.code === 'bpkad')?.gateways).toEqual(['gw-bpkad']);
    const gw = state.gateways.find((g) => g.gateway === 'gw-bpkad')!;
    expect(gw.state).toBe('online');
    expect(Object.keys(gw.terminals)).toContain('term-1');
  });

  it('logs a malformed terminal line and keeps reading', async () => {
    const gw = system.gateways.get('gw-bpkad')!;
    system.terminal('gw-bpkad').writeRaw('5001;garbage without separators\r\n\u0000\u00ff\u0013\r\n5002,2026-11-26 09:15:00,0,1\r\n');
    const warning = await gw.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('malformed line from terminal'), 10_000, 'malformed-line warning');
    expect(warning.msg).toMatch(/expected 4 fields separated by ","/);
    expect(warning.terminal).toBe('term-1');
    await eventually(() => system.punches(`WHERE employee = '5002'`), (r) => r.length === 1, 20_000, 'punch after the bad line');
    expect(gw.running).toBe(true);
  });

  it('rejects a malformed MQTT payload with the field and reason, and keeps ingesting', async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${system.brokerPort}`, { clientId: 'test-bad-publisher', ...system.credentials('gw-bpkad') });
    await client.publishAsync('pemda/v1/gw-bpkad/events', JSON.stringify({ v: 1, ackedSeq: 0, records: [{ seq: 5, kind: 'punch', terminal: 'term-1' }] }), { qos: 1 });
    await client.publishAsync('pemda/v1/gw-bpkad/events', '{not json', { qos: 1 });
    await client.endAsync();
    const central = system.central!;
    const missingField = await central.waitForLog((l) => l.msg?.startsWith('rejected payload') === true && l.field === 'records[0].employee', 10_000, 'rejection naming records[0].employee');
    expect(missingField.topic).toBe('pemda/v1/gw-bpkad/events');
    await central.waitForLog((l) => l.msg?.includes('not valid JSON') === true, 10_000, 'rejection of invalid JSON');
    system.terminal('gw-bpkad').writeRaw('5003,2026-11-26 09:16:00,0,1\r\n');
    await eventually(() => system.punches(`WHERE employee = '5003'`), (r) => r.length === 1, 20_000, 'punch after the bad payloads');
    expect(central.running).toBe(true);
  });
});
