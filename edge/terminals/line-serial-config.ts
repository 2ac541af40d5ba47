import { z } from 'zod';
import { IanaZone } from '../../protocols/config-file.js';
import { LineFormat } from '../../protocols/line/format.js';
import { terminalId } from './common-config.js';

export const LineSerialTerminalConfig = z
  .strictObject({
    id: terminalId.describe('terminal id, unique in this gateway; a tag in InfluxDB'),
    driver: z.literal('line-serial').describe('a terminal that prints one punch per line on a serial port'),
    port: z.string().min(1).describe('serial device, e.g. /dev/ttyUSB0 or /dev/pemda-terminal-1'),
    baudRate: z.number().int().min(300).max(921600).default(9600),
    zone: IanaZone.describe('IANA zone of the terminal clock: Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT)'),
    format: LineFormat.prefault({}),
    reopenDelayMs: z.number().int().min(100).max(600_000).default(5000).describe('wait before reopening a port that failed or closed'),
  })
  .describe('line-format serial terminal');
export type LineSerialTerminalConfig = z.infer<typeof LineSerialTerminalConfig>;
