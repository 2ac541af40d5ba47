/**
 * The doctor's words, in Bahasa Indonesia and English. Technicians read these on a
 * laptop in an office: say what is wrong and what to do, without jargon.
 */
export type Lang = 'id' | 'en';
export type Say = (key: keyof typeof TEXT, vars?: Record<string, string | number>) => string;

const TEXT = {
  'dataDir.what': { en: 'data folder {dir}', id: 'folder data {dir}' },
  'dataDir.free': { en: '{freeMB} MB free', id: 'sisa {freeMB} MB' },
  'dataDir.notWritable': { en: 'The gateway cannot write to {dir}. Create it and give the pemda user write access (chown pemda {dir}).', id: 'Gateway tidak bisa menulis ke {dir}. Buat folder itu dan beri akses tulis untuk user pemda (chown pemda {dir}).' },
  'dataDir.full': { en: 'The disk is almost full: free space or use a bigger card; punches are kept, but not for long.', id: 'Disk hampir penuh: kosongkan ruang atau pakai kartu yang lebih besar; absensi masih disimpan, tapi tidak lama lagi.' },
  'dataDir.low': { en: 'Less free space than twice the outbox budget ({needMB} MB): lower gateway.outboxBudgetMB or free space.', id: 'Ruang kosong kurang dari dua kali anggaran outbox ({needMB} MB): turunkan gateway.outboxBudgetMB atau kosongkan ruang.' },
  'broker.what': { en: 'central broker {url}', id: 'broker pusat {url}' },
  'broker.unreachable': { en: 'Cannot reach {url}. Check mqtt.url, the office network and that the central is running (ask the command center).', id: 'Tidak bisa menghubungi {url}. Periksa mqtt.url, jaringan kantor, dan apakah pusat menyala (tanyakan ke command center).' },
  'broker.auth': { en: 'The broker refused the gateway credentials: check mqtt.username and mqtt.password.', id: 'Broker menolak kredensial gateway: periksa mqtt.username dan mqtt.password.' },
  'broker.tls': { en: 'The broker\'s TLS certificate is not trusted: mqtt.ca must be the installation CA (enroll again with pemda-edge enroll, or ask the command center for the CA file and its SHA-256).', id: 'Sertifikat TLS broker tidak dipercaya: mqtt.ca harus berisi CA instalasi (ulangi pemda-edge enroll, atau minta file CA dan SHA-256-nya ke command center).' },
  'broker.centralOnline': { en: 'connected; the central says it is online', id: 'terhubung; pusat menyatakan online' },
  'broker.centralOffline': { en: 'connected, but the central is not online (state: {state})', id: 'terhubung, tetapi pusat tidak online (status: {state})' },
  'broker.centralAdvice': { en: 'Punches wait safely in the outbox until the central is back. Tell the command center.', id: 'Absensi tersimpan aman di outbox sampai pusat kembali. Beri tahu command center.' },
  'clock.what': { en: 'gateway clock', id: 'jam gateway' },
  'clock.synced': { en: 'synchronised with NTP', id: 'tersinkron dengan NTP' },
  'clock.notSynced': { en: 'not synchronised with NTP', id: 'belum tersinkron dengan NTP' },
  'clock.unknown': { en: 'cannot tell (no timedatectl)', id: 'tidak dapat diketahui (timedatectl tidak ada)' },
  'clock.advice': { en: 'Turn on NTP (timedatectl set-ntp true): terminal clock skew is measured against this clock.', id: 'Nyalakan NTP (timedatectl set-ntp true): selisih jam terminal diukur terhadap jam ini.' },
  'terminal.what': { en: 'terminal {id} ({driver})', id: 'terminal {id} ({driver})' },
  'zk.detail': { en: '{records} of {capacity} records stored, clock off by {skewS} s', id: '{records} dari {capacity} catatan tersimpan, jam selisih {skewS} detik' },
  'zk.unreachable': { en: 'No answer from {where}. Check the terminal IP (Menu > Comm. > Ethernet), the cable, and host/port in the config.', id: 'Tidak ada jawaban dari {where}. Periksa IP terminal (Menu > Comm. > Ethernet), kabel, dan host/port di konfigurasi.' },
  'zk.auth': { en: 'The terminal refused the comm key: set commKey to the value in Menu > Comm. > Connection > Comm Key.', id: 'Terminal menolak comm key: isi commKey sesuai Menu > Comm. > Connection > Comm Key.' },
  'zk.skew': { en: 'The terminal clock is off: run "pemda-central command --name sync-clock --terminal {id}" from the central, or set syncClock: true.', id: 'Jam terminal tidak tepat: jalankan "pemda-central command --name sync-clock --terminal {id}" dari pusat, atau set syncClock: true.' },
  'zk.full': { en: 'The terminal log is over 90 % full: enable clearAfterPull so it is cleared once the central has every punch.', id: 'Log terminal sudah lebih dari 90 %: aktifkan clearAfterPull agar dibersihkan setelah pusat menerima semua absensi.' },
  'r30x.detail': { en: '{count} fingerprints enrolled (library {library}), {mapped} mapped to employees', id: '{count} sidik jari terdaftar (kapasitas {library}), {mapped} terpetakan ke pegawai' },
  'r30x.password': { en: 'The module refused the password: set password in the terminal config.', id: 'Modul menolak kata sandi: isi password di konfigurasi terminal.' },
  'r30x.unmapped': { en: 'Some enrolled fingerprints are not mapped in employees: their punches arrive as page-N.', id: 'Sebagian sidik jari belum dipetakan di employees: absensinya tercatat sebagai page-N.' },
  'serial.open': { en: '{port} opens', id: '{port} bisa dibuka' },
  'serial.advice': { en: 'Check the USB-serial adapter and cable, the port name (ls /dev/serial/by-id), and that pemda-edge is not holding the port (systemctl stop pemda-edge while testing).', id: 'Periksa adaptor USB-serial dan kabel, nama port (ls /dev/serial/by-id), dan bahwa pemda-edge tidak sedang memakai port (systemctl stop pemda-edge saat menguji).' },
  'adms.detail': { en: 'push terminal {sn}: cannot be checked from here', id: 'terminal push {sn}: tidak bisa diperiksa dari sini' },
  'adms.advice': { en: 'On the terminal set Cloud Server to this gateway address and adms.port, then watch for "ADMS terminal in contact" in the gateway log.', id: 'Di terminal, isi Cloud Server dengan alamat gateway ini dan adms.port, lalu lihat log gateway: "ADMS terminal in contact".' },
  'camera.what': { en: 'camera {id}', id: 'kamera {id}' },
  'camera.detail': { en: '{width}x{height} frame, {kb} KB via {source} in {ms} ms', id: 'gambar {width}x{height}, {kb} KB lewat {source} dalam {ms} ms' },
  'camera.auth': { en: 'The camera refused the user name or password: check username and password (the camera web page, Users).', id: 'Kamera menolak nama pengguna atau kata sandi: periksa username dan password (halaman web kamera, Users).' },
  'camera.unreachable': { en: 'No picture from the camera: check its IP address, cable and power, and onvif host/port, snapshotUrl or rtspUrl in the config.', id: 'Tidak ada gambar dari kamera: periksa alamat IP, kabel dan daya, serta onvif host/port, snapshotUrl atau rtspUrl di konfigurasi.' },
  'camera.rtspOnly': { en: 'The snapshot URI failed; pictures come from the video stream (slower, more CPU). Check the camera snapshot setting.', id: 'URI snapshot gagal; gambar diambil dari video (lebih lambat, lebih berat). Periksa pengaturan snapshot kamera.' },
  'summary.ok': { en: 'All checks passed.', id: 'Semua pemeriksaan lulus.' },
  'summary.fail': { en: '{fails} check(s) failed, {warns} warning(s).', id: '{fails} pemeriksaan gagal, {warns} peringatan.' },
  'summary.warn': { en: 'No failures, {warns} warning(s).', id: 'Tidak ada kegagalan, {warns} peringatan.' },
} as const satisfies Record<string, Record<Lang, string>>;

export function sayer(lang: Lang): Say {
  return (key, vars = {}) => TEXT[key][lang].replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? `{${name}}`));
}

/** Indonesian when the system locale says so (LANG=id_ID...), English otherwise. */
export function defaultLang(env: NodeJS.ProcessEnv = process.env): Lang {
  return (env.LC_ALL ?? env.LANG ?? '').toLowerCase().startsWith('id') ? 'id' : 'en';
}
