import { z } from 'zod';
import { IanaZone } from '../../../protocols/config-file.js';
import { terminalId } from '../common-config.js';

export const AdmsTerminalConfig = z
  .strictObject({
    id: terminalId.describe('terminal id, unique in this gateway; a tag in InfluxDB'),
    driver: z.literal('adms').describe('a terminal that pushes to the gateway over HTTP (ZKTeco ADMS / iclock)'),
    serialNumber: z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'the terminal serial number (SN), letters and digits').describe('as shown in the terminal menu; unknown SNs are refused'),
    zone: IanaZone.describe('IANA zone of the terminal clock'),
    offlineAfterS: z.number().int().min(10).max(86_400).default(120).describe('silence after which the terminal counts as offline'),
  })
  .describe('ADMS push terminal');
export type AdmsTerminalConfig = z.infer<typeof AdmsTerminalConfig>;
