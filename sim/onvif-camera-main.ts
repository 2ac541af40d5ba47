#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { OnvifCameraSim } from './onvif-camera.js';
import { RtspTestServer } from './rtsp-server.js';

/**
 * Runs one simulated ONVIF camera for the demo. Prints one JSON line when ready:
 * {"sim":"onvif-camera","name":..,"deviceServiceUrl":..,"snapshotUrl":..,"rtspUrl":..,"discoveryPort":..}
 * With --rtsp it also runs a live RTSP test stream (sim/rtsp-server.py) and reports it
 * through GetStreamUri. SIGINT/SIGTERM stop everything; the stats go to stderr.
 */
const usage =
  'usage: onvif-camera --user admin --password secret [--port 0] [--name "Lobi Dinkes"] [--rtsp] [--rtsp-port 0] ' +
  '[--width 1280] [--height 720] [--clock-offset-ms 0] [--discovery-port N]';

function fail(message: string): never {
  console.error(`onvif-camera: ${message}\n${usage}`);
  process.exit(2);
}

function int(text: string | undefined, name: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} ${JSON.stringify(text)} is not an integer ${min}..${max}`);
  return n;
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      user: { type: 'string' },
      password: { type: 'string' },
      name: { type: 'string', default: 'ONVIF Camera Sim' },
      rtsp: { type: 'boolean', default: false },
      'rtsp-port': { type: 'string', default: '0' },
      width: { type: 'string', default: '1280' },
      height: { type: 'string', default: '720' },
      'clock-offset-ms': { type: 'string', default: '0' },
      'discovery-port': { type: 'string' },
    },
  });
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
const { values } = parsed;
if (!values.user) fail('--user is required');
if (values.password === undefined) fail('--password is required');
const port = int(values.port, 'port', 0, 65535) ?? 0;
const rtspPort = int(values['rtsp-port'], 'rtsp-port', 0, 65535) ?? 0;
const width = int(values.width, 'width', 16, 7680) ?? 1280;
const height = int(values.height, 'height', 16, 7680) ?? 720;
const clockOffsetMs = int(values['clock-offset-ms'], 'clock-offset-ms', -1e12, 1e12) ?? 0;
const discoveryPort = int(values['discovery-port'], 'discovery-port', 0, 65535);

let rtsp: RtspTestServer | undefined;
let sim: OnvifCameraSim | undefined;
let stopping = false;

const stop = (code: number) => {
  if (stopping) return;
  stopping = true;
  void Promise.allSettled([sim?.stop(), rtsp?.stop()]).finally(() => {
    if (sim) console.error(JSON.stringify({ sim: 'onvif-camera', name: values.name, stopped: true, ...sim.stats }));
    process.exit(code);
  });
};
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

try {
  if (values.rtsp) {
    // Keep the stream small: it is a stand-in for the camera's sub-stream.
    rtsp = await RtspTestServer.start(rtspPort, '/stream', { title: values.name, width: 640, height: 360 });
  }
  sim = new OnvifCameraSim({
    username: values.user,
    password: values.password,
    name: values.name,
    width,
    height,
    clockOffsetMs,
    ...(rtsp ? { rtspUrl: rtsp.url } : {}),
  });
  await sim.start(port);
  const discovery = discoveryPort === undefined ? undefined : await sim.listenDiscovery(discoveryPort);
  console.log(
    JSON.stringify({
      sim: 'onvif-camera',
      name: sim.name,
      deviceServiceUrl: sim.deviceServiceUrl,
      snapshotUrl: sim.snapshotUrl,
      rtspUrl: sim.rtspUrl,
      rtspLive: rtsp !== undefined,
      ...(discovery === undefined ? {} : { discoveryPort: discovery }),
    }),
  );
} catch (e) {
  console.error(`onvif-camera: ${e instanceof Error ? e.message : String(e)}`);
  stop(1);
}
