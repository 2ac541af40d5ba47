import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import sharp from 'sharp';
import { OnvifCameraSim } from '../../sim/onvif-camera.js';
import { RtspTestServer } from '../../sim/rtsp-server.js';
import { TestSystem } from '../helpers/system.js';
import { eventually, NodeProcess } from '../helpers/proc.js';

/**
 * Cameras end to end: simulated ONVIF cameras (SOAP, WS-Security, Digest-protected
 * snapshot URI) and a GStreamer RTSP stream, a real gateway (onvif, urllib, ffmpeg,
 * sharp), the central's snapshot store and HTTP API, and InfluxDB.
 */
describe('cameras', () => {
  const gw = 'gw-diskominfo';
  const creds = { username: 'admin', password: 'rahasia' };
  let rtsp: RtspTestServer;
  let lobby: OnvifCameraSim;
  let parking: OnvifCameraSim;
  let system: TestSystem;

  beforeAll(async () => {
    rtsp = await RtspTestServer.start(0, '/stream', { width: 640, height: 360 });
    // No stream for the lobby: when it goes away, nothing can stand in for it.
    lobby = new OnvifCameraSim({ ...creds, name: 'Lobi', clockOffsetMs: 10 * 60_000, width: 1280, height: 720 });
    parking = new OnvifCameraSim({ ...creds, name: 'Parkir', rtspUrl: rtsp.url });
    parking.faults.rtspOnly = true;
    const [lobbyPort, parkingPort] = [await lobby.start(0), await parking.start(0)];
    const camera = (id: string, port: number) => ({ id, onvif: { host: '127.0.0.1', port }, ...creds, intervalS: 2, timeoutMs: 4000 });
    system = new TestSystem([
      { gateway: gw, opd: 'diskominfo', zone: 'Asia/Jakarta', terminals: [] },
    ]);
    system.gatewayExtra.set(gw, { cameras: [camera('lobby', lobbyPort), camera('parking', parkingPort)], health: { intervalS: 1 } });
    await system.start();
  }, 120_000);

  afterAll(async () => {
    await system.stop();
    await Promise.all([lobby.stop(), parking.stop()]);
    await rtsp.stop();
  }, 60_000);

  const api = async (path: string) => fetch(`http://127.0.0.1:${system.httpPort}${path}`);
  const cameras = async () => (await (await api('/api/cameras')).json()) as { camera: string; capturedAt: string; kind: string; url: string }[];
  const states = (camera: string) => system.influx.query('pemda', `SELECT state, reason FROM camera_status WHERE camera = '${camera}'`);

  it('stores thumbnails from the Digest-protected snapshot URI, despite a camera clock 10 minutes off', async () => {
    const list = await eventually(cameras, (l) => l.some((c) => c.camera === 'lobby'), 30_000, 'a lobby frame at the central');
    const entry = list.find((c) => c.camera === 'lobby')!;
    const res = await api(entry.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('x-captured-at')).toBe(entry.capturedAt);
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([480, 270]);
    const points = await eventually(() => system.influx.query('pemda', `SELECT * FROM ops.snapshot WHERE camera = 'lobby'`), (p) => p.length > 0, 10_000, 'the snapshot point');
    expect(points[0]).toMatchObject({ opd: 'diskominfo', gateway: gw, kind: 'thumb', source: 'snapshot-uri', width: 480, height: 270 });
    expect(String(points[0]!.path)).toContain(join(gw, 'lobby', entry.capturedAt.slice(0, 10)));
    expect(lobby.stats.snapshots).toBeGreaterThan(0);
  });

  it('falls back to one RTSP frame through ffmpeg when the snapshot URI fails', async () => {
    const points = await eventually(() => system.influx.query('pemda', `SELECT * FROM ops.snapshot WHERE camera = 'parking'`), (p) => p.length > 0, 40_000, 'a parking frame');
    expect(points[0]).toMatchObject({ source: 'rtsp', kind: 'thumb' });
    const status = await eventually(() => states('parking'), (r) => r.length > 0, 20_000, 'parking status');
    expect(status[0]).toMatchObject({ state: 'online' });
  });

  it('reports a camera that goes away offline within two intervals, and online when it returns', async () => {
    lobby.faults.gone = true;
    const gone = Date.now();
    await eventually(states.bind(null, 'lobby'), (r) => r.some((s) => s.state === 'offline'), 20_000, 'lobby offline');
    expect(Date.now() - gone).toBeLessThan(2 * 2000 + 4000 + 3000); // two intervals + one timeout + write delay
    lobby.faults.gone = false;
    await eventually(states.bind(null, 'lobby'), (r) => r.filter((s) => s.state === 'online').length >= 2, 30_000, 'lobby online again');
  });

  it('keeps only the newest frame per camera while the central is away, then delivers it', async () => {
    await system.central!.kill('SIGTERM');
    const downAt = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 7000)); // three intervals: older frames are replaced in the outbox
    await system.startCentral();
    const upAt = new Date().toISOString();
    // The first lobby frame after the restart is the one kept during the outage.
    const list = await eventually(cameras, (l) => l.some((c) => c.camera === 'lobby'), 20_000, 'the kept frame');
    const kept = list.find((c) => c.camera === 'lobby')!;
    expect(kept.capturedAt > downAt).toBe(true);
    const health = await eventually(
      () => system.influx.query('pemda', `SELECT * FROM ops.gateway_health WHERE gateway = '${gw}' AND time > '${upAt}'`),
      (r) => r.length > 0,
      20_000,
      'health after the outage',
    );
    expect(health.at(-1)!.snapshots_dropped as number).toBeGreaterThan(0);
  });

  it('sends a full frame on command', async () => {
    const cli = NodeProcess.start('cli', 'central/main.js', ['command', '--config', join(system.dir, 'central.yaml'), '--gateway', gw, '--name', 'snapshot-full', '--camera', 'lobby', '--timeout-s', '20']);
    expect(await cli.exited, cli.stderr).toBe(0);
    expect(cli.lines.map((l) => l.msg).join('\n')).toMatch(/OK: lobby: full frame sent \(\d+ bytes\)/);
    const full = await eventually(() => system.influx.query('pemda', `SELECT * FROM ops.snapshot WHERE camera = 'lobby' AND kind = 'full'`), (p) => p.length > 0, 20_000, 'the full frame');
    expect(full[0]).toMatchObject({ width: 1280, height: 720 });
  });
});
