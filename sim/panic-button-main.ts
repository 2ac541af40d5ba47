#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { AlarmPanelSim, phonePanic } from './panic-button.js';

/**
 * One simulated panic, for the demo and for a technician checking an installation:
 * an alarm panel line into a pty's device end, or the phone app's POST /panic.
 * (A modem-line button cannot be simulated on a pty: see sim/panic-button.ts.)
 */
const USAGE = `usage:
  panic-button --serial DEVICE [--zone 1] [--text PANIC]
  panic-button --http http://GATEWAY:8082 --token TOKEN --source NAME [--note TEXT] [--lat -5.14 --lon 119.43]`;

const { values } = parseArgs({
  options: {
    serial: { type: 'string' },
    zone: { type: 'string', default: '1' },
    text: { type: 'string', default: 'PANIC' },
    http: { type: 'string' },
    token: { type: 'string' },
    source: { type: 'string' },
    note: { type: 'string' },
    lat: { type: 'string' },
    lon: { type: 'string' },
  },
});

async function main(): Promise<number> {
  if (values.serial) {
    const panel = new AlarmPanelSim(values.serial);
    const line = panel.alarm(Number(values.zone), values.text);
    panel.close();
    console.log(JSON.stringify({ sim: 'alarm-panel', device: values.serial, line }));
    return 0;
  }
  if (values.http && values.token && values.source) {
    const body = {
      source: values.source,
      ...(values.note !== undefined && { note: values.note }),
      ...(values.lat !== undefined && values.lon !== undefined && { lat: Number(values.lat), lon: Number(values.lon) }),
    };
    const answer = await phonePanic(values.http, values.token, body);
    console.log(JSON.stringify({ sim: 'phone-app', status: answer.status, answer: answer.body }));
    return answer.status === 202 ? 0 : 1;
  }
  console.error(USAGE);
  return 2;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(`panic-button: ${(err as Error).message}`);
    process.exitCode = 1;
  },
);
