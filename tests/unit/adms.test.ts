import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ProtocolError } from '../../protocols/errors.js';
import {
  AdmsProtocolError,
  TRANS_FLAGS,
  formatAttlogAck,
  formatCommand,
  formatCommands,
  formatHandshakeReply,
  parseAttlogBody,
  parseDeviceCmdResult,
  parseGetRequestReply,
  parseHandshakeReply,
  parseQuery,
  type AdmsCommand,
  type HandshakeOptions,
  type NaiveDateTime,
} from '../../protocols/adms/index.js';
import { naiveTimeArb } from '../helpers/codec.js';

function onlyCodecErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AdmsProtocolError);
  }
}

// Sources of the vectors below:
//  [PUSH]  ZKTeco "Attendance PUSH Communication Protocol", PUSH SDK doc V4.0 (2021-01),
//          push protocol 2.4.2 — §6 handshake example, §11.2 ATTLOG example (9 lines,
//          reply "OK:9", Content-Length 4), §13 devicecmd example (5 records).
//  [CAP]   Real terminal captures quoted in public GitHub projects:
//          "1156\t2024-08-05 12:40:57\t1\t1\t\t0\t0\t" (empty workcode, trailing HT) and
//          "3\t2023-10-16 08:38:16\t255\t15\t0\t0\t0\t255\t0\t0\t" (status 255, face = 15).
describe('adms public vectors', () => {
  it('reproduces the handshake reply example [PUSH §6]', () => {
    const options: HandshakeOptions = {
      sn: '0316144680030',
      stamps: { ATTLOG: 'None', OPERLOG: '9999', ATTPHOTO: 'None' },
      errorDelay: 30,
      delay: 10,
      transTimes: ['00:00', '14:05'],
      transInterval: 1,
      transFlags: ['AttLog', 'OpLog', 'AttPhoto', 'EnrollUser', 'ChgUser', 'EnrollFP', 'ChgFP', 'UserPic'],
      timeZone: 8,
      realtime: true,
    };
    expect(formatHandshakeReply(options)).toBe(
      [
        'GET OPTION FROM: 0316144680030',
        'ATTLOGStamp=None',
        'OPERLOGStamp=9999',
        'ATTPHOTOStamp=None',
        'ErrorDelay=30',
        'Delay=10',
        'TransTimes=00:00;14:05',
        'TransInterval=1',
        'TransFlag=TransData AttLog\tOpLog\tAttPhoto\tEnrollUser\tChgUser\tEnrollFP\tChgFP\tUserPic',
        'TimeZone=8',
        'Realtime=1',
        'Encrypt=None',
      ].join('\n'),
    );
  });

  it('parses the ATTLOG example and acks it as "OK:9" [PUSH §11.2]', () => {
    const secs = ['28', '29', '30', '31', '33', '34', '35', '36', '37'];
    const body = secs.map((s, i) => `${i < 7 ? 1452 : 8965}\t2015-07-30 15:16:${s}\t0\t1\t0\t0\t0`).join('\n');
    const { punches, errors } = parseAttlogBody(body);
    expect(errors).toEqual([]);
    expect(punches).toHaveLength(9);
    expect(punches[0]).toEqual({
      line: 1,
      pin: '1452',
      deviceTime: { year: 2015, month: 7, day: 30, hour: 15, minute: 16, second: 28 },
      status: 0,
      verify: 1,
      workcode: '0',
    });
    expect(punches[8]?.pin).toBe('8965');
    const ack = formatAttlogAck(punches.length);
    expect(ack).toBe('OK:9');
    expect(Buffer.byteLength(ack)).toBe(4); // the doc's Content-Length
  });

  it('parses real captures with empty workcode, trailing tab, extra fields [CAP]', () => {
    const body = '1156\t2024-08-05 12:40:57\t1\t1\t\t0\t0\t\n3\t2023-10-16 08:38:16\t255\t15\t0\t0\t0\t255\t0\t0\t\n';
    const { punches, errors } = parseAttlogBody(body);
    expect(errors).toEqual([]);
    expect(punches.map((p) => [p.pin, p.status, p.verify, p.workcode])).toEqual([
      ['1156', 1, 1, null],
      ['3', 255, 15, '0'],
    ]);
  });

  it('parses the devicecmd example [PUSH §13]', () => {
    const body = [
      'ID=info8487&Return=0&CMD=DATA',
      'ID=info8488&Return=0&CMD=DATA',
      'ID=info8489&Return=0&CMD=DATA',
      'ID=info7464&Return=0&CMD=DATA',
      'ID=fp7464&Return=0&CMD=DATA',
      '',
    ].join('\n');
    const results = parseDeviceCmdResult(body);
    expect(results.map((r) => r.id)).toEqual(['info8487', 'info8488', 'info8489', 'info7464', 'fp7464']);
    expect(results[0]).toEqual({ id: 'info8487', returnCode: 0, cmd: 'DATA', fields: {}, info: [] });
  });

  it('validates the doc example queries [PUSH §6, §11.2]', () => {
    const hs = parseQuery('SN=0316144680030&options=all&pushver=2.2.14&language=83&pushcommkey=4a9594af164f2b9779b59e8554b5df26');
    expect(hs).toEqual({ ok: true, value: { sn: '0316144680030', table: null, stamp: null, options: 'all', pushver: '2.2.14' } });
    const up = parseQuery('?SN=0316144680030&table=ATTLOG&Stamp=9999');
    expect(up.ok && up.value).toMatchObject({ table: 'ATTLOG', stamp: '9999' });
  });
});

