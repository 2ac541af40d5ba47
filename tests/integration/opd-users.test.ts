import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/proc.js';
import { TestSystem } from '../helpers/system.js';

/**
 * Staff of one OPD against a running central (influxd, registry with two OPDs, login
 * required): made with `pemda-central user add --role opd --opd CODE`, they see and
 * handle their OPD's complaints only, through a session or an API token, and every
 * other route of the command room refuses them.
 */

const ADMIN = { username: 'rina', password: 'rina-kata-sandi-panjang' };
const DLH = { username: 'staf.dlh', password: 'staf-dlh-kata-sandi' };
/** A tiny JPEG: the central checks the first bytes only. */
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(60, 7)]).toString('base64');

describe('users bound to one OPD', () => {
  let system: TestSystem;
  let admin: Record<string, string>;
  let staff: Record<string, string>;
  let bearer: Record<string, string>;
  const ids = { dlh: 0, dpupr: 0, unrouted: 0, extra: 0 };
  const base = () => `http://127.0.0.1:${system.httpPort}`;

  /** `pemda-central user ...` against the test central's config, as an installer runs it. */
  function cli(args: string[], stdin = ''): { code: number | null; out: string; err: string } {
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'central', 'main.js'), 'user', ...args, '--config', join(system.dir, 'central.yaml')], { input: stdin, encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr };
  }
  async function call(method: string, path: string, headers: Record<string, string>, json?: unknown): Promise<{ status: number; body: Record<string, unknown> & { error?: string } }> {
    const res = await fetch(`${base()}${path}`, {
      method,
      headers: { ...headers, ...(json !== undefined && { 'Content-Type': 'application/json' }) },
      ...(json !== undefined && { body: JSON.stringify(json) }),
    });
    const text = await res.text();
    return { status: res.status, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text } };
  }

  beforeAll(async () => {
    system = new TestSystem(
      [],
      [
        { gateway: 'gw-dlh', opd: 'dlh', zone: 'Asia/Makassar' },
        { gateway: 'gw-dpupr', opd: 'dpupr', zone: 'Asia/Makassar' },
      ],
    );
    system.centralExtra.auth = { anonymousView: false };
    await system.start();
    system.addUser(ADMIN.username, 'admin', ADMIN.password);
    admin = { cookie: await system.login(ADMIN.username, ADMIN.password) };
  }, 60_000);

  afterAll(async () => {
    await system?.stop();
  }, 30_000);

  it('the CLI makes an OPD user only for a registered OPD, and lists its OPD', () => {
    const unknown = cli(['add', '--username', DLH.username, '--role', 'opd', '--opd', 'dinkes', '--password-stdin'], `${DLH.password}\n`);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('--opd dinkes: no such OPD in the registry; known codes: dlh, dpupr');
    expect(cli(['add', '--username', DLH.username, '--role', 'opd', '--password-stdin'], `${DLH.password}\n`)).toMatchObject({ code: 2, err: expect.stringContaining('--role opd needs --opd CODE') });
    expect(cli(['add', '--username', DLH.username, '--role', 'opd', '--opd', 'dlh', '--password-stdin'], `${DLH.password}\n`)).toMatchObject({ code: 0, out: 'added opd "staf.dlh" of OPD dlh\n' });
    const list = cli(['list']).out.split('\n');
    expect(list.find((l) => l.startsWith('staf.dlh'))).toMatch(/^staf\.dlh\s+opd\s+dlh\s+enabled/);
    expect(list.find((l) => l.startsWith('rina'))).toMatch(/^rina\s+admin\s+-\s+enabled/);
  });

  it('logs in with its OPD and only complaints.handle', async () => {
    const res = await fetch(`${base()}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(DLH) });
    expect(res.status).toBe(200);
    const who = (await res.json()) as Record<string, unknown>;
    expect(who).toMatchObject({ username: DLH.username, role: 'opd', permissions: ['complaints.handle'], opd: { code: 'dlh', name: 'OPD dlh' } });
    staff = { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]! };
    expect((await call('GET', '/api/auth/me', staff)).body).toEqual(who);
  });

  it('sees only its OPD\'s complaints; another OPD\'s complaint, photo and steps are refused', async () => {
    expect((await call('PUT', '/api/complaints/routing', admin, { rules: [{ category: 'sampah', opd: 'dlh' }, { category: 'jalan-rusak', opd: 'dpupr' }] })).status).toBe(200);
    const file = async (category: string, text: string) => {
      const r = await call('POST', '/api/complaints', admin, { category, text, address: 'Jl. Merdeka 1, Makassar', photo: JPEG });
      expect(r.status).toBe(201);
      return r.body.id as number;
    };
    ids.dlh = await file('sampah', 'Sampah menumpuk di depan pasar');
    ids.dpupr = await file('jalan-rusak', 'Lubang besar di jalan');
    ids.unrouted = await file('banjir', 'Air masuk rumah');

    const list = await call('GET', '/api/complaints?state=all', staff);
    expect(list.status).toBe(200);
    expect((list.body.complaints as { id: number; opd: string }[]).map((c) => [c.id, c.opd])).toEqual([[ids.dlh, 'dlh']]);
    expect((await call('GET', '/api/complaints?state=all&opd=dpupr', staff)).status).toBe(403);
    expect((await call('GET', `/api/complaints/${ids.dlh}`, staff)).body).toMatchObject({ id: ids.dlh, opd: 'dlh', text: 'Sampah menumpuk di depan pasar' });
    expect((await fetch(`${base()}/api/complaints/${ids.dlh}/photo`, { headers: staff })).headers.get('content-type')).toBe('image/jpeg');

    for (const id of [ids.dpupr, ids.unrouted]) {
      const refused = [
        await call('GET', `/api/complaints/${id}`, staff),
        await call('GET', `/api/complaints/${id}/photo`, staff),
        await call('POST', `/api/complaints/${id}/ack`, staff, {}),
        await call('POST', `/api/complaints/${id}/close`, staff, { note: 'bukan urusan kami' }),
        await call('POST', `/api/complaints/${id}/assign`, staff, { opd: 'dlh' }),
      ];
      expect(refused.map((r) => r.status)).toEqual([403, 403, 403, 403, 403]);
      expect(refused[0]!.body.error).toBe(`complaint ${id} is not assigned to dlh`);
      expect(JSON.stringify(refused)).not.toMatch(/Lubang|Air masuk/);
    }
    // Nothing it tried changed another OPD's complaint.
    expect((await call('GET', `/api/complaints/${ids.dpupr}`, admin)).body).toMatchObject({ state: 'routed', opd: 'dpupr', acknowledged: null });
  });

  it('may not reassign, file, or change the rules: routing stays with the command room', async () => {
    const reassign = await call('POST', `/api/complaints/${ids.dlh}/assign`, staff, { opd: 'dpupr', note: 'bukan wewenang DLH' });
    expect(reassign).toMatchObject({ status: 403, body: { error: 'reassigning is for the command room, not for a user of one OPD (dlh)' } });
    expect((await call('POST', '/api/complaints', staff, { category: 'sampah', text: 'x', address: 'y' })).status).toBe(403);
    expect((await call('PUT', '/api/complaints/routing', staff, { rules: [] })).status).toBe(403);
    expect((await call('GET', `/api/complaints/${ids.dlh}`, admin)).body).toMatchObject({ opd: 'dlh' });
  });

  it('gets 403 on the wall, cameras, events, alerts, reports, datasets and admin routes', async () => {
    const paths = [
      '/api/state',
      '/api/cameras',
      '/api/alerts',
      '/api/alerts/recent',
      '/api/reports/performance?month=2026-11',
      '/api/reports/presence?opd=dlh&month=2026-11',
      '/api/datasets',
      '/api/admin/opds',
      '/api/admin/gateways',
    ];
    for (const path of paths) {
      const res = await fetch(`${base()}${path}`, { headers: staff });
      expect(res.status, path).toBe(403);
      expect(((await res.json()) as { error: string }).error, path).toMatch(/^the opd role may not do this/);
    }
    expect((await call('POST', '/api/admin/enroll-tokens', staff, { opd: 'dlh' })).status).toBe(403);
    expect((await call('PUT', '/api/admin/opds/dlh', staff, { name: 'DLH', zone: 'Asia/Makassar' })).status).toBe(403);
  });

  it('follows the event stream: complaint events and pings, nothing of the wall', async () => {
    const controller = new AbortController();
    const res = await fetch(`${base()}/api/events`, { headers: staff, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const filed = await call('POST', '/api/complaints', admin, { category: 'jalan-rusak', text: 'Trotoar ambles', address: 'Jl. Sudirman' });
    const deadline = Date.now() + 5000;
    while (!text.includes('event: complaint') && Date.now() < deadline) text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    expect(text).toContain(`event: complaint\ndata: {"id":${filed.body.id as number},"state":"routed","opd":"dpupr"}`);
    expect(text).not.toMatch(/event: (change|alert-|dataset)/);
    ids.extra = filed.body.id as number;
  });

  it('acknowledges and closes its own complaint, and the response times are counted for its OPD', async () => {
    // A second at least between the steps, so the times are not all zero.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const acked = await call('POST', `/api/complaints/${ids.dlh}/ack`, staff, { note: 'tim menuju lokasi' });
    expect(acked).toMatchObject({ status: 200, body: { state: 'acknowledged', acknowledged: { by: DLH.username, note: 'tim menuju lokasi' } } });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const closed = await call('POST', `/api/complaints/${ids.dlh}/close`, staff, { note: 'sampah sudah diangkut' });
    expect(closed).toMatchObject({ status: 200, body: { state: 'closed', closed: { by: DLH.username, note: 'sampah sudah diangkut' } } });
    const history = ((await call('GET', `/api/complaints/${ids.dlh}`, admin)).body.history as { action: string; by: string }[]).map((h) => `${h.action}:${h.by}`);
    expect(history).toEqual([`received:${ADMIN.username}`, 'routed:rule:sampah', `acknowledged:${DLH.username}`, `closed:${DLH.username}`]);

    type Stats = { opds: { opd: string | null; received: number; open: number; acknowledge: { count: number; medianS: number }; close: { count: number; medianS: number } }[] };
    const own = (await call('GET', '/api/complaints/stats', staff)).body as unknown as Stats;
    expect(own.opds.map((o) => o.opd)).toEqual(['dlh']);
    const dlh = own.opds[0]!;
    expect(dlh).toMatchObject({ received: 1, open: 0, acknowledge: { count: 1 }, close: { count: 1 } });
    expect(dlh.acknowledge.medianS).toBeGreaterThanOrEqual(1);
    expect(dlh.close.medianS).toBeGreaterThanOrEqual(dlh.acknowledge.medianS + 1);
    // The command room sees the same figure among all OPDs'.
    const all = (await call('GET', '/api/complaints/stats', admin)).body as unknown as Stats;
    expect(all.opds.find((o) => o.opd === 'dlh')).toEqual(dlh);
    expect(all.opds.find((o) => o.opd === 'dpupr')).toMatchObject({ open: 2, acknowledge: { count: 0 } });
    expect((await call('GET', '/api/complaints/stats?opd=dpupr', staff)).status).toBe(403);
  });

  it('an API token of the OPD user carries the same scope', async () => {
    const issued = cli(['token', '--username', DLH.username, '--label', 'sistem pengaduan DLH']);
    expect(issued.code).toBe(0);
    expect(issued.out).toContain('(role opd, OPD dlh only;');
    bearer = { authorization: `Bearer ${issued.out.trim().split('\n').at(-1)!}` };
    const list = await call('GET', '/api/complaints?state=all', bearer);
    expect((list.body.complaints as { id: number }[]).map((c) => c.id)).toEqual([ids.dlh]);
    expect((await call('GET', `/api/complaints/${ids.dpupr}`, bearer)).status).toBe(403);
    expect((await call('POST', `/api/complaints/${ids.dpupr}/ack`, bearer, {})).status).toBe(403);
    expect((await call('GET', '/api/state', bearer)).status).toBe(403);
  });

  it('moved to another OPD, its session ends and its token follows', async () => {
    expect(cli(['role', '--username', DLH.username, '--role', 'opd', '--opd', 'dpupr'])).toMatchObject({ code: 0 });
    expect((await call('GET', '/api/complaints', staff)).status).toBe(401);
    const cookie = { cookie: await system.login(DLH.username, DLH.password) };
    const list = await call('GET', '/api/complaints?state=all', cookie);
    expect((list.body.complaints as { id: number }[]).map((c) => c.id)).toEqual([ids.extra, ids.dpupr]);
    expect((await call('GET', `/api/complaints/${ids.dlh}`, cookie)).status).toBe(403);
    const byToken = await call('GET', '/api/complaints?state=all', bearer);
    expect((byToken.body.complaints as { id: number }[]).map((c) => c.id)).toEqual([ids.extra, ids.dpupr]);
  });
});
