import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  formatAttlogAck,
  formatCommands,
  formatHandshakeReply,
  parseAttlogBody,
  parseDeviceCmdResult,
  parseQuery,
  type HandshakeOptions,
} from '../../protocols/adms/index.js';
import { AdmsHttpError, AdmsTerminalSim } from '../../sim/adms-terminal.js';

// Vectors: ZKTeco "Attendance PUSH Communication Protocol" doc V4.0 [PUSH]:
// §6 handshake reply example (SN 0316144680030), §11.2 ATTLOG example
// ("1452\t2015-07-30 15:16:28\t0\t1\t0\t0\t0", nine lines, reply "OK:9"), §12 command records.

interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
}

type Responder = (req: Recorded) => { status: number; body: string };

const SN = '0316144680030';
const HANDSHAKE: HandshakeOptions = {
  sn: SN,
  stamps: { ATTLOG: 'None', OPERLOG: '9999', ATTPHOTO: 'None' },
  errorDelay: 30,
  delay: 10,
  transTimes: ['00:00', '14:05'],
  transInterval: 1,
  transFlags: ['AttLog', 'OpLog', 'AttPhoto', 'EnrollUser', 'ChgUser', 'EnrollFP', 'ChgFP', 'UserPic'],
  timeZone: 8,
  realtime: true,
};

/** Answers like a push server: handshake, ATTLOG ack with the number parsed, commands. */
const protocolServer: Responder = (req) => {
  const q = parseQuery(req.query);
  if (!q.ok) return { status: 400, body: q.error.message };
  if (req.path === '/iclock/cdata' && req.method === 'GET' && q.value.options === 'all') {
    return { status: 200, body: formatHandshakeReply({ ...HANDSHAKE, sn: q.value.sn }) };
  }
  if (req.path === '/iclock/cdata' && req.method === 'POST' && q.value.table === 'ATTLOG') {
    return { status: 200, body: formatAttlogAck(parseAttlogBody(req.body).punches.length) };
  }
  if (req.path === '/iclock/getrequest') return { status: 200, body: 'OK' };
  if (req.path === '/iclock/devicecmd') return { status: 200, body: 'OK' };
  return { status: 404, body: 'not found' };
};

let server: Server;
let url: string;
let requests: Recorded[];
let responder: Responder;