describe('adms error reporting', () => {
  it('reports bad ATTLOG lines with 1-based line and field, keeping good ones', () => {
    const body = [
      '1\t2024-02-29 08:00:00\t0\t1', // leap day: fine, trailing fields omitted
      '2\t2023-02-29 08:00:00\t0\t1', // no such day
      '',
      '3 2024-01-01 08:00:00 0 1', // spaces instead of tabs
      '4\t2024-01-01 24:00:00\t0\t1',
      '5\t2024-01-01 08:00:00\t256\t1',
      '6\t2024-01-01 08:00:00\t0',
      'bad pin\t2024-01-01 08:00:00\t0\t1',
      '8\t2024-01-01 08:00:00\t0\t1\tw c',
      '9\t2024-01-01 08:00:00\t0\t1\r',
    ].join('\n');
    const { punches, errors } = parseAttlogBody(body);
    expect(punches.map((p) => [p.pin, p.line])).toEqual([
      ['1', 1],
      ['9', 10],
    ]);
    expect(errors.map((e) => e.error.where)).toEqual([
      'line 2, field 2',
      'line 4, field 1',
      'line 5, field 2',
      'line 6, field 3',
      'line 7, field 4',
      'line 8, field 1',
      'line 9, field 5',
    ]);
    expect(errors[0]?.reason).toMatch(/day 29 does not exist in 2023-02/);
    expect(errors[4]?.reason).toBe('missing verify');
    for (const e of errors) expect(e.error).toBeInstanceOf(ProtocolError);
  });

  it.each([
    ['', /missing SN.*query parameter SN/],
    ['SN=A&SN=B', /given 2 times/],
    ['SN=AB-12', /not 1-32 letters\/digits/],
    ['SN=A1&table=USERINFO', /unsupported table.*query parameter table/],
    ['SN=A1&table=ATTLOG&Stamp=abc', /query parameter Stamp/],
    ['SN=A1&options=some', /options must be "all"/],
    ['SN=A1&pushver=x', /query parameter pushver/],
  ])('parseQuery(%j) returns an AdmsProtocolError', (query, message) => {
    const r = parseQuery(query);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(message);
  });

  it('rejects malformed command results, naming the line', () => {
    expect(() => parseDeviceCmdResult('')).toThrowError(/no command result records/);
    expect(() => parseDeviceCmdResult('ID=1&Return=x&CMD=DATA')).toThrowError(/line 1, Return/);
    expect(() => parseDeviceCmdResult('ID=1&Return=0&CMD=DATA\nID=2&Return=0')).toThrowError(/missing CMD.*line 2, CMD/);
    expect(() => parseDeviceCmdResult('junk')).toThrowError(/\(at line 1\)/);
    expect(() => parseDeviceCmdResult('ID=1&ID=2&Return=0&CMD=X')).toThrowError(/duplicate key ID/);
  });

  it('keeps extra result fields and INFO lines', () => {
    const [verify] = parseDeviceCmdResult('ID=7&Return=0&CMD=VERIFY SUM&StartTime=2024-01-01 00:00:00&AttlogSum=12');
    expect(verify?.fields).toEqual({ StartTime: '2024-01-01 00:00:00', AttlogSum: '12' });
    const [info] = parseDeviceCmdResult('ID=8&Return=-1&CMD=INFO\r\nUserCount=3\r\nFPCount=5\r\n');
    expect(info).toMatchObject({ returnCode: -1, info: ['UserCount=3', 'FPCount=5'] });
  });

  it('refuses command ids and bodies that could forge extra records', () => {
    expect(formatCommand('123', 'REBOOT')).toBe('C:123:REBOOT');
    expect(formatCommands([])).toBe('OK');
    expect(() => formatCommand('a:b', 'REBOOT')).toThrowError(/argument id/);
    expect(() => formatCommand('x'.repeat(17), 'REBOOT')).toThrowError(AdmsProtocolError);
    expect(() => formatCommand('1', 'CHECK\nC:2:REBOOT')).toThrowError(/argument command/);
    expect(() => formatAttlogAck(-1)).toThrowError(/argument count/);
  });

  it('refuses handshake options that are out of range or inject lines', () => {
    const base: HandshakeOptions = {
      sn: 'A1', errorDelay: 30, delay: 10, transTimes: [], transInterval: 1, transFlags: ['AttLog'], timeZone: 7, realtime: true,
    };
    expect(formatHandshakeReply({ ...base, timeZone: 330 })).toContain('TimeZone=330');
    expect(() => formatHandshakeReply({ ...base, timeZone: 13 })).toThrowError(/option TimeZone/);
    expect(() => formatHandshakeReply({ ...base, transTimes: ['24:00'] })).toThrowError(/option TransTimes/);
    expect(() => formatHandshakeReply({ ...base, stamps: { ATTLOG: '1\nRealtime=0' } })).toThrowError(/ATTLOGStamp/);
    expect(() => formatHandshakeReply({ ...base, serverVer: 'x\ny' })).toThrowError(/option ServerVer/);
    expect(() => formatHandshakeReply({ ...base, delay: 0 })).toThrowError(/option Delay/);
    expect(() => parseHandshakeReply('OPTION\nA=1')).toThrowError(/at line 1/);
    expect(() => parseHandshakeReply('GET OPTION FROM: A1\nnoequals')).toThrowError(/at line 2/);
  });
});

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const formatTime = (t: NaiveDateTime): string =>
  `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)} ${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;

const timeArb = naiveTimeArb(1970, 2099);

const token = (max: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...'ABCxyz0123456789_-'), minLength: 1, maxLength: max });

const punchArb = fc.record({
  pin: token(24),
  deviceTime: timeArb,
  status: fc.integer({ min: 0, max: 255 }),
  verify: fc.integer({ min: 0, max: 255 }),
  workcode: fc.option(token(24), { nil: null }),
});

describe('adms properties', () => {
  it('ATTLOG lines round-trip, with bad lines reported at the right line number', () => {
    const lineArb = fc.oneof(
      { weight: 4, arbitrary: punchArb.map((p) => ({ good: true as const, p })) },
      { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !s.includes('\t') && s.trim() !== '' && !/[\r\n]/.test(s)).map((s) => ({ good: false as const, s })) },
    );
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 20 }), fc.boolean(), (lines, crlf) => {
        const text = lines
          .map((l) => (l.good ? [l.p.pin, formatTime(l.p.deviceTime), l.p.status, l.p.verify, l.p.workcode ?? ''].join('\t') : l.s))
          .join(crlf ? '\r\n' : '\n');
        const { punches, errors } = parseAttlogBody(text);
        const goodLines = lines.flatMap((l, i) => (l.good ? [{ line: i + 1, ...l.p }] : []));
        expect(punches).toEqual(goodLines);
        expect(errors.map((e) => e.line)).toEqual(lines.flatMap((l, i) => (l.good ? [] : [i + 1])));
      }),
      { numRuns: 1000 },
    );
  });

  it('commands round-trip through the getrequest reply', () => {
    const cmdArb: fc.Arbitrary<AdmsCommand> = fc.record({
      id: fc.string({ unit: fc.constantFrom(...'abcXYZ0189'), minLength: 1, maxLength: 16 }),
      command: fc.string({ minLength: 1, maxLength: 60 }).filter((s) => !/[\r\n\0]/.test(s)),
    });
    fc.assert(
      fc.property(fc.array(cmdArb, { maxLength: 10 }), (cmds) => {
        expect(parseGetRequestReply(formatCommands(cmds))).toEqual(cmds);
      }),
      { numRuns: 1000 },
    );
  });

  it('handshake options round-trip through parseHandshakeReply', () => {
    const optsArb = fc.record({
      sn: fc.string({ unit: fc.constantFrom(...'AZaz09'), minLength: 1, maxLength: 32 }),
      errorDelay: fc.integer({ min: 1, max: 86400 }),
      delay: fc.integer({ min: 1, max: 86400 }),
      transTimes: fc.array(fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${pad(h)}:${pad(m)}`), { maxLength: 10 }),
      transInterval: fc.integer({ min: 0, max: 1440 }),
      transFlags: fc.subarray([...TRANS_FLAGS], { minLength: 1 }),
      timeZone: fc.oneof(fc.integer({ min: -11, max: 11 }), fc.integer({ min: 61, max: 840 }), fc.integer({ min: -840, max: -61 })),
      realtime: fc.boolean(),
    });
    fc.assert(
      fc.property(optsArb, (o) => {
        const parsed = parseHandshakeReply(formatHandshakeReply(o));
        expect(parsed.sn).toBe(o.sn);
        expect(parsed.options.get('TimeZone')).toBe(String(o.timeZone));
        expect(parsed.options.get('TransFlag')).toBe(`TransData ${o.transFlags.join('\t')}`);
        expect(parsed.options.get('TransTimes')).toBe(o.transTimes.join(';'));
        expect(parsed.options.get('Realtime')).toBe(o.realtime ? '1' : '0');
      }),
      { numRuns: 500 },
    );
  });
});

