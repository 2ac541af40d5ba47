import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { computePresence, statusMark, type PresenceInput, type PunchRow } from '../../central/reports/presence.js';
import { dayPeriod, monthPeriod, periodUtcRange, weekPeriod, PeriodError } from '../../central/reports/period.js';
import { HolidayFile, WorkSchedule, loadHolidayFile } from '../../central/reports/schedule.js';
import { RegistrySeedWithSchedules } from '../../central/reports/seed.js';
import { csvField, toCsv, writeXlsx } from '../../central/reports/export.js';
import { punchQuery } from '../../central/reports/query.js';
import { reportMain } from '../../central/reports/cli.js';

const ROOT = join(import.meta.dirname, '..', '..');
const WITA = 'Asia/Makassar';
const schedule = WorkSchedule.parse({
  start: '07:30',
  end: '16:00',
  friday: { start: '07:30', end: '11:30' },
  graceMinutes: 15,
  overrides: [{ name: 'Ramadan 1447 H', from: '2026-02-18', to: '2026-03-19', start: '08:00', end: '15:00', friday: { start: '08:00', end: '11:00' } }],
});
const roster = [
  { pin: '1', nip: '198001012005011001', name: 'Andi Wijaya' },
  { pin: '2', nip: '198502022010012002', name: 'Sri Lestari' },
  { pin: '3', name: 'Yohanes Kogoya' },
];
const p = (employee: string, deviceTime: string, status = '', zone = WITA, extra: Partial<PunchRow> = {}): PunchRow => ({ employee, deviceTime, zone, status, known: true, ...extra });

function run(punches: PunchRow[], over: Partial<PresenceInput> = {}) {
  return computePresence({
    opd: { code: 'dinkes', name: 'Dinas Kesehatan', zone: WITA },
    roster,
    schedule,
    holidays: [{ date: '2026-08-17', name: 'Hari Kemerdekaan', kind: 'libur-nasional' }],
    period: monthPeriod('2026-11'),
    punches,
    now: new Date('2027-01-01T00:00:00Z'),
    ...over,
  });
}
const day = (r: ReturnType<typeof run>, pin: string, date: string) => {
  const d = r.employees.find((e) => e.pin === pin)?.days.find((x) => x.date === date);
  if (!d) throw new Error(`no day ${date} for ${pin}`);
  return d;
};
const employee = (r: ReturnType<typeof run>, pin: string) => r.employees.find((e) => e.pin === pin)!;

