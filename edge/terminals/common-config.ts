import { z } from 'zod';

/** A terminal id: one InfluxDB tag value, unique within a gateway. */
export const terminalId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, "_", "-", "." (max 64), starting with a letter or digit');
