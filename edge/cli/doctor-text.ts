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
  'panic.modem.what': { en: 'panic button {id} (modem-line {line})', id: 'tombol panik {id} (modem-line {line})' },
  'panic.modem.released': { en: '{port} open; {line} (pin {pin}) reads released (active: {active})', id: '{port} terbuka; {line} (pin {pin}) terbaca dilepas (active: {active})' },
  'panic.modem.pressed': { en: '{port} open; {line} (pin {pin}) reads PRESSED right now (active: {active})', id: '{port} terbuka; {line} (pin {pin}) terbaca DITEKAN saat ini (active: {active})' },
  'panic.modem.pressedHigh': {
    en: 'If nobody is pressing the button: the contact is stuck closed or wired to the wrong pin, or it is a normally-closed contact (alarm relay): then set active: low for input {id}. The gateway counts no press until the line is released and pressed again.',
    id: 'Jika tidak ada yang menekan tombol: kontak macet tertutup atau tersambung ke pin yang salah, atau kontaknya normally-closed (relay alarm): maka ubah active: low untuk input {id}. Gateway tidak menghitung tekanan sampai jalur dilepas lalu ditekan lagi.',
  },
  'panic.modem.pressedLow': {
    en: 'If nobody is pressing the button: with active: low the line counts as pressed while it is NOT asserted: a cut wire, a contact not fed from pin 4 (DTR) or 7 (RTS), or a normally-open button: then set active: high for input {id}. The gateway counts no press until the line is released and pressed again.',
    id: 'Jika tidak ada yang menekan tombol: dengan active: low jalur dianggap ditekan saat TIDAK aktif: kabel putus, kontak tidak diberi tegangan dari pin 4 (DTR) atau 7 (RTS), atau tombolnya normally-open: maka ubah active: high untuk input {id}. Gateway tidak menghitung tekanan sampai jalur dilepas lalu ditekan lagi.',
  },
  'panic.modem.noLines': {
    en: '{port} opens, but its modem lines cannot be read: it is not a serial adapter with CTS/DSR/DCD (a virtual or Bluetooth port?). Use a USB-serial adapter (FTDI, CP2102, PL2303, CH340) and set port to it.',
    id: '{port} bisa dibuka, tetapi jalur modemnya tidak bisa dibaca: ini bukan adaptor serial dengan CTS/DSR/DCD (port virtual atau Bluetooth?). Pakai adaptor USB-serial (FTDI, CP2102, PL2303, CH340) dan isi port dengan adaptor itu.',
  },
  'panic.port.missing': {
    en: '{port} does not exist. Check the adapter\'s USB cable (lsusb, dmesg | tail), the device name (ls -l /dev/serial/by-id; a udev name like /dev/pemda-panic needs its rule in /etc/udev/rules.d) and port in the config.',
    id: '{port} tidak ada. Periksa kabel USB adaptor (lsusb, dmesg | tail), nama perangkat (ls -l /dev/serial/by-id; nama udev seperti /dev/pemda-panic butuh aturannya di /etc/udev/rules.d) dan port di konfigurasi.',
  },
  'panic.port.denied': {
    en: 'No permission to open {port}: add the user to the dialout group (usermod -aG dialout pemda, then log in again) and check the udev rule gives GROUP="dialout", MODE="0660".',
    id: 'Tidak ada izin membuka {port}: tambahkan user ke grup dialout (usermod -aG dialout pemda, lalu login ulang) dan pastikan aturan udev memberi GROUP="dialout", MODE="0660".',
  },
  'panic.port.busyGateway': {
    en: 'The running gateway holds {port}, so it cannot be tested now: systemctl stop pemda-edge, run the doctor, then systemctl start pemda-edge (presses are not seen while it is stopped).',
    id: 'Gateway yang sedang berjalan memakai {port}, jadi tidak bisa diuji sekarang: systemctl stop pemda-edge, jalankan doctor, lalu systemctl start pemda-edge (tekanan tidak terlihat selama gateway berhenti).',
  },
  'panic.port.busyOther': {
    en: '{port} is in use by {holder}: close that program (minicom, screen, ModemManager: systemctl disable --now ModemManager) so the gateway can open it.',
    id: '{port} sedang dipakai oleh {holder}: tutup program itu (minicom, screen, ModemManager: systemctl disable --now ModemManager) agar gateway bisa membukanya.',
  },
  'panic.port.busyUnknown': {
    en: '{port} is in use by another program (see which: fuser -v {port}, as root). If it is pemda-edge: systemctl stop pemda-edge while testing; otherwise close the program (minicom, screen, ModemManager).',
    id: '{port} sedang dipakai program lain (lihat yang mana: fuser -v {port}, sebagai root). Jika itu pemda-edge: systemctl stop pemda-edge selama menguji; jika bukan, tutup program itu (minicom, screen, ModemManager).',
  },
  'panic.port.notSerial': {
    en: '{port} is not a serial port: set port to the adapter (ls -l /dev/serial/by-id).',
    id: '{port} bukan port serial: isi port dengan adaptornya (ls -l /dev/serial/by-id).',
  },
  'panic.port.other': {
    en: 'Cannot use {port}: unplug and replug the adapter, check its cable and port in the config, and run the doctor again.',
    id: 'Tidak bisa memakai {port}: cabut dan pasang lagi adaptornya, periksa kabel dan port di konfigurasi, lalu jalankan doctor lagi.',
  },
  'panic.timeout': { en: 'no answer within {s} s', id: 'tidak ada jawaban dalam {s} detik' },
  'panic.serial.what': { en: 'alarm panel {id} (serial-line)', id: 'panel alarm {id} (serial-line)' },
  'panic.serial.quiet': { en: '{port} open at {baud} baud; no line in {s} s (normal while the panel is quiet)', id: '{port} terbuka pada {baud} baud; tidak ada baris dalam {s} detik (wajar saat panel diam)' },
  'panic.serial.alarmLine': { en: '{port} open at {baud} baud; received "{line}" (an alarm by match)', id: '{port} terbuka pada {baud} baud; diterima "{line}" (alarm menurut match)' },
  'panic.serial.otherLine': { en: '{port} open at {baud} baud; received "{line}" (not an alarm by match)', id: '{port} terbuka pada {baud} baud; diterima "{line}" (bukan alarm menurut match)' },
  'panic.serial.garbled': { en: '{port} open at {baud} baud; {bytes} bytes received but no readable line', id: '{port} terbuka pada {baud} baud; {bytes} byte diterima tetapi tidak ada baris yang terbaca' },
  'panic.serial.baud': {
    en: 'Set baudRate ({baud} now) to the panel\'s serial speed (its manual or programming menu), 8 data bits, no parity; each line must end with a line feed (LF).',
    id: 'Samakan baudRate (sekarang {baud}) dengan kecepatan serial panel (lihat manual atau menu pemrogramannya), 8 data bit, tanpa paritas; setiap baris harus diakhiri line feed (LF).',
  },
  'panic.http.what': { en: 'phone-app endpoint {id} (http://{host}:{port}/panic)', id: 'endpoint aplikasi HP {id} (http://{host}:{port}/panic)' },
  'panic.http.free': { en: '{host}:{port} is free: the gateway can listen there ({tokens} token(s))', id: '{host}:{port} bebas: gateway bisa mendengarkan di sana ({tokens} token)' },
  'panic.http.gateway': { en: 'held by the running gateway: POST /panic answers on {host}:{port}', id: 'dipakai gateway yang sedang berjalan: POST /panic menjawab di {host}:{port}' },
  'panic.http.taken': { en: '{host}:{port} is taken by another program', id: '{host}:{port} sudah dipakai program lain' },
  'panic.http.takenAdvice': {
    en: 'See which program: ss -ltnp "sport = :{port}". Stop it, or set panic.http.port to a free port and give the phone apps the new address.',
    id: 'Lihat program yang mana: ss -ltnp "sport = :{port}". Hentikan program itu, atau isi panic.http.port dengan port yang bebas dan beri tahu alamat baru ke aplikasi HP.',
  },
  'panic.http.notHere': {
    en: '{host} is not an address of this gateway: set panic.http.host to one of its addresses (ip -br addr) or 0.0.0.0 for all.',
    id: '{host} bukan alamat gateway ini: isi panic.http.host dengan salah satu alamatnya (ip -br addr) atau 0.0.0.0 untuk semua.',
  },
  'panic.http.privileged': {
    en: 'Ports below 1024 need root and the gateway runs as user pemda: set panic.http.port to 1024 or above (default 8082).',
    id: 'Port di bawah 1024 butuh root dan gateway berjalan sebagai user pemda: isi panic.http.port dengan 1024 ke atas (bawaan 8082).',
  },
  'panic.http.rootOnly': { en: '{host}:{port} can be bound by root only', id: '{host}:{port} hanya bisa dipakai oleh root' },
  'panic.http.other': { en: 'Cannot listen on {host}:{port}: check panic.http.host and panic.http.port.', id: 'Tidak bisa mendengarkan di {host}:{port}: periksa panic.http.host dan panic.http.port.' },
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