beforeEach(async () => {
  requests = [];
  responder = protocolServer;
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const rec: Recorded = { method: req.method ?? '', path: u.pathname, query: u.searchParams, body };
      requests.push(rec);
      const { status, body: out } = responder(rec);
      res.writeHead(status, { 'Content-Type': 'text/plain' }).end(out);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  url = `http://127.0.0.1:${address.port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const sim = (zone = 'Asia/Jakarta', pollIntervalMs?: number): AdmsTerminalSim =>
  new AdmsTerminalSim({ serverUrl: url, serialNumber: SN, zone, ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }) });

/** The nine §11.2 example punches, as instants a WIB (UTC+7) terminal shows at 15:16:ss. */
const EXAMPLE_SECONDS = ['28', '29', '30', '31', '33', '34', '35', '36', '37'];
const punchExample = (t: AdmsTerminalSim): void => {
  EXAMPLE_SECONDS.forEach((s, i) => t.punch(i < 7 ? '1452' : '8965', new Date(`2015-07-30T08:16:${s}Z`)));
};
const EXAMPLE_BODY = EXAMPLE_SECONDS.map((s, i) => `${i < 7 ? 1452 : 8965}\t2015-07-30 15:16:${s}\t0\t1\t0\t0\t0\n`).join('');

describe('ADMS terminal simulator', () => {
  it('handshakes with GET /iclock/cdata?SN=..&options=all&pushver=.. and returns the options [PUSH §6]', async () => {
    const options = await sim().handshake();
    expect(requests).toHaveLength(1);
    const req = requests[0]!;
    expect(req.method).toBe('GET');
    expect(req.path).toBe('/iclock/cdata');
    expect(req.query.get('SN')).toBe(SN);
    expect(req.query.get('options')).toBe('all');
    const q = parseQuery(req.query);
    expect(q.ok && q.value.pushver).toMatch(/^\d+(\.\d+)*$/);
    expect(options).toMatchObject({
      ATTLOGStamp: 'None',
      OPERLOGStamp: '9999',
      Delay: '10',
      TransTimes: '00:00;14:05',
      TransFlag: 'TransData AttLog\tOpLog\tAttPhoto\tEnrollUser\tChgUser\tEnrollFP\tChgFP\tUserPic',
      TimeZone: '8',
      Realtime: '1',
    });
  });

  it('throws with the HTTP status and body when the handshake is refused', async () => {
    responder = () => ({ status: 403, body: 'unknown device 0316144680030' });
    const err = await sim().handshake().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdmsHttpError);
    expect(err).toMatchObject({ status: 403, body: 'unknown device 0316144680030' });
    expect(String(err)).toMatch(/403.*unknown device/);
  });

  it('uploads queued punches as the §11.2 tab-separated body and empties the queue on OK:9 [PUSH §11.2]', async () => {
    const t = sim('Asia/Jakarta');
    punchExample(t);
    expect(t.queued).toBe(9);
    const r = await t.flush();
    expect(r).toEqual({ status: 200, body: 'OK:9', sent: 9 });
    expect(t.queued).toBe(0);
    const req = requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/iclock/cdata');
    expect(req.query.get('SN')).toBe(SN);
    expect(req.query.get('table')).toBe('ATTLOG');
    expect(parseQuery(req.query).ok).toBe(true); // Stamp is digits
    expect(req.body).toBe(EXAMPLE_BODY);
    const { punches, errors } = parseAttlogBody(req.body);
    expect(errors).toEqual([]);
    expect(punches[0]).toEqual({
      line: 1,
      pin: '1452',
      deviceTime: { year: 2015, month: 7, day: 30, hour: 15, minute: 16, second: 28 },
      status: 0,
      verify: 1,
      workcode: '0',
    });
    expect((await t.flush()).sent).toBe(0);
    expect(requests).toHaveLength(1); // nothing queued: no request
  });

  it('writes the wall clock of its own zone, naive, with status/verify/workcode', async () => {
    const at = new Date('2024-08-05T04:40:57Z');
    expect(sim('Asia/Makassar').punch('1156', at, { status: 1, verify: 15, workcode: '7' })).toBe('1156\t2024-08-05 12:40:57\t1\t15\t7\t0\t0');
    expect(sim('Asia/Jayapura').punch('1156', at)).toBe('1156\t2024-08-05 13:40:57\t0\t1\t0\t0\t0');
    expect(() => sim().punch('1\t2', at)).toThrow(RangeError);
    expect(() => sim().punch('1', at, { status: 256 })).toThrow(RangeError);
  });

  it('keeps punches queued on HTTP 500 or a partial ack, and drops exactly the acked ones', async () => {
    const t = sim();
    punchExample(t);
    responder = () => ({ status: 500, body: 'database down' });
    expect(await t.flush()).toEqual({ status: 500, body: 'database down', sent: 9 });
    expect(t.queued).toBe(9);
    responder = () => ({ status: 200, body: 'ERROR' });
    await t.flush();
    expect(t.queued).toBe(9);
    responder = () => ({ status: 200, body: 'OK:2' });
    await t.flush();
    expect(t.queued).toBe(7);
    responder = protocolServer;
    expect(await t.flush()).toEqual({ status: 200, body: 'OK:7', sent: 7 });
    expect(t.queued).toBe(0);
    expect(requests.map((r) => r.body.split('\n').length - 1)).toEqual([9, 9, 9, 7]);
    expect(requests[3]!.body).toBe(EXAMPLE_BODY.split('\n').slice(2).join('\n'));
  });

  it('rawPost sends an arbitrary ATTLOG body without touching the queue', async () => {
    const t = sim();
    t.punch('1', new Date());
    const r = await t.rawPost('bad pin\t2024-01-01 08:00:00\t0\t1\n2\t2024-01-01 08:00:00\t0\t1\n');
    expect(r).toEqual({ status: 200, body: 'OK:1' });
    expect(t.queued).toBe(1);
    expect(requests[0]!.query.get('table')).toBe('ATTLOG');
  });

  it('polls GET /iclock/getrequest and parses OK and C:id:cmd lines [PUSH §12]', async () => {
    const t = sim();
    expect(await t.pollCommands()).toEqual([]);
    responder = () => ({
      status: 200,
      body: formatCommands([
        { id: '1', command: 'CHECK' },
        { id: 'info8487', command: 'DATA UPDATE USERINFO PIN=1\tName=A' },
      ]),
    });
    expect(await t.pollCommands()).toEqual(['C:1:CHECK', 'C:info8487:DATA UPDATE USERINFO PIN=1\tName=A']);
    expect(requests.map((r) => [r.method, r.path, r.query.get('SN')])).toEqual([
      ['GET', '/iclock/getrequest', SN],
      ['GET', '/iclock/getrequest', SN],
    ]);
    responder = () => ({ status: 503, body: 'busy' });
    await expect(t.pollCommands()).rejects.toThrow(/503/);
  });

  it('start() handshakes, uploads, polls and reports command results until stop()', async () => {
    let served = false;
    responder = (req) => {
      if (req.path === '/iclock/getrequest' && !served) {
        served = true;
        return { status: 200, body: formatCommands([{ id: '42', command: 'REBOOT' }]) };
      }
      return protocolServer(req);
    };
    const t = sim('Asia/Jakarta', 20);
    t.punch('1001', new Date());
    t.start();
    const deadline = Date.now() + 2000;
    while ((t.queued > 0 || !requests.some((r) => r.path === '/iclock/devicecmd')) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await t.stop();
    expect(t.queued).toBe(0);
    expect(requests[0]?.query.get('options')).toBe('all');
    expect(requests[1]?.query.get('table')).toBe('ATTLOG');
    const cmd = requests.find((r) => r.path === '/iclock/devicecmd');
    expect(cmd && parseDeviceCmdResult(cmd.body)).toEqual([{ id: '42', returnCode: 0, cmd: 'REBOOT', fields: {}, info: [] }]);
    const count = requests.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(requests.length).toBe(count); // stopped
  });
});