describe('presence rules', () => {
  it('late only after start + grace, minutes counted from start', () => {
    const r = run([p('1', '2026-11-23T07:45:00'), p('2', '2026-11-23T07:45:01'), p('3', '2026-11-24T07:50:00'), p('3', '2026-11-24T16:00:00')]);
    expect(day(r, '1', '2026-11-23')).toMatchObject({ in: '07:45:00', lateMinutes: 0, present: true });
    expect(day(r, '2', '2026-11-23').lateMinutes).toBe(16);
    expect(day(r, '3', '2026-11-24')).toMatchObject({ lateMinutes: 20, earlyLeaveMinutes: 0, missingOut: false });
    expect(employee(r, '3').totals).toMatchObject({ lateDays: 1, lateMinutes: 20 });
  });

  it('Friday has its own hours', () => {
    const r = run([p('1', '2026-11-27T07:30:00'), p('1', '2026-11-27T11:35:00'), p('2', '2026-11-27T07:30:00'), p('2', '2026-11-27T11:00:00'), p('3', '2026-11-26T07:30:00'), p('3', '2026-11-26T11:35:00')]);
    expect(day(r, '1', '2026-11-27')).toMatchObject({ out: '11:35:00', earlyLeaveMinutes: 0 });
    expect(day(r, '2', '2026-11-27').earlyLeaveMinutes).toBe(30);
    expect(day(r, '3', '2026-11-26').earlyLeaveMinutes).toBe(265);
  });

  it('Ramadan override changes hours inside its dates only', () => {
    const r = run([p('1', '2026-02-23T07:55:00'), p('1', '2026-02-23T15:00:00'), p('1', '2026-02-20T08:10:00'), p('1', '2026-02-20T11:00:00'), p('1', '2026-02-10T07:55:00'), p('1', '2026-02-10T15:00:00')], { period: monthPeriod('2026-02') });
    expect(day(r, '1', '2026-02-23')).toMatchObject({ lateMinutes: 0, earlyLeaveMinutes: 0 });
    expect(day(r, '1', '2026-02-23').plan).toMatchObject({ start: 480, end: 900, override: 'Ramadan 1447 H' });
    expect(day(r, '1', '2026-02-20')).toMatchObject({ lateMinutes: 0, earlyLeaveMinutes: 0 });
    expect(day(r, '1', '2026-02-10')).toMatchObject({ lateMinutes: 25, earlyLeaveMinutes: 60 });
  });

  it('a holiday is not a workday: nobody absent, a punch is presence on a day off', () => {
    const r = run([p('1', '2026-08-17T08:00:00')], { period: weekPeriod('2026-08-17') });
    expect(day(r, '2', '2026-08-17')).toMatchObject({ absent: false, present: false });
    expect(day(r, '2', '2026-08-17').plan).toMatchObject({ kind: 'holiday', holiday: 'Hari Kemerdekaan' });
    expect(day(r, '1', '2026-08-17')).toMatchObject({ offDayPresence: true, lateMinutes: 0 });
    expect(employee(r, '2').totals).toMatchObject({ workDays: 4, absent: 4 });
    expect(employee(r, '1').totals).toMatchObject({ workDays: 4, absent: 4, offDayPresence: 1 });
  });

  it('weekends are not workdays; an employee without punches is absent every workday', () => {
    const r = run([]);
    expect(day(r, '3', '2026-11-28')).toMatchObject({ absent: false });
    expect(day(r, '3', '2026-11-28').plan.kind).toBe('weekend');
    expect(employee(r, '3').totals).toMatchObject({ workDays: 21, present: 0, absent: 21 });
    expect(r.totals).toMatchObject({ employees: 3, workDays: 63, absent: 63 });
  });

  it('one punch is an in without out', () => {
    const r = run([p('1', '2026-11-23T07:20:00')]);
    expect(day(r, '1', '2026-11-23')).toMatchObject({ in: '07:20:00', out: null, missingOut: true, earlyLeaveMinutes: 0, present: true });
  });

  it('terminal status decides in and out when it is present', () => {
    expect(['0', 'in', 'I', '1', 'out', '2', ''].map(statusMark)).toEqual(['in', 'in', 'in', 'out', 'out', null, null]);
    const r = run([
      p('1', '2026-11-23T07:25:00', '0'), p('1', '2026-11-23T16:05:00', '1'), p('1', '2026-11-23T16:30:00', '0'), // back in after check-out
      p('2', '2026-11-23T16:10:00', '1'), // only a check-out
      p('3', '2026-11-23T07:30:00', '0'), p('3', '2026-11-23T16:05:00', '0'), // terminal that always says "in"
    ]);
    expect(day(r, '1', '2026-11-23')).toMatchObject({ in: '07:25:00', out: '16:05:00', earlyLeaveMinutes: 0, missingOut: false });
    expect(day(r, '2', '2026-11-23')).toMatchObject({ in: null, out: '16:10:00', missingIn: true, present: true, lateMinutes: 0 });
    expect(day(r, '3', '2026-11-23')).toMatchObject({ in: '07:30:00', out: '16:05:00', missingOut: false });
  });

  it('places a punch by the wall clock, converted to the OPD zone (WIT vs WIB)', () => {
    const wit = { code: 'dukcapil', name: 'Dukcapil', zone: 'Asia/Jayapura' };
    const punches = [
      p('1', '2026-11-02T07:10:00', '', 'Asia/Jayapura'), // 2026-11-01T22:10Z: still 2 Nov in WIT
      p('1', '2026-12-01T06:50:00', '', 'Asia/Jayapura'), // in the padded query range, outside the month
      p('2', '2026-11-03T23:30:00', '', 'Asia/Jakarta'), // 01:30 on 4 Nov in WIT
    ];
    const r = run(punches, { opd: wit });
    expect(day(r, '1', '2026-11-02')).toMatchObject({ in: '07:10:00', present: true });
    expect(day(r, '2', '2026-11-04')).toMatchObject({ in: '01:30:00' });
    expect(day(r, '2', '2026-11-03').punches).toBe(0);
    expect(r.ignoredPunches).toBe(1);
    const wib = run(punches, { opd: { code: 'x', name: 'X', zone: 'Asia/Jakarta' } });
    expect(day(wib, '2', '2026-11-03').in).toBe('23:30:00');
    expect(day(wib, '1', '2026-11-02').in).toBe('05:10:00');
    expect(periodUtcRange(monthPeriod('2026-11'), 'Asia/Jayapura').start.toISOString()).toBe('2026-10-31T15:00:00.000Z');
    expect(punchQuery('dukcapil', monthPeriod('2026-11'), 'Asia/Jayapura', 100000, 0)).toContain(
      `"opd" = 'dukcapil' AND time >= '2026-10-30T15:00:00.000Z' AND time < '2026-12-01T15:00:00.000Z' ORDER BY time ASC LIMIT 100000 OFFSET 0`,
    );
  });

  it('flags ids not on the roster and keeps them out of the OPD totals', () => {
    const r = run([p('777', '2026-11-23T07:00:00', '', WITA, { known: false }), p('4', '2026-11-02T07:00:00', '', WITA, { known: true, nip: '199001012015011004' })], {
      lookupNip: (nip) => (nip === '199001012015011004' ? { name: 'Budi Santoso', opd: 'disdik' } : undefined),
    });
    expect(employee(r, '777')).toMatchObject({ flag: 'unknown', name: null, note: 'ID tidak ada di daftar pegawai OPD' });
    expect(employee(r, '4')).toMatchObject({ flag: 'not-on-roster', name: 'Budi Santoso', note: 'tidak lagi di daftar pegawai OPD; sekarang di OPD disdik' });
    expect(employee(r, '777').totals).toMatchObject({ present: 1, absent: 0 });
    expect(r.flagged).toEqual({ employees: 2, punches: 2 });
    expect(r.totals).toMatchObject({ employees: 3, present: 0, punches: 0 });
  });

  it('does not count future days, nor absence and missing out today before the end time', () => {
    const r = run([p('1', '2026-11-26T07:50:00')], { period: weekPeriod('2026-11-23'), now: new Date('2026-11-26T02:00:00Z') }); // 10:00 WITA
    expect(day(r, '1', '2026-11-26')).toMatchObject({ pending: true, lateMinutes: 20, missingOut: false });
    expect(day(r, '2', '2026-11-26')).toMatchObject({ absent: false, pending: true });
    expect(day(r, '2', '2026-11-27')).toMatchObject({ future: true, absent: false });
    expect(employee(r, '2').totals).toMatchObject({ workDays: 4, absent: 3 });
  });
});

