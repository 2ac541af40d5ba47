import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestSystem } from '../helpers/system.js';
import { eventually } from '../helpers/proc.js';
import { RELEASE_VERSION } from '../../protocols/version.js';

/**
 * The command room's REST API behind login, against a running central: roles,
 * the registry pages' API (OPD coordinates, roster CSV import), device management
 * (versions, enrollment tokens) and alerts raised from a real gateway going away.
 */
describe('command room API with roles', () => {
  const system = new TestSystem([{ gateway: 'gw-dukcapil', opd: 'dukcapil', zone: 'Asia/Makassar', employees: [{ pin: '1', name: 'Wayan' }] }]);
  const cookies = new Map<string, string>();
  const api = (path: string, who?: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${system.httpPort}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), ...(who && { Cookie: cookies.get(who)! }) } });

  beforeAll(async () => {
    system.centralExtra.auth = { anonymousView: false };
    system.centralExtra.alerts = { evaluateEveryS: 1, gatewayOfflineAfterS: 10 };
    await system.start();
    for (const [user, role] of [['ayu', 'admin'], ['budi', 'operator'], ['citra', 'technician']] as const) {
      system.addUser(user, role, `${user}-kata-sandi-panjang`);
      cookies.set(user, await system.login(user, `${user}-kata-sandi-panjang`));
    }
  }, 120_000);
  afterAll(() => system.stop(), 60_000);

  it('answers every route of its OpenAPI description (none is a 404 "no route")', async () => {
    const doc = (await (await api('/api/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    const gets = Object.entries(doc.paths).filter(([path, ops]) => 'get' in ops && !path.includes('{') && path !== '/api/events');
    expect(gets.length).toBeGreaterThan(8);
    for (const [path] of gets) {
      const res = await api(path, 'ayu');
      const body = res.headers.get('content-type')?.startsWith('application/json') ? ((await res.json()) as { error?: string }) : {};
      // A 404 may be about the data (no CA without TLS), never about the route.
      expect(body.error ?? '', path).not.toMatch(/^no route/);
      expect(res.status, path).toBeLessThan(500);
    }
  });

  it('needs a login for data, and answers 403 where the role has no right', async () => {
    expect((await api('/api/state')).status).toBe(401);
    expect((await api('/api/events')).status).toBe(401);
    expect((await api('/')).status).toBe(200); // the app (and its login page) loads
    expect((await api('/api/state', 'budi')).status).toBe(200);
    expect((await api('/api/admin/opds', 'budi')).status).toBe(403);
    expect((await api('/api/admin/gateways', 'budi')).status).toBe(403);
    expect((await api('/api/admin/opds', 'citra')).status).toBe(403);
    expect((await api('/api/admin/opds/dukcapil/employees', 'budi', { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: 'pin,name\n9,X\n' })).status).toBe(403);
    expect(await (await api('/api/auth/me', 'citra')).json()).toMatchObject({ username: 'citra', role: 'technician' });
  });

  it('lets an admin place an OPD on the map and import a roster, keeping good rows and naming bad ones', async () => {
    const put = await api('/api/admin/opds/dukcapil', 'ayu', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'Disdukcapil', zone: 'Asia/Makassar', location: { lat: -8.65, lon: 115.22 } }) });
    expect(put.status).toBe(200);
    const state = (await (await api('/api/state', 'budi')).json()) as { opds: { code: string; name: string; location: unknown }[] };
    expect(state.opds.find((o) => o.code === 'dukcapil')).toMatchObject({ name: 'Disdukcapil', location: { lat: -8.65, lon: 115.22 } });

    const csv = '\uFEFFNIP;Nama;PIN\n198501012010011001;Made Sudarsana;101\n;Ketut Ayu;102\n1985;;103\n1999;Nyoman;101\n;Bad Pin;a b\n';
    const imported = await api('/api/admin/opds/dukcapil/employees', 'ayu', { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: csv });
    expect(imported.status).toBe(200);
    expect(await imported.json()).toEqual({
      opd: 'dukcapil',
      imported: 2,
      errors: [
        { line: 4, message: 'name is empty' },
        { line: 5, message: 'pin 101 already on line 2; the first one is kept' },
        { line: 6, message: expect.stringMatching(/^pin: 1-32 letters/) as unknown },
      ],
    });
    const roster = (await (await api('/api/admin/opds/dukcapil/employees', 'ayu')).json()) as { employees: unknown[] };
    expect(roster.employees).toEqual([
      { pin: '1', nip: null, name: 'Wayan' },
      { pin: '101', nip: '198501012010011001', name: 'Made Sudarsana' },
      { pin: '102', nip: null, name: 'Ketut Ayu' },
    ]);
    const bad = await api('/api/admin/opds/dukcapil', 'ayu', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'X', zone: 'Mars/Olympus' }) });
    expect(bad.status).toBe(400);
  });

  it('shows a technician each gateway\'s version and makes enrollment tokens', async () => {
    const body = (await eventually(
      async () => (await (await api('/api/admin/gateways', 'citra')).json()) as { centralVersion: string; gateways: { id: string; version: string | null; outdated: boolean; state: string }[] },
      (b) => b.gateways.some((g) => g.id === 'gw-dukcapil' && g.version !== null),
      10_000,
      'the gateway version',
    ));
    expect(body.centralVersion).toBe(RELEASE_VERSION);
    expect(body.gateways.find((g) => g.id === 'gw-dukcapil')).toMatchObject({ version: RELEASE_VERSION, outdated: false, state: 'online' });
    const token = await api('/api/admin/enroll-tokens', 'citra', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ opd: 'dukcapil' }) });
    expect(token.status).toBe(201);
    const t = (await token.json()) as { token: string; command: string };
    expect(t.command).toBe(`pemda-edge enroll --central http://127.0.0.1:${system.httpPort} --token ${t.token}`);
  });

  it('raises an alert when a gateway goes away, pushes it on the event stream, and records who acknowledged it', async () => {
    const events: string[] = [];
    const controller = new AbortController();
    const stream = await api('/api/events', 'budi', { signal: controller.signal });
    void (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of stream.body as unknown as AsyncIterable<Uint8Array>) events.push(decoder.decode(chunk));
      } catch {
        // aborted at the end of the test
      }
    })();
    await system.gateways.get('gw-dukcapil')!.kill('SIGKILL');
    const alert = await eventually(
      async () => ((await (await api('/api/alerts', 'budi')).json()) as { open: { id: number; kind: string; gateway: string | null; message: { id: string } }[] }).open.find((a) => a.kind === 'gateway-offline'),
      (a) => a !== undefined,
      20_000,
      'a gateway-offline alert',
    );
    expect(alert!.gateway).toBe('gw-dukcapil');
    expect(alert!.message.id).toMatch(/gw-dukcapil/);
    await eventually(() => events.join(''), (text) => text.includes('event: alert-raised'), 5000, 'alert-raised on the stream');
    controller.abort();

    expect((await api(`/api/alerts/${alert!.id}/ack`, undefined, { method: 'POST' })).status).toBe(401);
    const acked = await api(`/api/alerts/${alert!.id}/ack`, 'budi', { method: 'POST' });
    expect(acked.status).toBe(200);
    expect(await acked.json()).toMatchObject({ id: alert!.id, acknowledgedBy: 'budi' });
  });

  it('routes a complaint to its OPD, which acknowledges and closes it, with response times', async () => {
    const post = (path: string, who: string, body: unknown, method = 'POST') =>
      api(path, who, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('/api/complaints/routing', 'budi', { rules: [{ category: 'jalan', opd: 'dukcapil' }] }, 'PUT')).status).toBe(403);
    expect((await post('/api/complaints/routing', 'ayu', { rules: [{ category: 'jalan', opd: 'dukcapil' }] }, 'PUT')).status).toBe(200);
    const filed = await post('/api/complaints', 'budi', { category: 'jalan', text: 'Jembatan di Jl. Gajah Mada rusak', address: 'Jl. Gajah Mada 12' });
    expect(filed.status).toBe(201);
    const complaint = (await filed.json()) as { id: number; state: string; opd: string };
    expect(complaint).toMatchObject({ state: 'routed', opd: 'dukcapil' });
    expect((await post(`/api/complaints/${complaint.id}/close`, 'budi', {})).status).toBe(400); // a close needs a note
    expect((await post(`/api/complaints/${complaint.id}/ack`, 'budi', { note: 'tim berangkat' })).status).toBe(200);
    expect((await post(`/api/complaints/${complaint.id}/close`, 'budi', { note: 'jembatan ditambal' })).status).toBe(200);
    const one = (await (await api(`/api/complaints/${complaint.id}`, 'budi')).json()) as { state: string; history: unknown[] };
    expect(one.state).toBe('closed');
    expect(one.history.length).toBeGreaterThanOrEqual(4);
    const stats = (await (await api('/api/complaints/stats?opd=dukcapil', 'budi')).json()) as Record<string, unknown>;
    expect(JSON.stringify(stats)).toMatch(/"open":0/);
    // The same figures judge the office in its performance report (month in the OPD's zone).
    const month = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Makassar', year: 'numeric', month: '2-digit' }).format(new Date());
    const perf = await api(`/api/reports/performance?opd=dukcapil&month=${month}`, 'ayu');
    expect(perf.status).toBe(200);
    expect(((await perf.json()) as { complaints: unknown }).complaints).toMatchObject({ received: 1, open: 0, acknowledgeMedianS: expect.any(Number) as unknown, closeMedianS: expect.any(Number) as unknown });
  });

  it('takes rows of a registered dataset with its own token, refuses bad rows with reasons, keeps the good ones', async () => {
    const registered = await api('/api/datasets', 'ayu', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ slug: 'tinggi-sungai', name: 'Tinggi muka air', opd: 'dukcapil', fields: [{ name: 'level', type: 'number', unit: 'cm' }, { name: 'pos', type: 'string' }] }),
    });
    expect(registered.status).toBe(201);
    const { token } = (await registered.json()) as { token: string };
    const push = (auth: string, body: string, type: string) => api('/api/datasets/tinggi-sungai/rows', undefined, { method: 'POST', headers: { 'Content-Type': type, Authorization: `Bearer ${auth}` }, body });
    expect((await push('wrong-token-000000000000000000000', '[]', 'application/json')).status).toBe(401);
    const mixed = await push(token, 'level;pos\n120,5;Pos A\nbanyak;Pos B\n', 'text/csv');
    expect(mixed.status).toBe(207);
    expect(JSON.stringify(await mixed.json())).toMatch(/level/);
    const latest = await eventually(
      async () => (await (await api('/api/datasets/tinggi-sungai/latest', 'budi')).json()) as { latest?: Record<string, unknown> },
      (l) => JSON.stringify(l).includes('120.5'),
      10_000,
      'the stored row',
    );
    expect(JSON.stringify(latest)).toContain('Pos A');
  });
});
