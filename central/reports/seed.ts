import { z } from 'zod';
import { loadConfigFile, type LoadedConfig } from '../../protocols/config-file.js';
import { RegistrySeed } from '../config.js';

/** The registry seed, whose OPD entries carry an optional `schedule`. */
export const RegistrySeedWithSchedules = RegistrySeed;
export type RegistrySeedWithSchedules = z.infer<typeof RegistrySeedWithSchedules>;

export function loadRegistrySeedWithSchedules(file: string): LoadedConfig<RegistrySeedWithSchedules> {
  return loadConfigFile(RegistrySeedWithSchedules, file);
}
