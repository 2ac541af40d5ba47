import { describe, expect, it } from 'vitest';
import { Registry } from '../../central/registry.js';

describe('registry rosters', () => {
  it('answers roster lookups from memory and sees imports and seed changes at once', () => {
    const registry = new Registry(':memory:');
    registry.seed({ opds: [{ code: 'dinkes', name: 'Dinas Kesehatan', zone: 'Asia/Jakarta', gateways: [], employees: [{ pin: '1', name: 'Andi' }] }] });
    expect(registry.employee('dinkes', '1')).toEqual({ pin: '1', nip: null, name: 'Andi' });
    expect(registry.employee('dinkes', '2')).toBeUndefined();
    registry.saveEmployees('dinkes', [{ pin: '2', nip: '1985', name: 'Sari' }]);
    expect(registry.employee('dinkes', '2')).toEqual({ pin: '2', nip: '1985', name: 'Sari' });
    registry.seed({ opds: [{ code: 'dinkes', name: 'Dinas Kesehatan', zone: 'Asia/Jakarta', gateways: [], employees: [{ pin: '1', name: 'Andi Wijaya' }] }] });
    expect(registry.employee('dinkes', '1')?.name).toBe('Andi Wijaya');
    expect(registry.employee('bapenda', '1')).toBeUndefined();
    registry.close();
  });
});
