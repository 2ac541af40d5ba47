import { z } from 'zod';
import { IanaZone } from '../../../protocols/config-file.js';
import { terminalId } from '../common-config.js';

export const R30xTerminalConfig = z
  .strictObject({
    id: terminalId.describe('terminal id, unique in this gateway; a tag in InfluxDB'),
    driver: z.literal('r30x').describe('an R30x/AS608/ZFM fingerprint module on a serial port (locally built terminals)'),
    port: z.string().min(1).describe('serial device'),
    baudRate: z.number().int().min(9600).max(115200).default(57600),
    address: z.number().int().min(0).max(0xffffffff).default(0xffffffff),
    password: z.number().int().min(0).max(0xffffffff).default(0),
    zone: IanaZone.describe('IANA zone of the office (the module has no clock; the gateway clock is used)'),
    employees: z
      .record(z.string().regex(/^\d{1,5}$/, 'a template page id'), z.string().regex(/^[A-Za-z0-9_-]{1,32}$/))
      .default({})
      .describe('template page id -> employee PIN; unmapped matches are punched as "<unmappedPrefix><page>"'),
    unmappedPrefix: z.string().regex(/^[A-Za-z0-9_-]{0,16}$/).default('page-'),
    librarySize: z.number().int().min(1).max(65535).default(300).describe('used when the module does not report it'),
    pollIntervalMs: z.number().int().min(50).max(10_000).default(300),
    replyTimeoutMs: z.number().int().min(100).max(10_000).default(1500),
    repeatWindowMs: z.number().int().min(0).max(600_000).default(5000).describe('the same finger again within this window is one punch'),
    reopenDelayMs: z.number().int().min(100).max(600_000).default(5000),
  })
  .describe('R30x fingerprint module');
export type R30xTerminalConfig = z.infer<typeof R30xTerminalConfig>;
