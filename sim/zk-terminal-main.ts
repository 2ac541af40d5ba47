#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ATT_RECORD_SIZES, LIVE_ATT_LENGTHS, formatNaive } from '../protocols/zk/index.js';
import { ZkTerminalSim } from './zk-terminal.js';

/**
 * Runs one simulated ZK binary-protocol terminal for the demo: a pre-filled
 * attendance log, then employees punching at random (exponential gaps), each
 * punch pushed as a realtime event to subscribed clients.
 *
 *   node dist/sim/zk-terminal-main.js --tcp-port 4370 --udp-port 4370 --zone Asia/Makassar \
 *     --comm-key 0 --records 500 --mean-interval-ms 3000 --employees 40 --clock-offset-ms 0
 *
 * Port 0 picks a free port; "--udp-port off" (or "--tcp-port off") disables that transport.
 */
const USAGE =
  'usage: zk-terminal [--tcp-port 4370|0|off] [--udp-port 4370|0|off] [--host 127.0.0.1] [--zone Asia/Makassar] ' +
  '[--comm-key 0] [--records 500] [--mean-interval-ms 3000] [--employees 40] [--employee-prefix 1] ' +
  '[--clock-offset-ms 0] [--clock-drift-ppm 0] [--record-size 40] [--live-layout 36]';

function fail(message: string): never {
  console.error(`zk-terminal: ${message}\n${USAGE}`);
  process.exit(2);
}

const OPTIONS = {
  'tcp-port': { type: 'string', default: '4370' },
  'udp-port': { type: 'string', default: '4370' },
  host: { type: 'string', default: '127.0.0.1' },
  zone: { type: 'string', default: 'Asia/Makassar' },
  'comm-key': { type: 'string', default: '0' },
  records: { type: 'string', default: '500' },
  'mean-interval-ms': { type: 'string', default: '3000' },
  employees: { type: 'string', default: '40' },
  'employee-prefix': { type: 'string', default: '1' },
  'clock-offset-ms': { type: 'string', default: '0' },
  'clock-drift-ppm': { type: 'string', default: '0' },
  'record-size': { type: 'string', default: '40' },
  'live-layout': { type: 'string', default: '36' },
} as const;
type OptionName = keyof typeof OPTIONS;

function parse(): Record<OptionName, string> {
  try {
    return parseArgs({ options: OPTIONS, strict: true }).values;
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
}
const values = parse();

function int(name: OptionName, min: number, max: number): number {
  const raw = values[name];
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    fail(`--${name} must be an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}
const port = (name: 'tcp-port' | 'udp-port'): number | undefined => (values[name] === 'off' ? undefined : int(name, 0, 65535));

const recordSize = ATT_RECORD_SIZES.find((s) => s === int('record-size', 0, 1000));
const liveLayout = LIVE_ATT_LENGTHS.find((l) => l === int('live-layout', 0, 1000));
if (recordSize === undefined) fail(`--record-size must be one of ${ATT_RECORD_SIZES.join(', ')}`);
if (liveLayout === undefined) fail(`--live-layout must be one of ${LIVE_ATT_LENGTHS.join(', ')}`);
const tcpPort = port('tcp-port');
const udpPort = port('udp-port');
if (tcpPort === undefined && udpPort === undefined) fail('--tcp-port and --udp-port cannot both be off');
const employees = int('employees', 1, 65_000);
const prefix = values['employee-prefix'];
const meanMs = int('mean-interval-ms', 1, 86_400_000);
const preload = int('records', 0, 10_000_000);
const ids = Array.from({ length: employees }, (_, i) => `${prefix}${String(i + 1).padStart(3, '0')}`);

let sim: ZkTerminalSim;
try {
  sim = new ZkTerminalSim({
    zone: values.zone,
    commKey: int('comm-key', 0, 0xffffffff),
    clockOffsetMs: int('clock-offset-ms', -1e12, 1e12),
    clockDriftPpm: int('clock-drift-ppm', -1_000_000, 1_000_000),
    recordSize,
    liveLayout,
  });
  sim.addRecords(preload, { userIds: ids, spacingMs: meanMs });
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}

const host = values.host;
let punches = 0;
let timer: NodeJS.Timeout | undefined;
let stopping = false;

function next(): void {
  // Exponential gaps: punches arrive in bursts, as at an office door at 07:30.
  timer = setTimeout(() => {
    const userId = ids[Math.floor(Math.random() * ids.length)] ?? ids[0] ?? '1001';
    sim.punch(userId, new Date(), { status: punches % 7 === 6 ? 1 : 0, verify: 1 });
    punches++;
    next();
  }, -Math.log(1 - Math.random()) * meanMs);
  timer.unref();
}

async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearTimeout(timer);
  await sim.close();
  // A gateway that died mid-download leaves the device disabled: its punches are still held.
  console.log(JSON.stringify({ sim: 'zk-terminal', event: 'stopped', signal, punches, records: sim.records.length, disabled: sim.disabled, held: sim.heldPunches, stats: sim.stats }));
  process.exit(0);
}

try {
  const tcp = tcpPort === undefined ? null : await sim.listenTcp(tcpPort, host);
  const udp = udpPort === undefined ? null : await sim.listenUdp(udpPort, host);
  console.log(
    JSON.stringify({
      sim: 'zk-terminal',
      event: 'listening',
      host,
      tcpPort: tcp,
      udpPort: udp,
      zone: values.zone,
      records: sim.records.length,
      deviceTime: formatNaive(sim.deviceNow()),
    }),
  );
} catch (err) {
  await sim.close();
  console.error(`zk-terminal: cannot listen: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
next();
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
