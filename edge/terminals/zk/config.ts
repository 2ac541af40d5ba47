import { z } from 'zod';
import { IanaZone } from '../../../protocols/config-file.js';
import { terminalId } from '../common-config.js';

export const ZkTerminalConfig = z
  .strictObject({
    id: terminalId.describe('terminal id, unique in this gateway; a tag in InfluxDB'),
    driver: z.literal('zk').describe('ZKTeco binary protocol (ZKTeco and OEMs such as Solution X100-C)'),
    transport: z.enum(['tcp', 'udp', 'serial']).default('tcp'),
    host: z.string().min(1).optional().describe('terminal address on the office LAN (tcp, udp)'),
    port: z.number().int().min(1).max(65535).default(4370),
    serialPort: z.string().min(1).optional().describe('serial device (serial transport)'),
    baudRate: z.number().int().min(1200).max(921600).default(115200),
    experimental: z.boolean().default(false).describe('must be true for the serial transport: its framing is assumed, not documented'),
    zone: IanaZone.describe('IANA zone of the terminal clock'),
    commKey: z.number().int().min(0).max(999999).default(0).describe('the terminal\'s "Comm Key" (0 = none)'),
    recordSize: z.union([z.literal(8), z.literal(16), z.literal(40), z.literal(49)]).optional().describe('attendance record size; default: detected from the record count'),
    liveEvents: z.boolean().default(true).describe('register for realtime punches (only one client per terminal gets them)'),
    reconcileIntervalS: z.number().int().min(1).max(86_400).default(300).describe('how often the whole log is downloaded and compared'),
    keepaliveS: z.number().int().min(1).max(3600).default(30).describe('clock read that also proves the terminal is alive'),
    requestTimeoutMs: z.number().int().min(200).max(120_000).default(5000),
    maxChunkBytes: z.number().int().min(1024).max(65_472).optional().describe('bulk read chunk size; default 65472 (tcp, serial) or 16384 (udp)'),
    clockSkewAlarmS: z.number().min(1).max(86_400).default(60),
    syncClock: z.boolean().default(false).describe('set the terminal clock to the gateway clock when the skew alarm fires'),
    clearAfterPull: z
      .boolean()
      .default(false)
      .describe('clear the terminal log once every downloaded punch is acked by the central and the record count still matches'),
    reconnectMinMs: z.number().int().min(100).max(600_000).default(1000),
    reconnectMaxMs: z.number().int().min(100).max(3_600_000).default(60_000),
  })
  .superRefine((t, ctx) => {
    if (t.transport === 'serial') {
      if (!t.serialPort) ctx.addIssue({ code: 'custom', path: ['serialPort'], message: 'required for the serial transport' });
      if (!t.experimental) {
        ctx.addIssue({ code: 'custom', path: ['experimental'], message: 'the ZK serial transport is experimental (framing not publicly documented): set experimental: true to use it' });
      }
    } else if (!t.host) ctx.addIssue({ code: 'custom', path: ['host'], message: `required for the ${t.transport} transport` });
  })
  .describe('ZK protocol terminal');
export type ZkTerminalConfig = z.infer<typeof ZkTerminalConfig>;
