import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { OnvifCameraSim } from '../../sim/onvif-camera.js';
import { TestSystem } from '../helpers/system.js';
import { eventually } from '../helpers/proc.js';

/**
 * ONVIF motion end to end: the simulated camera's event service (PullPoint
 * subscription, 5 s termination time so the gateway must renew), a real gateway
 * (onvif client, motion watcher, poller), the central and InfluxDB. The snapshot
 * interval is 60 s: a thumbnail within seconds of a trigger can only come from motion.
 */
describe('camera motion events', () => {
  const gw = 'gw-dishub';
  const creds = { username: 'admin', password: 'rahasia' };
  const MIN_INTERVAL_S = 10;
  let cam: OnvifCameraSim;
  let system: TestSystem;
  let firstTriggerAt = 0;

  beforeAll(async () => {
    cam = new OnvifCameraSim({ ...creds, name: 'Gerbang', width: 640, height: 360, maxSubscriptionS: 5 });
    const port = await cam.start(0);
    system = new TestSystem([{ gateway: gw, opd: 'dishub', zone: 'Asia/Jakarta', terminals: [] }]);
    system.gatewayExtra.set(gw, {
      cameras: [{ id: 'gerbang', onvif: { host: '127.0.0.1', port }, ...creds, intervalS: 60, timeoutMs: 4000, motion: { enabled: true, minIntervalS: MIN_INTERVAL_S } }],
      health: { intervalS: 1 },
    });
    await system.start();
  }, 120_000);

  afterAll(async () => {
    await system.stop();
    await cam.stop();
  }, 60_000);

  const capturedAt = async () => {
    const list = (await (await fetch(`http://127.0.0.1:${system.httpPort}/api/cameras`)).json()) as { camera: string; capturedAt: string }[];
    return list.find((c) => c.camera === 'gerbang')?.capturedAt;
  };
  const motions = () => system.influx.query('pemda', `SELECT * FROM camera_motion WHERE camera = 'gerbang'`);

  it('a motion start becomes a camera_motion point and a fresh thumbnail within seconds', async () => {
    // The first interval thumbnail comes within 30 s of the start, the next one a minute later.
    const first = await eventually(capturedAt, (c) => c !== undefined, 45_000, 'the first thumbnail');
    await eventually(() => cam.liveSubscriptions, (n) => n === 1, 20_000, 'a pull-point subscription');
    // The Initialized states (no motion) have been pulled: they make no record.
    await eventually(() => cam.stats.notificationsDelivered, (n) => n >= 2, 10_000, 'the Initialized messages pulled');
    const grabs = cam.stats.snapshots;
    firstTriggerAt = Date.now();
    expect(cam.triggerMotion(true)).toBe(1);
    const next = await eventually(capturedAt, (c) => c !== undefined && c > first!, 10_000, 'a thumbnail after the motion');
    expect(Date.now() - firstTriggerAt).toBeLessThan(5000);
    expect(Date.parse(next!)).toBeGreaterThanOrEqual(firstTriggerAt - 1000);
    const points = await eventually(motions, (p) => p.length >= 1, 10_000, 'the camera_motion point');
    expect(points).toHaveLength(1);
    expect(points[0]).toMatchObject({ opd: 'dishub', gateway: gw, camera: 'gerbang', state: 'start', topic: 'tns1:RuleEngine/CellMotionDetector/Motion' });
    expect(cam.stats.snapshots).toBe(grabs + 1);
  });

  it('records the end and a second start, but takes no second thumbnail within minIntervalS; after it, one more', async () => {
    const grabs = cam.stats.snapshots;
    cam.triggerMotion(false);
    cam.triggerMotion(true, 'motion-alarm');
    const points = await eventually(motions, (p) => p.length >= 3, 10_000, 'three camera_motion points');
    expect(points.map((p) => [p.state, p.topic])).toEqual([
      ['start', 'tns1:RuleEngine/CellMotionDetector/Motion'],
      ['end', 'tns1:RuleEngine/CellMotionDetector/Motion'],
      ['start', 'tns1:VideoSource/MotionAlarm'],
    ]);
    await sleep(1500);
    expect(Date.now() - firstTriggerAt).toBeLessThan(MIN_INTERVAL_S * 1000);
    expect(cam.stats.snapshots).toBe(grabs);

    await sleep(Math.max(0, firstTriggerAt + MIN_INTERVAL_S * 1000 + 500 - Date.now()));
    cam.triggerMotion(false, 'motion-alarm');
    cam.triggerMotion(true, 'motion-alarm');
    await eventually(() => cam.stats.snapshots, (n) => n === grabs + 1, 10_000, 'a thumbnail once minIntervalS has passed');
    await eventually(motions, (p) => p.length >= 5, 10_000, 'five camera_motion points');
  });

  it('keeps one subscription alive through renewals (5 s termination time)', () => {
    // More than 12 s have passed since the subscription was made.
    expect(cam.stats).toMatchObject({ subscriptionsCreated: 1, subscriptionsExpired: 0 });
    expect(cam.stats.renewals).toBeGreaterThanOrEqual(3);
    expect(cam.liveSubscriptions).toBe(1);
  });

  it('subscribes again when the camera forgets its subscriptions (reboot)', async () => {
    const before = (await motions()).length;
    const delivered = cam.stats.notificationsDelivered;
    expect(cam.dropSubscriptions()).toBe(1);
    await eventually(() => cam.stats.subscriptionsCreated, (n) => n === 2, 15_000, 'a new subscription');
    await eventually(() => cam.liveSubscriptions, (n) => n === 1, 5000, 'one live subscription');
    await eventually(() => cam.stats.notificationsDelivered, (n) => n >= delivered + 2, 5000, 'the Initialized states pulled');
    await sleep(500);
    // Motion is still on (Initialized true, as the gateway last knew it): no new record for that.
    expect((await motions()).length).toBe(before);
    cam.triggerMotion(false, 'motion-alarm');
    const points = await eventually(motions, (p) => p.length === before + 1, 10_000, 'the end after resubscribing');
    expect(points.at(-1)).toMatchObject({ state: 'end', topic: 'tns1:VideoSource/MotionAlarm' });
  });

  it('unsubscribes when the gateway stops', async () => {
    const unsubscribes = cam.stats.unsubscribes;
    expect(await system.gateways.get(gw)!.kill('SIGTERM')).toBe(0);
    expect(cam.stats.unsubscribes).toBe(unsubscribes + 1);
    expect(cam.liveSubscriptions).toBe(0);
  });
});
