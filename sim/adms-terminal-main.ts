#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { AdmsTerminalSim } from './adms-terminal.js';

/**
 * Runs one simulated ADMS push terminal: employees punch at random intervals and
 * the terminal uploads them to the server (the gateway) and polls for commands.
 */
const usage =
  'usage: adms-terminal --server URL --sn SERIAL [--zone Asia/Jakarta] [--mean-interval-ms 3000] [--employees 40] ' +
  '[--employee-prefix 1] [--poll-interval-ms 2000]';

function fail(message: string): never {
  console.error(`adms-terminal: ${message}\n${usage}`);
  process.exit(2);
}

function positive(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) fail(`--${name} ${JSON.stringify(text)} is not a positive number`);
  return n;
}

const { values } = parseArgs({
  options: {
    server: { type: 'string' },
    sn: { type: 'string' },
    zone: { type: 'string', default: 'Asia/Jakarta' },
    'mean-interval-ms': { type: 'string', default: '3000' },
    employees: { type: 'string', default: '40' },
    'employee-prefix': { type: 'string', default: '1' },
    'poll-interval-ms': { type: 'string', default: '2000' },
  },
});
if (!values.server) fail('--server is required');
if (!values.sn) fail('--sn is required');
const mean = positive(values['mean-interval-ms'], 'mean-interval-ms');
const employees = Math.floor(positive(values.employees, 'employees'));
const sn = values.sn;

let sim: AdmsTerminalSim;
try {
  sim = new AdmsTerminalSim({
    serverUrl: values.server,
    serialNumber: sn,
    zone: values.zone,
    pollIntervalMs: positive(values['poll-interval-ms'], 'poll-interval-ms'),
    log: (line) => console.log(`[adms-terminal ${sn}] ${line}`),
  });
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}

let punches = 0;
let timer: NodeJS.Timeout | undefined;
const next = () => {
  // Exponential gaps: punches arrive in bursts, as at an office door at 07:30.
  timer = setTimeout(() => {
    const pin = `${values['employee-prefix']}${String(1 + Math.floor(Math.random() * employees)).padStart(3, '0')}`;
    sim.punch(pin, new Date(), { status: punches % 7 === 6 ? 1 : 0, verify: 1 });
    punches++;
    next();
  }, -Math.log(1 - Math.random()) * mean);
};
sim.start();
next();

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  clearTimeout(timer);
  void sim.stop().finally(() => {
    console.log(JSON.stringify({ sim: 'adms-terminal', sn, server: values.server, punches, queued: sim.queued, ...sim.stats }));
    process.exit(0);
  });
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
