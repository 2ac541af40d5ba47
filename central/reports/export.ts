import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { DateTime } from 'luxon';
import { DAY_NAMES_ID, describePeriod } from './period.js';
import type { DayRecord, EmployeeReport, PresenceReport, Totals } from './presence.js';

/**
 * Report files for administrators: CSV and XLSX, titles in Bahasa Indonesia. Both
 * start with the same header block (title, OPD, period, generated-at, notes), then
 * the summary per employee (with the OPD total as last row) and the daily detail.
 */

export type Cell = string | number | null;

const ZONE_ABBR: Record<string, string> = { 'Asia/Jakarta': 'WIB', 'Asia/Pontianak': 'WIB', 'Asia/Makassar': 'WITA', 'Asia/Jayapura': 'WIT' };

const hhmm = (min: number | undefined): string => (min === undefined ? '' : `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`);

export const TITLE = 'Laporan Kehadiran Pegawai';

/** Header block rows: [label, value]. `notes` are extra [label, value] lines (schedule, holiday file). */
export function headerBlock(report: PresenceReport, notes: readonly [string, string][] = []): [string, string][] {
  const { opd, period } = report;
  const at = DateTime.fromJSDate(report.generatedAt, { zone: opd.zone });
  return [
    [TITLE, ''],
    ['OPD', `${opd.name} (${opd.code})`],
    ['Periode', describePeriod(period)],
    ['Dibuat', `${at.toFormat('yyyy-MM-dd HH:mm:ss')} ${ZONE_ABBR[opd.zone] ?? ''} (${opd.zone})`.replace('  ', ' ')],
    ...notes,
  ];
}

export const SUMMARY_COLUMNS = [
  'No', 'ID terminal', 'NIP', 'Nama', 'Hari kerja', 'Hadir', 'Tidak hadir', 'Terlambat (hari)', 'Terlambat (menit)',
  'Pulang cepat', 'Pulang cepat (menit)', 'Tanpa absen pulang', 'Tanpa absen masuk', 'Hadir di hari libur', 'Jumlah absen', 'Keterangan',
] as const;

export const DETAIL_COLUMNS = [
  'Tanggal', 'Hari', 'ID terminal', 'NIP', 'Nama', 'Jadwal', 'Masuk', 'Pulang', 'Status', 'Terlambat (menit)',
  'Pulang cepat (menit)', 'Tanpa absen pulang', 'Tanpa absen masuk', 'Jumlah absen', 'Keterangan',
] as const;

function totalsCells(t: Totals): Cell[] {
  return [t.workDays, t.present, t.absent, t.lateDays, t.lateMinutes, t.earlyLeaveDays, t.earlyLeaveMinutes, t.missingOut, t.missingIn, t.offDayPresence, t.punches];
}

export function summaryRows(report: PresenceReport): Cell[][] {
  const rows = report.employees.map((e, i): Cell[] => [i + 1, e.pin, e.nip, e.name, ...totalsCells(e.totals), e.note]);
  const f = report.flagged;
  const note = f.employees > 0 ? `tanpa ${f.employees} ID di luar daftar pegawai (${f.punches} absen)` : null;
  rows.push([null, null, null, `Jumlah OPD (${report.totals.employees} pegawai)`, ...totalsCells(report.totals), note]);
  return rows;
}

function dayStatus(d: DayRecord, e: EmployeeReport): string {
  const plan = d.plan;
  const off = plan.kind === 'holiday' ? `Libur: ${plan.holiday ?? ''}` : plan.kind === 'weekend' ? 'Akhir pekan' : null;
  if (d.future) return 'Belum berlalu';
  if (off !== null) return d.punches > 0 ? `${off} (hadir)` : off;
  if (d.present) return 'Hadir';
  if (d.absent) return 'Tidak hadir';
  return e.flag === null ? 'Belum absen' : '';
}

