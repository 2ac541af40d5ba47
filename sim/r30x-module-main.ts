#!/usr/bin/env node
import { createReadStream, createWriteStream, openSync } from 'node:fs';
import { isatty, ReadStream } from 'node:tty';
import { Duplex } from 'node:stream';
import { parseArgs } from 'node:util';
import { R30xModuleSim } from './r30x-module.js';

/**
 * Runs one simulated R30x/AS608 fingerprint module on the device end of a pty:
 * employees put enrolled (now and then unknown, now and then smudged) fingers on
 * the sensor at random intervals; the host finds them with GenImg/Img2Tz/Search.
 */
const usage =
  'usage: r30x-module --device PATH [--enrolled 1-20[,25,30-35]] [--mean-interval-ms 4000] ' +
  '[--unknown-ratio 0.1] [--bad-image-ratio 0.05] [--address 0xFFFFFFFF] [--password 0] [--library-size 300]';

function fail(message: string): never {
  console.error(`r30x-module: ${message}\n${usage}`);
  process.exit(2);
}

function parseNumber(text: string, name: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) fail(`--${name} ${JSON.stringify(text)} is not a number`);
  return n;
}

/** "1-20,25,30-35" → pages. */
function parseRanges(text: string): number[] {
  const pages: number[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) fail(`--enrolled part ${JSON.stringify(part)} is not N or N-M`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) fail(`--enrolled range ${part} is backwards`);
    for (let page = from; page <= to; page++) pages.push(page);
  }
  return pages;
}

const { values } = parseArgs({
  options: {
    device: { type: 'string' },
    enrolled: { type: 'string', default: '1-20' },
    'mean-interval-ms': { type: 'string', default: '4000' },
    'unknown-ratio': { type: 'string', default: '0.1' },
    'bad-image-ratio': { type: 'string', default: '0.05' },
    address: { type: 'string', default: '0xFFFFFFFF' },
    password: { type: 'string', default: '0' },
    'library-size': { type: 'string', default: '300' },
  },
});
if (!values.device) fail('--device is required');
const device = values.device;
const mean = parseNumber(values['mean-interval-ms'], 'mean-interval-ms');
const unknownRatio = parseNumber(values['unknown-ratio'], 'unknown-ratio');
const badImageRatio = parseNumber(values['bad-image-ratio'], 'bad-image-ratio');
if (mean <= 0) fail('--mean-interval-ms must be positive');

let sim: R30xModuleSim;
try {
  sim = new R30xModuleSim({
    address: parseNumber(values.address, 'address'),
    password: parseNumber(values.password, 'password'),
    librarySize: parseNumber(values['library-size'], 'library-size'),
  });
  for (const page of parseRanges(values.enrolled)) sim.enroll(page);
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
const enrolled = sim.enrolled;

// Two fds on the device. A tty (the pty socat made) is read through a non-blocking
// tty.ReadStream: an fs read stream would park a blocking read() in the libuv pool,
// and process.exit() then hangs until a byte arrives. Anything else (a FIFO, a
// file) falls back to fs streams.
let input: NodeJS.ReadableStream & NodeJS.EventEmitter;
let output: NodeJS.WritableStream & NodeJS.EventEmitter;
try {
  const readFd = openSync(device, 'r');
  input = isatty(readFd) ? new ReadStream(readFd) : createReadStream(device, { fd: readFd });
  output = createWriteStream(device, { flags: 'r+' });
} catch (e) {
  fail(`cannot open ${device}: ${e instanceof Error ? e.message : String(e)}`);
}
const port = Duplex.from({ readable: input, writable: output });
const ioError = (err: Error) => {
  console.error(`r30x-module: ${device}: ${err.message}`);
  stop(1);
};
input.on('error', ioError);
output.on('error', ioError);
sim.attachStream(port);

let placed = 0;
let timer: NodeJS.Timeout | undefined;
const next = () => {
  // Exponential gaps: people arrive at the door in bursts.
  timer = setTimeout(() => {
    const r = Math.random();
    const page = r < unknownRatio || enrolled.length === 0 ? 'unknown' : enrolled[Math.floor(Math.random() * enrolled.length)];
    sim.placeFinger(page ?? 'unknown', {
      score: 40 + Math.floor(Math.random() * 160),
      badImage: Math.random() < badImageRatio,
    });
    placed++;
    next();
  }, -Math.log(1 - Math.random()) * mean);
};
next();

let stopping = false;
function stop(code = 0): void {
  if (stopping) return;
  stopping = true;
  clearTimeout(timer);
  sim.detach();
  console.log(JSON.stringify({ sim: 'r30x-module', device, enrolled: enrolled.length, placed, ...sim.stats }));
  process.exit(code);
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
