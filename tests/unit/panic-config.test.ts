import { describe, expect, it } from 'vitest';
import { GatewayConfig } from '../../edge/config.js';

/** The `panic:` section of the gateway file: what a technician gets wrong, named. */

const base = {
  gateway: { id: 'gw-dinkes' },
  cameras: [{ id: 'lobby', snapshotUrl: 'http://192.168.1.20/snap.jpg' }],
  terminals: [{ id: 'x100c', driver: 'line-serial', port: '/dev/ttyUSB0', zone: 'Asia/Makassar' }],
};

function problems(panic: unknown): string[] {
  const r = GatewayConfig.safeParse({ ...base, panic });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

const token = 'a'.repeat(32);

describe('panic config', () => {
  it('accepts buttons, an alarm panel and the phone-app endpoint, with defaults', () => {
    const r = GatewayConfig.parse({
      ...base,
      panic: {
        inputs: [
          { id: 'front-desk', kind: 'modem-line', port: '/dev/ttyUSB1', line: 'dsr', cameras: ['lobby'] },
          { id: 'back-office', kind: 'modem-line', port: '/dev/ttyUSB1', line: 'cts', active: 'low' },
          { id: 'alarm-panel', kind: 'serial-line', port: '/dev/ttyUSB2', match: 'ALARM|PANIC' },
        ],
        http: { tokens: [token], cameras: ['lobby'] },
      },
    });
    expect(r.panic.inputs[0]).toMatchObject({ active: 'high', debounceMs: 50, pollIntervalMs: 20, reopenDelayMs: 5000 });
    expect(r.panic.inputs[2]).toMatchObject({ baudRate: 9600, ignoreCase: false, repeatHoldoffMs: 0, cameras: [] });
    expect(r.panic.http).toMatchObject({ id: 'phone-app', host: '0.0.0.0', port: 8082 });
    expect(GatewayConfig.parse(base).panic).toEqual({ inputs: [] });
  });

  it('explains that RI cannot be read, and where to wire instead', () => {
    expect(problems({ inputs: [{ id: 'b', kind: 'modem-line', port: '/dev/ttyUSB1', line: 'ri' }] })).toEqual([
      'panic.inputs.0.line: ri (ring indicator) cannot be read: serialport reports only cts, dsr and dcd; wire the contact to CTS (pin 8), DSR (pin 6) or DCD (pin 1)',
    ]);
  });

  it('refuses unknown cameras, duplicate ids, shared ports and lines, and bad patterns', () => {
    expect(problems({ inputs: [{ id: 'b', kind: 'modem-line', port: '/dev/ttyUSB1', line: 'dsr', cameras: ['parkir'] }] })).toEqual(['panic.inputs.0.cameras.0: no camera "parkir" in cameras:']);
    expect(problems({ inputs: [{ id: 'b', kind: 'modem-line', port: '/dev/ttyUSB0', line: 'dsr' }] })).toEqual(['panic.inputs.0.port: port already used by terminal x100c']);
    expect(
      problems({
        inputs: [
          { id: 'b', kind: 'modem-line', port: '/dev/ttyUSB1', line: 'dsr' },
          { id: 'b', kind: 'modem-line', port: '/dev/ttyUSB1', line: 'dsr' },
          { id: 'p', kind: 'serial-line', port: '/dev/ttyUSB1', match: 'ALARM' },
        ],
        http: { id: 'p', tokens: [token] },
      }),
    ).toEqual([
      'panic.inputs.1.id: duplicate input id (also panic.inputs[0])',
      'panic.inputs.1.line: dsr of /dev/ttyUSB1 is already read by panic.inputs[0]',
      'panic.inputs.2.port: port already used by panic.inputs[1]',
      'panic.http.id: duplicate input id (also panic.inputs[2])',
    ]);
    expect(problems({ inputs: [{ id: 'p', kind: 'serial-line', port: '/dev/ttyUSB3', match: 'ALARM(' }] })).toEqual(['panic.inputs.0.match: not a valid regular expression (JavaScript syntax)']);
    expect(problems({ http: { tokens: ['short'] } })).toEqual(['panic.http.tokens.0: at least 16 characters (e.g. openssl rand -hex 24)']);
    expect(problems({ http: { tokens: [] } })[0]).toMatch(/^panic\.http\.tokens: /);
  });
});