/** Workdays up to today, and every day with a punch; roster employees first, in roster order. */
export function detailRows(report: PresenceReport): Cell[][] {
  const rows: Cell[][] = [];
  for (const d0 of report.plans.keys()) {
    for (const e of report.employees) {
      const d = e.days[d0];
      if (!d || (d.punches === 0 && (e.flag !== null || d.future || d.plan.kind !== 'workday'))) continue;
      const plan = d.plan;
      rows.push([
        d.date,
        DAY_NAMES_ID[plan.weekday] ?? plan.weekday,
        e.pin,
        e.nip,
        e.name,
        plan.kind === 'workday' ? `${hhmm(plan.start)}-${hhmm(plan.end)}${plan.override ? ` (${plan.override})` : ''}` : '',
        d.in,
        d.out,
        dayStatus(d, e),
        d.lateMinutes,
        d.earlyLeaveMinutes,
        d.missingOut ? 'Ya' : '',
        d.missingIn ? 'Ya' : '',
        d.punches,
        e.note,
      ]);
    }
  }
  return rows;
}

/** One CSV field: quoted when needed; a text starting like a formula gets a leading apostrophe. */
export function csvField(v: Cell): string {
  if (v === null) return '';
  if (typeof v === 'number') return String(v);
  const s = /^[=+@\t\r]|^-[^0-9]/.test(v) ? `'${v}` : v;
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const csvLine = (cells: readonly Cell[]): string => `${cells.map(csvField).join(',')}\r\n`;

/** The whole report as CSV text (UTF-8 BOM, CRLF, comma): header block, summary, daily detail. */
export function toCsv(report: PresenceReport, notes: readonly [string, string][] = []): string {
  const parts: string[] = ['\uFEFF'];
  for (const [label, value] of headerBlock(report, notes)) parts.push(csvLine(value === '' ? [label] : [label, value]));
  parts.push('\r\n', csvLine(['Ringkasan per pegawai']), csvLine([...SUMMARY_COLUMNS]));
  for (const r of summaryRows(report)) parts.push(csvLine(r));
  parts.push('\r\n', csvLine(['Rincian harian']), csvLine([...DETAIL_COLUMNS]));
  for (const r of detailRows(report)) parts.push(csvLine(r));
  return parts.join('');
}

const SUMMARY_WIDTHS = [5, 12, 22, 30, 10, 8, 11, 15, 17, 12, 19, 18, 18, 18, 12, 40];
const DETAIL_WIDTHS = [12, 9, 12, 22, 30, 26, 10, 10, 22, 17, 19, 18, 18, 12, 40];

function addSheet(
  wb: ExcelJS.stream.xlsx.WorkbookWriter,
  name: string,
  header: readonly [string, string][],
  columns: readonly string[],
  widths: readonly number[],
  rows: readonly Cell[][],
): void {
  const titleRow = header.length + 2;
  const sheet = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: titleRow }] });
  sheet.columns = widths.map((width) => ({ width }));
  header.forEach(([label, value], i) => {
    const row = sheet.addRow(value === '' ? [label] : [label, value]);
    if (i === 0) row.font = { bold: true, size: 14 };
    else row.getCell(1).font = { bold: true };
    row.commit();
  });
  sheet.addRow([]).commit();
  const titles = sheet.addRow([...columns]);
  titles.font = { bold: true };
  titles.commit();
  sheet.autoFilter = { from: { row: titleRow, column: 1 }, to: { row: titleRow, column: columns.length } };
  for (const r of rows) sheet.addRow(r).commit();
  sheet.commit();
}

/**
 * Writes the XLSX workbook (sheets "Ringkasan" and "Harian") to a file or a stream,
 * streaming rows so a month of 5,000 employees stays within modest memory.
 */
export async function writeXlsx(report: PresenceReport, target: { file: string } | { stream: Writable }, notes: readonly [string, string][] = []): Promise<void> {
  const stream = 'file' in target ? createWriteStream(target.file) : target.stream;
  const done = new Promise<void>((resolve, reject) => {
    stream.once('finish', resolve);
    stream.once('error', reject);
  });
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream, useStyles: true, useSharedStrings: false });
  wb.creator = 'pemda-central';
  wb.created = report.generatedAt;
  const header = headerBlock(report, notes);
  addSheet(wb, 'Ringkasan', header, SUMMARY_COLUMNS, SUMMARY_WIDTHS, summaryRows(report));
  addSheet(wb, 'Harian', header, DETAIL_COLUMNS, DETAIL_WIDTHS, detailRows(report));
  await wb.commit();
  await done;
}