describe('adms fuzzing', () => {
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.array(fc.constantFrom('ID=', '&', 'Return=', 'CMD=', '\t', '\n', '\r', '=', 'C:', '1', '-', ':', ' ', '2024-01-01 00:00:00', 'GET OPTION FROM: '), { maxLength: 40 }).map((a) => a.join('')),
  );

  it('parseAttlogBody never throws and accounts for every non-blank line', () => {
    fc.assert(
      fc.property(text, (t) => {
        const { punches, errors } = parseAttlogBody(t);
        const nonBlank = t.replace(/^\uFEFF/, '').split('\n').filter((l) => l.replace(/\r$/, '').trim() !== '').length;
        expect(punches.length + errors.length).toBe(nonBlank);
        for (const e of errors) expect(e.error).toBeInstanceOf(AdmsProtocolError);
      }),
      { numRuns: 3000 },
    );
  });

  it('parseQuery never throws; other parsers throw only AdmsProtocolError', () => {
    fc.assert(
      fc.property(text, (t) => {
        const q = parseQuery(t);
        if (!q.ok) expect(q.error).toBeInstanceOf(AdmsProtocolError);
        onlyCodecErrors(() => parseDeviceCmdResult(t));
        onlyCodecErrors(() => parseGetRequestReply(t));
        onlyCodecErrors(() => parseHandshakeReply(t));
      }),
      { numRuns: 3000 },
    );
  });

  it('truncating a valid body keeps every complete line before the cut', () => {
    fc.assert(
      fc.property(fc.array(punchArb, { minLength: 1, maxLength: 10 }), fc.nat(), (ps, n) => {
        const body = ps.map((p) => [p.pin, formatTime(p.deviceTime), p.status, p.verify].join('\t')).join('\n');
        const cut = body.slice(0, n % (body.length + 1));
        const complete = cut.split('\n').length - 1;
        const { punches } = parseAttlogBody(cut);
        expect(punches.length).toBeGreaterThanOrEqual(complete);
        expect(punches.slice(0, complete).map((p) => p.pin)).toEqual(ps.slice(0, complete).map((p) => p.pin));
      }),
      { numRuns: 1000 },
    );
  });
});
