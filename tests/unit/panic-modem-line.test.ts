import { afterEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { ModemLineInputConfig, PanicConfig } from '../../edge/panic/config.js';
import { LineDebouncer, ModemLineReader } from '../../edge/panic/modem-line.js';
import { PanicService, type NewPanicRecord } from '../../edge/panic/service.js';
import { PanicRecord } from '../../protocols/mqtt/payloads.js';
import { SimulatedSerialAdapter } from '../../sim/panic-button.js';

/**
 * The modem-line reader against a simulated adapter: pseudo-terminals carry no modem
 * lines, so the reader gets ports whose get() reports what the wired contacts do.
 * Timers and Date are fake; the ports answer in microtasks, as serialport does.
 */

const log = pino({ level: 'silent' });
const T0 = Date.parse('2026-11-26T01:00:00.000Z');

afterEach(() => {
  vi.useRealTimers();
});

function fakeTime(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  vi.setSystemTime(T0);
}

const input = (over: Partial<ModemLineInputConfig> & { id: string }) => ModemLineInputConfig.parse({ kind: 'modem-line', port: '/dev/ttyUSB9', line: 'dsr', ...over });

interface Rig {
  adapter: SimulatedSerialAdapter;
  reader: ModemLineReader;
  presses: { input: string; atMs: number }[];
}

async function rig(inputs: ModemLineInputConfig[], setup: (a: SimulatedSerialAdapter) => void = () => undefined): Promise<Rig> {
  fakeTime();
  const adapter = new SimulatedSerialAdapter();
  setup(adapter);
  const presses: Rig['presses'] = [];
  const reader = new ModemLineReader('/dev/ttyUSB9', inputs, (i, atMs) => presses.push({ input: i.id, atMs }), log, adapter.opener);
  reader.start();
  await vi.advanceTimersByTimeAsync(1);
  return { adapter, reader, presses };
}

describe('LineDebouncer', () => {
  it('counts a level once it held for the debounce time, from when it began', () => {
    const d = new LineDebouncer(50);
    d.reset(false);
    expect(d.update(true, 0)).toBeUndefined();
    expect(d.update(false, 10)).toBeUndefined(); // bounce
    expect(d.update(true, 20)).toBeUndefined();
    expect(d.update(true, 69)).toBeUndefined();
    expect(d.update(true, 70)).toEqual({ pressed: true, sinceMs: 20 });
    expect(d.update(true, 500)).toBeUndefined();
    expect(d.update(false, 600)).toBeUndefined();
    expect(d.update(false, 650)).toEqual({ pressed: false, sinceMs: 600 });
  });

  it('with 0 ms takes every change at once; the first sample is only a baseline', () => {
    const d = new LineDebouncer(0);
    expect(d.update(true, 0)).toBeUndefined();
    expect(d.update(false, 1)).toEqual({ pressed: false, sinceMs: 1 });
  });
});

describe('modem-line panic input', () => {
  it('turns one bouncing press on DSR into exactly one press, timed at the first contact', async () => {
    let button!: ReturnType<SimulatedSerialAdapter['button']>;
    const r = await rig([input({ id: 'lobby-button', debounceMs: 30, pollIntervalMs: 5 })], (a) => (button = a.button('dsr')));
    // The reader asserts DTR: it is the supply the contact switches onto DSR (pin 4 -> pin 6).
    expect(r.adapter.opened[0]!.outputs).toEqual({ dtr: true, rts: true });
    const pressedAt = Date.now();
    const pressing = button.press(300, { bounces: 4, bounceMs: 2 });
    await vi.advanceTimersByTimeAsync(1000);
    await pressing;
    expect(r.presses).toHaveLength(1);
    expect(r.presses[0]!.input).toBe('lobby-button');
    expect(r.presses[0]!.atMs - pressedAt).toBeLessThan(20);
    await r.reader.stop();
  });

  it('ignores a glitch shorter than the debounce time', async () => {
    let button!: ReturnType<SimulatedSerialAdapter['button']>;
    const r = await rig([input({ id: 'b', line: 'cts', debounceMs: 100, pollIntervalMs: 10 })], (a) => (button = a.button('cts', { from: 'rts' })));
    button.hold(true);
    await vi.advanceTimersByTimeAsync(40);
    button.hold(false);
    await vi.advanceTimersByTimeAsync(500);
    expect(r.presses).toHaveLength(0);
    button.hold(true);
    await vi.advanceTimersByTimeAsync(200);
    expect(r.presses).toHaveLength(1);
    await r.reader.stop();
  });

  it('active low: a normally-closed alarm relay on DCD is "pressed" when it opens', async () => {
    let relay!: ReturnType<SimulatedSerialAdapter['button']>;
    const r = await rig([input({ id: 'relay', line: 'dcd', active: 'low', debounceMs: 20, pollIntervalMs: 5 })], (a) => (relay = a.button('dcd', { normallyClosed: true })));
    await vi.advanceTimersByTimeAsync(200);
    expect(r.presses).toHaveLength(0); // closed loop at rest: nothing
    relay.hold(true); // the relay opens the loop
    await vi.advanceTimersByTimeAsync(200);
    expect(r.presses.map((p) => p.input)).toEqual(['relay']);
    await r.reader.stop();
  });

  it('reads two buttons on one adapter through one port, each on its own line', async () => {
    let front!: ReturnType<SimulatedSerialAdapter['button']>;
    let back!: ReturnType<SimulatedSerialAdapter['button']>;
    const r = await rig([input({ id: 'front', line: 'dsr', pollIntervalMs: 50 }), input({ id: 'back', line: 'cts', pollIntervalMs: 10, debounceMs: 20 })], (a) => {
      front = a.button('dsr');
      back = a.button('cts', { from: 'rts' });
    });
    expect(r.adapter.opened).toHaveLength(1);
    back.hold(true);
    await vi.advanceTimersByTimeAsync(100);
    front.hold(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(r.presses.map((p) => p.input)).toEqual(['back', 'front']);
    // The shorter interval of the two is used for the shared port.
    expect(r.adapter.opened[0]!.reads).toBeGreaterThanOrEqual(18);
    await r.reader.stop();
  });

  it('does not count a contact that is already pressed at start, only the next press', async () => {
    let button!: ReturnType<SimulatedSerialAdapter['button']>;
    const r = await rig([input({ id: 'stuck', debounceMs: 10, pollIntervalMs: 5 })], (a) => {
      button = a.button('dsr');
      button.hold(true);
    });
    await vi.advanceTimersByTimeAsync(200);
    expect(r.presses).toHaveLength(0);
    button.hold(false);
    await vi.advanceTimersByTimeAsync(100);
    button.hold(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(r.presses).toHaveLength(1);
    await r.reader.stop();
  });

  it('reopens an adapter that was unplugged and reads presses again', async () => {
    let button!: ReturnType<SimulatedSerialAdapter['button']>;
    const r = await rig([input({ id: 'b', debounceMs: 10, pollIntervalMs: 5, reopenDelayMs: 1000 })], (a) => (button = a.button('dsr')));
    expect(r.reader.up).toBe(true);
    r.adapter.unplug();
    await vi.advanceTimersByTimeAsync(10);
    expect(r.reader.up).toBe(false);
    await vi.advanceTimersByTimeAsync(1500); // one reopen fails: still unplugged
    expect(r.reader.up).toBe(false);
    r.adapter.plugIn();
    await vi.advanceTimersByTimeAsync(1100);
    expect(r.reader.up).toBe(true);
    expect(r.adapter.opened.length).toBeGreaterThanOrEqual(3);
    button.hold(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(r.presses).toHaveLength(1);
    await r.reader.stop();
  });
});

describe('PanicService with a modem-line button', () => {
  it('commits a valid panic record naming the input and its cameras, then asks those cameras for a full frame', async () => {
    fakeTime();
    const adapter = new SimulatedSerialAdapter();
    const button = adapter.button('dsr');
    const committed: NewPanicRecord[] = [];
    const grabs: string[] = [];
    const config = PanicConfig.parse({ inputs: [{ id: 'front-desk', kind: 'modem-line', port: '/dev/ttyUSB9', line: 'dsr', debounceMs: 20, pollIntervalMs: 5, cameras: ['lobby', 'gate'] }] });
    const service = new PanicService(
      config,
      {
        commit: (r) => committed.push(r),
        grabFull: async (camera) => {
          grabs.push(camera);
          return `${camera}: full frame sent`;
        },
      },
      log,
      adapter.opener,
    );
    await service.start();
    await vi.advanceTimersByTimeAsync(10);
    button.hold(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(committed).toHaveLength(1);
    const record = PanicRecord.parse({ ...committed[0], seq: 1 });
    expect(record).toMatchObject({ kind: 'panic', input: 'front-desk', via: 'modem-line', cameras: ['lobby', 'gate'] });
    expect(Date.parse(record.at) - T0).toBeLessThan(30);
    expect(grabs).toEqual(['lobby', 'gate']);
    await service.stop();
  });
});