describe('schedule, holidays and periods', () => {
  it('extends the registry seed with schedules and keeps its checks', () => {
    const seed = RegistrySeedWithSchedules.parse({ opds: [{ code: 'dinkes', name: 'Dinas Kesehatan', schedule: { graceMinutes: 10 } }] });
    expect(seed.opds[0]?.schedule).toMatchObject({ start: '07:30', end: '16:00', graceMinutes: 10, workDays: ['mon', 'tue', 'wed', 'thu', 'fri'] });
    const dup = RegistrySeedWithSchedules.safeParse({ opds: [{ code: 'a', name: 'A', gateways: ['gw-1'] }, { code: 'b', name: 'B', gateways: ['gw-1'] }] });
    expect(dup.error?.issues[0]?.message).toBe('gateway gw-1 already belongs to OPD a');
    const bad = WorkSchedule.safeParse({ start: '16:00', end: '07:30', overrides: [{ from: '2026-03-01', to: '2026-03-10', start: '08:00', end: '15:00' }, { from: '2026-03-05', to: '2026-03-20', start: '08:00', end: '15:00' }] });
    expect(bad.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['end', '"end" must be later than "start" (same day)'],
      ['overrides.1.from', 'overlaps overrides[0] (2026-03-01..2026-03-10)'],
    ]);
    expect(HolidayFile.safeParse({ year: 2026, holidays: [{ date: '2025-12-25', name: 'x' }] }).error?.issues[0]?.message).toBe('not in year 2026');
  });

  it('the example holiday file has the 2026 national holidays and collective leave', () => {
    const { holidays } = loadHolidayFile(join(ROOT, 'firmware-config/examples/holidays-2026.yaml')).value;
    expect(holidays.filter((h) => h.kind === 'libur-nasional')).toHaveLength(17);
    expect(holidays.filter((h) => h.kind === 'cuti-bersama')).toHaveLength(8);
    expect(holidays.find((h) => h.date === '2026-08-17')?.name).toBe('Hari Kemerdekaan');
  });

  it('parses periods and says what is wrong', () => {
    expect(weekPeriod('2026-11-23')).toMatchObject({ from: '2026-11-23', to: '2026-11-29', label: '2026-W48' });
    expect(monthPeriod('2026-02')).toMatchObject({ from: '2026-02-01', to: '2026-02-28' });
    expect(dayPeriod('2026-11-26')).toMatchObject({ from: '2026-11-26', to: '2026-11-26' });
    expect(() => weekPeriod('2026-11-26')).toThrow('--week 2026-11-26: a week starts on a Monday; 2026-11-26 is a Thursday, its week starts on 2026-11-23');
    expect(() => monthPeriod('2026-13')).toThrow(PeriodError);
    expect(() => dayPeriod('2026-02-30')).toThrow('not a calendar date');
  });
});

