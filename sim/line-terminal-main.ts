#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { LineFormat } from '../protocols/line/format.js';
import { LineTerminalSim } from './line-terminal.js';

/**
 * Runs one simulated terminal: employees punch at random intervals (a morning rush
 * compressed into minutes), printed into the device end of a pty.
 */
const { values } = parseArgs({
  options: {
    device: { type: 'string' },
    zone: { type: 'string', default: 'Asia/Jakarta' },
    employees: { type: 'string', default: '40' },
    'mean-interval-ms': { type: 'string', default: '1500' },
    'employee-prefix': { type: 'string', default: '1' },
    fields: { type: 'string', default: 'employee,time,status,verify' },
    separator: { type: 'string', default: ',' },
  },
});
if (!values.device) {
  console.error('usage: line-terminal --device PATH [--zone Asia/Makassar] [--employees 40] [--mean-interval-ms 1500] [--fields employee,time,status,verify] [--separator ,]');
  process.exit(2);
}
const format = LineFormat.safeParse({ fields: values.fields.split(','), separator: values.separator });
if (!format.success) {
  console.error(`line-terminal: bad --fields/--separator: ${format.error.issues.map((i) => i.message).join('; ')}`);
  process.exit(2);
}
const sim = new LineTerminalSim(values.device, values.zone, format.data);
const employees = Number(values.employees);
const mean = Number(values['mean-interval-ms']);
let count = 0;
let timer: NodeJS.Timeout | undefined;
const next = () => {
  // Exponential gaps: punches arrive in bursts, as at an office door at 07:30.
  timer = setTimeout(() => {
    const employee = `${values['employee-prefix']}${String(1 + Math.floor(Math.random() * employees)).padStart(3, '0')}`;
    sim.punch(employee, new Date(), { status: count % 7 === 6 ? '1' : '0', verify: '1' });
    count++;
    next();
  }, -Math.log(1 - Math.random()) * mean);
};
sim.open();
next();
const stop = () => {
  clearTimeout(timer);
  sim.close();
  console.log(JSON.stringify({ sim: 'line-terminal', device: values.device, punches: count }));
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
