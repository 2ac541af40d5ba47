/**
 * Every text the command room shows. Bahasa Indonesia is the only language for now;
 * to add English, add an `en` dictionary with the same keys (the type makes a missing
 * key a compile error) and choose it in `setLanguage`.
 * Placeholders are `{name}`; `t('age.minutes', { n: 3 })`.
 */
const id = {
  'app.title': 'Ruang Komando',
  'nav.wall': 'Dinding Video',
  'nav.attendance': 'Absensi Hari Ini',
  'nav.health': 'Kesehatan Kantor',

  'conn.live': 'LANGSUNG',
  'conn.connecting': 'MENYAMBUNG…',
  'conn.down': 'TERPUTUS',
  'conn.downHint': 'aliran langsung putus; diambil ulang tiap 15 dtk',
  'conn.fetchFailed': 'server pusat tidak terjangkau',
  'conn.updated': 'Terakhir diperbarui {time} ({age})',
  'conn.never': 'Belum ada data',
  'conn.staleBanner': 'DATA LAMA: terakhir diperbarui {age}. Periksa jaringan ke server pusat.',

  'filter.opd': 'OPD',
  'filter.all': 'Semua OPD',
  'filter.showAll': 'Tampilkan semua OPD',

  'age.seconds': '{n} dtk lalu',
  'age.minutes': '{n} mnt lalu',
  'age.hours': '{n} jam lalu',
  'age.days': '{n} hari lalu',
  'age.never': 'belum pernah',

  'wall.page': 'Halaman {page} dari {pages}',
  'wall.cycle': 'berganti tiap {s} dtk',
  'wall.paused': 'DIJEDA',
  'wall.pause': 'Jeda',
  'wall.resume': 'Lanjutkan',
  'wall.prev': '◀ Sebelumnya',
  'wall.next': 'Berikutnya ▶',
  'wall.empty': 'Belum ada kamera yang melapor.',
  'wall.captured': 'Diambil {time}',
  'wall.noFrame': 'Belum ada gambar',
  'wall.imageError': 'Gambar tidak dapat dimuat',
  'wall.counts': '{cameras} kamera · {problems} bermasalah',
  'wall.close': 'Tutup (Esc)',
  'wall.largeNote': 'Gambar terbaru (thumbnail 480×270). Ambil bingkai penuh belum tersedia di sini.',

  'badge.ok': 'NORMAL',
  'badge.offline': 'OFFLINE',
  'badge.authFailed': 'AUTENTIKASI GAGAL',
  'badge.stale': 'BASI',
  'badge.frozen': 'GAMBAR BEKU',
  'badge.gatewayOffline': 'GATEWAY OFFLINE',
  'badge.noFrame': 'TANPA GAMBAR',
  'badge.historical': 'HISTORIS',
  'badge.online': 'ONLINE',
  'badge.unknown': 'TIDAK DIKETAHUI',
  'badge.neverSeen': 'BELUM TERHUBUNG',
  'badge.error': 'GALAT',
  'badge.clockAlarm': 'JAM MELESET',
  'badge.problem': 'BERMASALAH',
  'badge.warning': 'PERHATIAN',

  'att.summary': '{punches} absen hari ini dari {offices} OPD · {roster} pegawai terdaftar',
  'att.opd': 'OPD',
  'att.zone': 'Zona',
  'att.roster': 'Pegawai terdaftar',
  'att.punches': 'Absen hari ini',
  'att.latest': 'Absen terbaru',
  'att.latestOf': 'Absen terbaru: {opd}',
  'att.time': 'Waktu (jam terminal)',
  'att.employee': 'Pegawai (PIN)',
  'att.terminal': 'Terminal',
  'att.note': 'Keterangan',
  'att.none': 'Belum ada absen.',
  'att.drill': 'Klik baris OPD untuk melihat absennya saja.',
  'att.noOpds': 'Belum ada OPD di registri.',

  'health.summary': '{total} gateway · {online} online · {offline} offline · {problems} bermasalah',
  'health.lastSeen': 'Terakhir terlihat',
  'health.outbox': 'Antrean kirim',
  'health.outboxValue': '{depth} rekaman',
  'health.outboxOldest': 'tertua {age}',
  'health.disk': 'Disk bebas',
  'health.diskValue': '{free} dari {total} ({pct} %)',
  'health.version': 'Versi',
  'health.terminals': 'Terminal',
  'health.cameras': 'Kamera',
  'health.none': 'tidak ada',
  'health.skew': 'selisih jam {skew}',
  'health.noHealth': 'belum ada laporan kesehatan',
  'health.empty': 'Belum ada gateway.',
  'health.stateSince': 'Status sejak',
  'health.lastKnown': 'Gateway tidak terhubung: status perangkat di bawah adalah yang terakhir diketahui.',

  'problem.gatewayOffline': 'Gateway offline',
  'problem.gatewayUnknown': 'Gateway belum pernah terhubung',
  'problem.healthLate': 'Laporan kesehatan terlambat ({age})',
  'problem.outboxOver': 'Antrean melebihi batas disk: data kesehatan & gambar dibuang',
  'problem.outboxNear': 'Antrean hampir penuh (>80 %)',
  'problem.outboxBacklog': 'Antrean tertahan: rekaman tertua {age}',
  'problem.diskLow': 'Disk hampir penuh ({pct} % bebas)',
  'problem.terminalDown': 'Terminal {id}: {state}',
  'problem.clockAlarm': 'Terminal {id}: jam meleset {skew}',
  'problem.cameraOffline': 'Kamera {id}: offline',
  'problem.cameraAuth': 'Kamera {id}: autentikasi gagal',
  'problem.cameraStale': 'Kamera {id}: gambar beku',
} as const;

export type MessageKey = keyof typeof id;
export type Dictionary = Record<MessageKey, string>;
export type Language = 'id';

const dictionaries: Record<Language, Dictionary> = { id };
/** BCP 47 locale for dates and numbers per language. */
const locales: Record<Language, string> = { id: 'id-ID' };

let current: Language = 'id';

export function setLanguage(lang: Language): void {
  current = lang;
}

export function locale(): string {
  return locales[current];
}

export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  return dictionaries[current][key].replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    return value === undefined ? whole : typeof value === 'number' ? formatNumber(value) : value;
  });
}

export function formatNumber(n: number, fractionDigits = 0): string {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: fractionDigits }).format(n);
}