describe('report files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pemda-reports-unit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const report = () =>
    run([p('1', '2026-11-23T07:50:00', '0'), p('1', '2026-11-23T15:30:00', '1'), p('9', '2026-11-24T07:00:00', '', WITA, { known: false })], {
      period: weekPeriod('2026-11-23'),
      now: new Date('2026-12-01T01:00:00Z'),
    });

  it('CSV starts with a header block: OPD, period, generated-at', () => {
    const lines = toCsv(report(), [['Jadwal', 'mon-fri']]).split('\r\n');
    expect(lines.slice(0, 8)).toEqual([
      '\uFEFFLaporan Kehadiran Pegawai',
      'OPD,Dinas Kesehatan (dinkes)',
      'Periode,2026-W48: Senin 23 November 2026 s.d. Minggu 29 November 2026',
      'Dibuat,2026-12-01 09:00:00 WITA (Asia/Makassar)',
      'Jadwal,mon-fri',
      '',
      'Ringkasan per pegawai',
      'No,ID terminal,NIP,Nama,Hari kerja,Hadir,Tidak hadir,Terlambat (hari),Terlambat (menit),Pulang cepat,Pulang cepat (menit),Tanpa absen pulang,Tanpa absen masuk,Hadir di hari libur,Jumlah absen,Keterangan',
    ]);
    expect(lines[8]).toBe('1,1,198001012005011001,Andi Wijaya,5,1,4,1,20,1,30,0,0,0,2,');
    expect(lines).toContain('Rincian harian');
    expect(lines).toContain('2026-11-23,Senin,1,198001012005011001,Andi Wijaya,07:30-16:00,07:50:00,15:30:00,Hadir,20,30,,,2,');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
  });

  it('XLSX reads back with the header rows and the Indonesian column titles', async () => {
    const file = join(dir, 'r.xlsx');
    await writeXlsx(report(), { file });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    expect(wb.worksheets.map((s) => s.name)).toEqual(['Ringkasan', 'Harian']);
    const sum = wb.getWorksheet('Ringkasan')!;
    const row = (n: number) => (sum.getRow(n).values as unknown[]).slice(1);
    expect(row(1)).toEqual(['Laporan Kehadiran Pegawai']);
    expect(row(2)).toEqual(['OPD', 'Dinas Kesehatan (dinkes)']);
    expect(row(3)[0]).toBe('Periode');
    expect(row(4)).toEqual(['Dibuat', '2026-12-01 09:00:00 WITA (Asia/Makassar)']);
    expect(row(6)).toEqual(expect.arrayContaining(['NIP', 'Nama', 'Hadir', 'Terlambat (menit)', 'Pulang cepat', 'Tidak hadir', 'Tanpa absen pulang']));
    expect(row(7).slice(0, 9)).toEqual([1, '1', '198001012005011001', 'Andi Wijaya', 5, 1, 4, 1, 20]);
    expect(row(10).slice(0, 2)).toEqual([4, '9']);
    expect(row(11)).toEqual([undefined, undefined, undefined, 'Jumlah OPD (3 pegawai)', 15, 1, 14, 1, 20, 1, 30, 0, 0, 0, 2, 'tanpa 1 ID di luar daftar pegawai (1 absen)']);
    const daily = wb.getWorksheet('Harian')!;
    expect((daily.getRow(2).values as unknown[])[2]).toBe('Dinas Kesehatan (dinkes)');
    expect(daily.rowCount).toBe(6 + 15 + 1); // 3 roster x 5 workdays, and the unknown id's punch day
  });
});

