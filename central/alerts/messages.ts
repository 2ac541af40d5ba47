import { DateTime } from 'luxon';
import type { AlertMessage } from './alert.js';

/**
 * Alert texts, Bahasa Indonesia first: operators read the wall in Indonesian, an
 * integrator's webhook often wants English. Every text names the office and the
 * device so an alert read out over the phone is enough to act on.
 */

/** Indonesian zone abbreviations; operators think in WIB/WITA/WIT, not IANA names. */
const ZONE_NAMES: Record<string, string> = {
  'Asia/Jakarta': 'WIB',
  'Asia/Pontianak': 'WIB',
  'Asia/Makassar': 'WITA',
  'Asia/Jayapura': 'WIT',
};

export function zoneName(zone: string): string {
  return ZONE_NAMES[zone] ?? zone;
}

function localTime(ms: number, zone: string): string {
  return `${DateTime.fromMillis(ms, { zone }).toFormat('dd-MM HH:mm')} ${zoneName(zone)}`;
}

export function duration(ms: number): AlertMessage {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return { id: `${s} detik`, en: `${s} s` };
  const min = Math.round(s / 60);
  if (min < 120) return { id: `${min} menit`, en: `${min} min` };
  const h = Math.round(min / 6) / 10;
  return { id: `${String(h).replace('.', ',')} jam`, en: `${h} h` };
}

const percent = (p: number): string => (p < 10 ? p.toFixed(1) : p.toFixed(0));

export const gatewayReportedOffline = (gw: string, opd: string, sinceMs: number, zone: string): AlertMessage => ({
  id: `Gateway ${gw} (${opd}) offline sejak ${localTime(sinceMs, zone)}`,
  en: `Gateway ${gw} (${opd}) offline since ${localTime(sinceMs, zone)}`,
});

export const gatewaySilent = (gw: string, opd: string, silentMs: number): AlertMessage => {
  const d = duration(silentMs);
  return { id: `Gateway ${gw} (${opd}) tidak mengirim data selama ${d.id}`, en: `Gateway ${gw} (${opd}) has sent nothing for ${d.en}` };
};

export const gatewayNeverHeard = (gw: string, opd: string, sinceStartMs: number): AlertMessage => {
  const d = duration(sinceStartMs);
  return {
    id: `Gateway ${gw} (${opd}) belum mengirim data sejak server pusat menyala ${d.id} lalu`,
    en: `Gateway ${gw} (${opd}) has sent nothing since the central started ${d.en} ago`,
  };
};

export const healthStale = (gw: string, opd: string, ageMs: number, never: boolean): AlertMessage => {
  const d = duration(ageMs);
  return never
    ? { id: `Gateway ${gw} (${opd}) online tetapi belum mengirim laporan kesehatan selama ${d.id}`, en: `Gateway ${gw} (${opd}) is online but sent no health report in ${d.en}` }
    : { id: `Data kesehatan gateway ${gw} (${opd}) basi: laporan terakhir ${d.id} lalu`, en: `Health data of gateway ${gw} (${opd}) is stale: last report ${d.en} ago` };
};

const CAMERA_STATE: Record<string, AlertMessage> = {
  offline: { id: 'offline', en: 'offline' },
  'auth-failed': { id: 'gagal login (periksa kata sandi dan jam kamera)', en: 'login failed (check the password and the camera clock)' },
  stale: { id: 'gambar tidak diperbarui', en: 'not updating its picture' },
};

export const cameraState = (camera: string, gw: string, opd: string, state: string, reason: string | undefined): AlertMessage => {
  const s = CAMERA_STATE[state] ?? { id: state, en: state };
  const why = reason ? `: ${reason}` : '';
  return { id: `Kamera ${camera} (gateway ${gw}, ${opd}) ${s.id}${why}`, en: `Camera ${camera} (gateway ${gw}, ${opd}) ${s.en}${why}` };
};

export const cameraFrameOld = (camera: string, gw: string, opd: string, ageMs: number): AlertMessage => {
  const d = duration(ageMs);
  return { id: `Kamera ${camera} (gateway ${gw}, ${opd}): gambar terakhir ${d.id} lalu`, en: `Camera ${camera} (gateway ${gw}, ${opd}): newest picture is ${d.en} old` };
};

export const terminalDown = (terminal: string, gw: string, opd: string, state: string, reason: string | undefined): AlertMessage => {
  const why = reason ? `: ${reason}` : '';
  return state === 'error'
    ? { id: `Mesin absensi ${terminal} (gateway ${gw}, ${opd}) bermasalah${why}`, en: `Attendance terminal ${terminal} (gateway ${gw}, ${opd}) has an error${why}` }
    : { id: `Mesin absensi ${terminal} (gateway ${gw}, ${opd}) offline${why}`, en: `Attendance terminal ${terminal} (gateway ${gw}, ${opd}) is offline${why}` };
};

