import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { InfluxDB } from 'influx';
import { DateTime } from 'luxon';
import { stringify } from 'yaml';
import { Influxd } from '../../scripts/lib/influxd.js';
import { freePort } from '../../scripts/lib/ports.js';
import { recordToPoint } from '../../central/points.js';
import type { PunchRecord } from '../../protocols/mqtt/payloads.js';
import { reportMain, type ReportEnv } from '../../central/reports/cli.js';
import { fetchPunches, influxFor } from '../../central/reports/query.js';
import { monthPeriod } from '../../central/reports/period.js';

/**
 * A month of punches for one OPD in a real influxd, written the way the central
 * writes them (recordToPoint + writePoints, precision ns), then `report --month`.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const WITA = 'Asia/Makassar';

describe('presence report from InfluxDB', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pemda-reports-'));
  let influxd: Influxd;
  let env: ReportEnv;
  const out: string[] = [];
  const err: string[] = [];

  // Roster at write time: dinkes had 1, 2, 3 and 4 (4 moved to disdik later); 99 was never enrolled.
  const nips: Record<string, string> = { '1': '198001012005011001', '2': '198502022010012002', '4': '199001012015011004' };
  let seq = 0;
  const punch = (employee: string, deviceTime: string, status: string, zone = WITA): PunchRecord => ({
    seq: ++seq,
    kind: 'punch',
    terminal: 'lobby',
    employee,
    time: DateTime.fromISO(deviceTime, { zone }).toUTC().toISO({ suppressMilliseconds: true }) ?? '',
    deviceTime,
    zone,
    skewMs: null,
    status,
    verify: 'finger',
    receivedAt: DateTime.fromISO(deviceTime, { zone }).toUTC().toISO() ?? '',
  });

  beforeAll(async () => {
    influxd = await Influxd.start(join(dir, 'influx'));
    const influx = new InfluxDB({ host: '127.0.0.1', port: influxd.port, database: 'pemda' });
    await influx.query('CREATE DATABASE pemda');

    const dinkes: PunchRecord[] = [];
    for (let d = 1; d <= 30; d++) {
      const date = `2026-11-${String(d).padStart(2, '0')}`;
      const wd = DateTime.fromISO(date).weekday; // 1 = Monday
      if (wd >= 6 || date === '2026-11-20') continue; // weekend; 20 Nov is a regional holiday below
      const friday = wd === 5;
      dinkes.push(punch('1', `${date}T${date === '2026-11-10' ? '07:50:00' : '07:20:00'}`, '0'));
      dinkes.push(punch('1', `${date}T${date === '2026-11-13' ? '11:00:00' : friday ? '11:35:00' : '16:05:00'}`, '1'));
    }
    dinkes.push(punch('1', '2026-11-01T07:00:00', '0')); // a Sunday: presence on a day off
    dinkes.push(punch('1', '2026-12-01T07:10:00', '0')); // 30 Nov 23:10 UTC: in the padded range, not in November
    dinkes.push(punch('2', '2026-11-02T07:25:00', '0'));
    dinkes.push(punch('2', '2026-11-03T07:25:00', '0'), punch('2', '2026-11-03T16:00:00', '1'));
    dinkes.push(punch('2', '2026-11-04T07:46:00', '0'), punch('2', '2026-11-04T15:59:30', '1'));
    dinkes.push(punch('99', '2026-11-05T07:30:00', '0'));
    for (let d = 2; d <= 6; d++) dinkes.push(punch('4', `2026-11-0${d}T07:30:00`, '0'), punch('4', `2026-11-0${d}T16:00:00`, '1'));
    const points = dinkes.map((r) => recordToPoint(r, { opd: 'dinkes', gateway: 'gw-dinkes-01', nipOf: (pin) => (pin === '99' ? undefined : (nips[pin] ?? null)) }));
    // Employee 1 punching at another office: selected out by the opd tag.
    points.push(recordToPoint(punch('1', '2026-11-17T07:00:00', '0'), { opd: 'bpkad', gateway: 'gw-bpkad-01', nipOf: () => null }));
    await influx.writePoints(points, { precision: 'n' });

    const seed = {
      opds: [
        {
          code: 'dinkes',
          name: 'Dinas Kesehatan',
          zone: WITA,
          gateways: ['gw-dinkes-01'],
          employees: [
            { pin: '1', nip: nips['1'], name: 'Andi Wijaya' },
            { pin: '2', nip: nips['2'], name: 'Sri Lestari' },
            { pin: '3', name: 'Yohanes Kogoya' },
          ],
          schedule: { start: '07:30', end: '16:00', friday: { start: '07:30', end: '11:30' }, graceMinutes: 15 },
        },
        { code: 'bpkad', name: 'BPKAD', zone: WITA, gateways: ['gw-bpkad-01'] },
        { code: 'disdik', name: 'Dinas Pendidikan', employees: [{ pin: '41', nip: nips['4'], name: 'Budi Santoso' }] },
      ],
    };
    writeFileSync(join(dir, 'registry.yaml'), stringify(seed));
    const holidays = readFileSync(join(ROOT, 'firmware-config/examples/holidays-2026.yaml'), 'utf8');
    writeFileSync(join(dir, 'holidays-2026.yaml'), `${holidays}  - { date: "2026-11-20", name: "Hari Jadi Kabupaten" }\n`);
    env = {
      influxUrl: influxd.url,
      database: 'pemda',
      registrySeedFile: join(dir, 'registry.yaml'),
      now: new Date('2026-12-01T03:00:00Z'),
      pageSize: 25, // 58 dinkes points: three pages and a probe
      stdout: (l) => out.push(l),
      stderr: (l) => err.push(l),
    };
  }, 60_000);

  afterAll(async () => {
    await influxd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts the month: presence, lateness, early leave, missing check-out, flagged ids', async () => {
    const file = join(dir, 'dinkes-2026-11.csv');
    expect(await reportMain(['--opd', 'dinkes', '--month', '2026-11', '--out', file], env)).toBe(0);
    expect(err).toEqual([]);
    expect(out.at(-1)).toBe(`dinkes 2026-11: 3 employees, 23 present / 37 absent days, 2 late, 1 without check-out, 2 IDs not on the roster (11 punches); wrote ${file}`);
    const lines = readFileSync(file, 'utf8').split('\r\n');
    expect(lines[2]).toBe('Periode,November 2026 (2026-11-01 s.d. 2026-11-30)');
    expect(lines).toContain('Hari libur,holidays-2026.yaml');
    const row = (pin: string) => lines.find((l) => /^\d+,/.test(l) && l.split(',')[1] === pin)?.split(',');
    // No, pin, NIP, name, workdays, present, absent, late days, late min, early days, early min, no out, no in, day off, punches, note
    expect(row('1')?.slice(4, 15)).toEqual(['20', '20', '0', '1', '20', '1', '30', '0', '0', '1', '41']);
    expect(row('2')?.slice(4, 15)).toEqual(['20', '3', '17', '1', '16', '1', '1', '1', '0', '0', '5']);
    expect(row('3')?.slice(4, 15)).toEqual(['20', '0', '20', '0', '0', '0', '0', '0', '0', '0', '0']);
    expect(row('4')?.slice(3)).toEqual(['Budi Santoso', '20', '5', '0', '0', '0', '0', '0', '0', '0', '0', '10', 'tidak lagi di daftar pegawai OPD; sekarang di OPD disdik']);
    expect(row('99')?.slice(14)).toEqual(['1', 'ID tidak ada di daftar pegawai OPD']);
    expect(lines.find((l) => l.startsWith(',,,Jumlah OPD'))).toBe(',,,Jumlah OPD (3 pegawai),60,23,37,2,36,2,31,1,0,1,46,tanpa 2 ID di luar daftar pegawai (11 absen)');
    expect(lines).toContain('2026-11-02,Senin,2,198502022010012002,Sri Lestari,07:30-16:00,07:25:00,,Hadir,0,0,Ya,,1,');
    expect(lines).toContain('2026-11-01,Minggu,1,198001012005011001,Andi Wijaya,,07:00:00,,Akhir pekan (hadir),0,0,,,1,');
    expect(lines.some((l) => l.startsWith('2026-11-20,'))).toBe(false); // a holiday without punches has no detail row
  });

  it('pages through the punches with LIMIT/OFFSET, each once', async () => {
    const pages: number[] = [];
    const rows = await fetchPunches(influxFor({ url: influxd.url, database: 'pemda' }), 'dinkes', monthPeriod('2026-11'), WITA, { pageSize: 25, onPage: (n) => pages.push(n) });
    expect(pages).toEqual([25, 25, 8]);
    expect(new Set(rows.map((r) => `${r.employee} ${r.deviceTime}`)).size).toBe(58);
    expect(rows.find((r) => r.employee === '99')).toMatchObject({ known: false, nip: null, status: '0', zone: WITA, terminal: 'lobby' });
    expect(rows.find((r) => r.employee === '4')).toMatchObject({ known: true, nip: '199001012015011004' });
  });

  it('writes an XLSX that reads back, and reports a dead InfluxDB with exit 1', async () => {
    const file = join(dir, 'dinkes.xlsx');
    expect(await reportMain(['--opd', 'dinkes', '--month', '2026-11', '--format', 'xlsx', '--out', file], env)).toBe(0);
    expect(existsSync(file)).toBe(true);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    const sum = wb.getWorksheet('Ringkasan')!;
    const values = (n: number) => (sum.getRow(n).values as unknown[]).slice(1);
    expect(values(2)).toEqual(['OPD', 'Dinas Kesehatan (dinkes)']);
    expect(values(5)[0]).toBe('Jadwal');
    expect(values(6)).toEqual(['Hari libur', 'holidays-2026.yaml']);
    expect(values(8)).toEqual(expect.arrayContaining(['NIP', 'Nama', 'Hadir', 'Terlambat (menit)', 'Tanpa absen pulang']));
    expect(values(9).slice(1, 9)).toEqual(['1', '198001012005011001', 'Andi Wijaya', 20, 20, 0, 1, 20]);
    const daily = wb.getWorksheet('Harian')!;
    const late = daily.getRows(9, daily.rowCount - 8)?.find((r) => r.getCell(1).value === '2026-11-10' && r.getCell(3).value === '1');
    expect([late?.getCell(7).value, late?.getCell(9).value, late?.getCell(10).value]).toEqual(['07:50:00', 'Hadir', 20]);

    const deadPort = await freePort();
    const code = await reportMain(['--opd', 'dinkes', '--day', '2026-11-26', '--out', join(dir, 'x.csv')], { ...env, influxUrl: `http://127.0.0.1:${deadPort}` });
    expect(code).toBe(1);
    expect(err.at(-1)).toMatch(/^error: cannot read punches from InfluxDB http:\/\/127\.0\.0\.1:\d+ \(database pemda\)/);
  });
});