describe('report command: usage mistakes exit 2 before touching InfluxDB', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pemda-reports-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const seed = join(dir, 'registry.yaml');
  writeFileSync(seed, 'opds:\n  - { code: dinkes, name: Dinas Kesehatan, zone: Asia/Makassar }\n  - { code: bpkad, name: BPKAD, schedule: { start: "7:30" } }\n');
  const call = async (args: string[], file = seed) => {
    const err: string[] = [];
    const code = await reportMain(args, { influxUrl: 'http://127.0.0.1:9', database: 'pemda', registrySeedFile: file, stderr: (l) => err.push(l), stdout: () => {} });
    return { code, err: err.join('\n') };
  };

  it('reports bad periods, unknown OPDs and seed mistakes', async () => {
    expect(await call(['--opd', 'dinkes', '--week', '2026-11-26'])).toMatchObject({ code: 2, err: expect.stringContaining('a week starts on a Monday') });
    expect(await call(['--opd', 'dinkes', '--month', '2026-11', '--day', '2026-11-26'])).toMatchObject({ code: 2, err: expect.stringContaining('give only one period') });
    expect(await call(['--month', '2026-11'])).toMatchObject({ code: 2, err: expect.stringContaining('--opd CODE is required') });
    expect(await call(['--opd', 'dinkes', '--month', '2026-11', '--format', 'pdf'])).toMatchObject({ code: 2, err: expect.stringContaining('expected csv or xlsx') });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'opds:\n  - { code: dinkes, name: Dinas Kesehatan }\n');
    expect(await call(['--opd', 'disdik', '--month', '2026-11'], bad)).toMatchObject({ code: 2, err: expect.stringContaining('unknown OPD "disdik"') });
    expect(await call(['--opd', 'bpkad', '--month', '2026-11'])).toMatchObject({ code: 2, err: expect.stringMatching(/registry\.yaml:3:\d+ opds\[1\]\.schedule\.start: a time "HH:mm"/) });
  });
});