export const clockSkew = (terminal: string, gw: string, opd: string, skewMs: number | undefined): AlertMessage => {
  if (skewMs === undefined) return { id: `Jam mesin absensi ${terminal} (gateway ${gw}, ${opd}) tidak tepat`, en: `Clock of attendance terminal ${terminal} (gateway ${gw}, ${opd}) is wrong` };
  const d = duration(Math.abs(skewMs));
  const ahead = skewMs > 0;
  return {
    id: `Jam mesin absensi ${terminal} (gateway ${gw}, ${opd}) ${ahead ? 'lebih cepat' : 'lebih lambat'} ${d.id}`,
    en: `Clock of attendance terminal ${terminal} (gateway ${gw}, ${opd}) is ${d.en} ${ahead ? 'fast' : 'slow'}`,
  };
};

export const diskFull = (gw: string, opd: string, freePercent: number | null, budget: 'ok' | 'near' | 'over'): AlertMessage => {
  const id: string[] = [];
  const en: string[] = [];
  if (freePercent !== null) {
    id.push(`sisa disk ${percent(freePercent)}%`);
    en.push(`${percent(freePercent)} % disk free`);
  }
  if (budget === 'near') {
    id.push('antrean data di atas 80% dari batasnya');
    en.push('outbox above 80 % of its budget');
  }
  if (budget === 'over') {
    id.push('antrean data melebihi batas: laporan kesehatan dan gambar dibuang, data absensi tetap disimpan');
    en.push('outbox over its budget: health reports and pictures are dropped, punches are kept');
  }
  return { id: `Disk gateway ${gw} (${opd}) hampir penuh: ${id.join('; ')}`, en: `Disk of gateway ${gw} (${opd}) nearly full: ${en.join('; ')}` };
};

export const noPunches = (opd: string, byTime: string, zone: string, usualDays: number, lookback: number): AlertMessage => ({
  id: `Belum ada absensi hari ini di ${opd} sampai pukul ${byTime} ${zoneName(zone)} (biasanya ada: ${usualDays} dari ${lookback} hari kerja terakhir)`,
  en: `No punches today at ${opd} by ${byTime} ${zoneName(zone)} (usually there are: ${usualDays} of the last ${lookback} working days)`,
});

/** A press time as an operator says it: date, seconds and the zone's abbreviation. */
function pressTime(ms: number, zone: string): string {
  return `${DateTime.fromMillis(ms, { zone }).toFormat('dd-MM-yyyy HH:mm:ss')} ${zoneName(zone)}`;
}

export interface PanicText {
  via: 'modem-line' | 'serial-line' | 'http';
  input: string;
  gateway: string;
  office: string;
  zone: string;
  pressedAtMs: number;
  source?: string | undefined;
  note?: string | undefined;
  cameras: readonly string[];
}

/**
 * The panic alert, read out over the phone to the police desk: what happened, where
 * (office first), when in the office's own zone, who pressed, and which camera to look at.
 */
export const panic = (p: PanicText): AlertMessage => {
  const at = pressTime(p.pressedAtMs, p.zone);
  const what: AlertMessage =
    p.via === 'http'
      ? { id: `panggilan darurat dari aplikasi${p.source ? ` (${p.source})` : ''}`, en: `emergency call from the phone app${p.source ? ` (${p.source})` : ''}` }
      : p.via === 'serial-line'
        ? { id: `alarm ${p.input} berbunyi`, en: `alarm ${p.input} went off` }
        : { id: `tombol panik ${p.input} ditekan`, en: `panic button ${p.input} pressed` };
  const panel = p.via === 'serial-line' && p.source ? { id: ` [${p.source}]`, en: ` [${p.source}]` } : { id: '', en: '' };
  const note = p.note ? { id: `; catatan: ${p.note}`, en: `; note: ${p.note}` } : { id: '', en: '' };
  const cams = p.cameras.length > 0 ? { id: `; kamera terdekat: ${p.cameras.join(', ')}`, en: `; nearest camera: ${p.cameras.join(', ')}` } : { id: '', en: '' };
  return {
    id: `DARURAT di ${p.office}: ${what.id} pukul ${at} (gateway ${p.gateway})${panel.id}${note.id}${cams.id}`,
    en: `EMERGENCY at ${p.office}: ${what.en} at ${at} (gateway ${p.gateway})${panel.en}${note.en}${cams.en}`,
  };
};
