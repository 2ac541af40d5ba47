import { latest, select, tagValues, type Condition, type FieldOf } from './influxql.js';
import { bargauge, dashboard, piechart, stat, table, text, timeseries, variable, type Dashboard, type StateColors } from './model.js';

/**
 * The Pemda dashboards: titles in Bahasa Indonesia for the command room, descriptions
 * in English for whoever maintains them. Every query is raw InfluxQL on the
 * `pemda-influxdb` data source; `$opd` and `$gateway` are multi-value variables.
 */

const byOpd = { tag: 'opd', matches: 'opd' } as const;
const byGateway = { tag: 'gateway', matches: 'gateway' } as const;

const ONLINE: StateColors = { online: 'green', offline: 'red', error: 'red', 'auth-failed': 'orange', stale: 'yellow' };
const BUDGET: StateColors = { ok: 'green', near: 'orange', over: 'red' };
/** Status records are written on change only: look far enough back to find the current state. */
const STATE_LOOKBACK = '90d';

export function overviewDashboard(): Dashboard {
  return dashboard({
    uid: 'pemda-overview',
    title: 'Ruang Komando: Ringkasan',
    description: 'Command room overview: punches per OPD, gateways, cameras and terminals that need attention.',
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    variables: [variable('opd', 'OPD', tagValues('gateway_status', 'opd'))],
    rows: [
      [
        bargauge({
          title: 'Absensi per OPD (1 jam terakhir)',
          description: 'Punches stored per OPD in the last hour (COUNT of employee), whatever the dashboard time range.',
          w: 8, h: 9, timeFrom: '1h', unit: 'short',
          targets: [{ query: select('punch', { columns: [['COUNT', 'employee', 'absensi']], where: [byOpd], groupBy: ['opd'] }), alias: '$tag_opd' }],
        }),
        timeseries({
          title: 'Absensi per OPD dari waktu ke waktu',
          description: 'Punches per OPD per interval, stacked. Backlog replays after an outage land at their punch time, not arrival time.',
          w: 16, h: 9, unit: 'short', bars: true, stack: true,
          targets: [{ query: select('punch', { columns: [['COUNT', 'employee', 'absensi']], where: [byOpd], groupBy: ['$interval', 'opd'], fill: '0' }), alias: '$tag_opd' }],
        }),
      ],
      [
        table({
          title: 'Status gateway (terakhir)',
          description: `Latest gateway_status per gateway (birth = online, Last Will or clean stop = offline), within the last ${STATE_LOOKBACK}.`,
          w: 8, h: 9, timeFrom: STATE_LOOKBACK,
          targets: [{ query: latest('gateway_status', { value: 'state', also: ['version', 'terminals'], by: ['opd', 'gateway'], where: [byOpd] }) }],
          rename: { Time: 'Sejak', opd: 'OPD', gateway: 'Gateway', state: 'Status', version: 'Versi', terminals: 'Terminal' },
          stateField: 'Status', states: ONLINE,
        }),
        table({
          title: 'Kamera bermasalah (offline / gagal autentikasi / beku)',
          description: 'Cameras whose latest camera_status is not online: offline, auth-failed (wrong credentials) or stale (picture frozen).',
          w: 8, h: 9, timeFrom: STATE_LOOKBACK,
          targets: [{ query: latest('camera_status', { value: 'state', also: ['reason'], by: ['opd', 'gateway', 'camera'], where: [byOpd], keep: { field: 'state', notEquals: 'online' } }) }],
          rename: { Time: 'Sejak', opd: 'OPD', gateway: 'Gateway', camera: 'Kamera', state: 'Status', reason: 'Alasan' },
          stateField: 'Status', states: ONLINE,
        }),
        table({
          title: 'Terminal dengan alarm selisih jam',
          description: 'Terminals whose latest terminal_clock reading has alarm=true (|skew| above the threshold). Fix: pemda-central command --name sync-clock.',
          w: 8, h: 9, timeFrom: STATE_LOOKBACK,
          targets: [{ query: latest('terminal_clock', { value: 'skew_ms', also: ['alarm', 'synced'], by: ['opd', 'gateway', 'terminal'], where: [byOpd], keep: { field: 'alarm', equals: true } }) }],
          rename: { Time: 'Diukur', opd: 'OPD', gateway: 'Gateway', terminal: 'Terminal', skew_ms: 'Selisih (ms)', alarm: 'Alarm', synced: 'Disinkron' },
        }),
      ],
      [
        table({
          title: 'Terminal tidak online',
          description: 'Terminals whose latest terminal_status is offline or error, with the reason the gateway gave.',
          w: 12, h: 8, timeFrom: STATE_LOOKBACK,
          targets: [{ query: latest('terminal_status', { value: 'state', also: ['reason'], by: ['opd', 'gateway', 'terminal'], where: [byOpd], keep: { field: 'state', notEquals: 'online' } }) }],
          rename: { Time: 'Sejak', opd: 'OPD', gateway: 'Gateway', terminal: 'Terminal', state: 'Status', reason: 'Alasan' },
          stateField: 'Status', states: ONLINE,
        }),
        table({
          title: 'Snapshot kamera terakhir',
          description: 'Latest thumbnail per camera: capture time, size and delay from capture to storage at the central (snapshot metadata, 30-day policy).',
          w: 12, h: 8, timeFrom: '1d',
          targets: [{ query: latest('snapshot', { value: 'delay_ms', also: ['bytes', 'source'], by: ['opd', 'gateway', 'camera'], where: [byOpd] }) }],
          rename: { Time: 'Diambil', opd: 'OPD', gateway: 'Gateway', camera: 'Kamera', delay_ms: 'Tunda (ms)', bytes: 'Byte', source: 'Sumber' },
        }),
      ],
    ],
  });
}

const LATE_NOTE = `**Keterlambatan tidak dihitung di sini.** InfluxDB hanya menyimpan absensi, bukan jadwal kerja, shift, hari libur atau cuti pegawai. Gunakan laporan kehadiran \`pemda-central report\`, yang menerapkan jadwal kerja OPD dan daftar hari libur.

*Late arrivals are not computable here: InfluxDB holds punches, not work schedules, shifts, holidays or leave. Use the presence reports (\`pemda-central report\`), which apply each OPD's schedule and the holiday file.*`;

export function attendanceDashboard(): Dashboard {
  const punches = (where: Condition<'punch'>[] = []): Condition<'punch'>[] => [byOpd, ...where];
  const unknown = { field: 'known', equals: false } as const;
  return dashboard({
    uid: 'pemda-attendance',
    title: 'Kehadiran',
    description: 'Attendance: punches by OPD and terminal (default range: today), unknown employees, historical vs live share. Late arrivals are NOT computable here: no work schedules in InfluxDB.',
    time: { from: 'now/d', to: 'now/d' },
    refresh: '1m',
    variables: [variable('opd', 'OPD', tagValues('punch', 'opd'))],
    rows: [
      [
        stat({
          title: 'Jumlah absensi', description: 'Punches in the time range (default: today).', w: 6, h: 4, unit: 'short',
          targets: [{ query: select('punch', { columns: [['COUNT', 'employee', 'absensi']], where: punches() }), alias: 'absensi' }],
        }),
        stat({
          title: 'Pegawai hadir (unik)', description: 'Distinct employee PINs that punched in the time range.', w: 6, h: 4, unit: 'short',
          targets: [{ query: select('punch', { columns: [['COUNT_DISTINCT', 'employee', 'pegawai']], where: punches() }), alias: 'pegawai' }],
        }),
        stat({
          title: 'Absensi pegawai tak dikenal', description: 'Punches whose PIN is not on the roster (known=false): kept, never dropped; enrol or fix the roster.',
          w: 6, h: 4, unit: 'short', warnAbove: 1,
          targets: [{ query: select('punch', { columns: [['COUNT', 'employee', 'absensi']], where: punches([unknown]) }), alias: 'tak dikenal' }],
        }),
        stat({
          title: 'PIN tak dikenal (unik)', description: 'Distinct PINs not on the roster (known=false).', w: 6, h: 4, unit: 'short', warnAbove: 1,
          targets: [{ query: select('punch', { columns: [['COUNT_DISTINCT', 'employee', 'pin']], where: punches([unknown]) }), alias: 'PIN' }],
        }),
      ],
      [
        table({
          title: 'Absensi per OPD dan terminal',
          description: 'Punches and distinct employees per OPD and terminal in the time range (default: today).',
          w: 12, h: 10,
          targets: [{ query: select('punch', { columns: [['COUNT', 'employee', 'absensi'], ['COUNT_DISTINCT', 'employee', 'pegawai']], where: punches(), groupBy: ['opd', 'terminal'] }) }],
          rename: { opd: 'OPD', terminal: 'Terminal', absensi: 'Absensi', pegawai: 'Pegawai (unik)' }, hide: ['Time'],
        }),
        piechart({
          title: 'Historis vs langsung',
          description: 'Share of punches sent live vs as backlog (historical=true: replayed after an outage or downloaded from a terminal log).',
          w: 6, h: 10,
          targets: [
            { query: select('punch', { columns: [['COUNT', 'employee', 'absensi']], where: punches([{ field: 'historical', equals: false }]) }), alias: 'langsung' },
            { query: select('punch', { columns: [['COUNT', 'employee', 'absensi']], where: punches([{ field: 'historical', equals: true }]) }), alias: 'historis' },
          ],
        }),
        text({ title: 'Catatan: keterlambatan', description: 'Why there is no late-arrival panel.', w: 6, h: 10, markdown: LATE_NOTE }),
      ],
      [
        timeseries({
          title: 'Absensi per jam per OPD',
          description: 'Punches per OPD per hour (at least), stacked bars.',
          w: 16, h: 9, unit: 'short', bars: true, stack: true, interval: '1h',
          targets: [{ query: select('punch', { columns: [['COUNT', 'employee', 'absensi']], where: punches(), groupBy: ['$interval', 'opd'], fill: '0' }), alias: '$tag_opd' }],
        }),
        table({
          title: 'Pegawai tak dikenal per terminal',
          description: 'Punches and distinct PINs not on the roster (known=false), per OPD and terminal.',
          w: 8, h: 9,
          targets: [{ query: select('punch', { columns: [['COUNT', 'employee', 'absensi'], ['COUNT_DISTINCT', 'employee', 'pin']], where: punches([unknown]), groupBy: ['opd', 'terminal'] }) }],
          rename: { opd: 'OPD', terminal: 'Terminal', absensi: 'Absensi', pin: 'PIN (unik)' }, hide: ['Time'],
        }),
      ],
    ],
  });
}

export function gatewayHealthDashboard(): Dashboard {
  const where = [byOpd, byGateway];
  const series = (fn: 'MAX' | 'MEAN' | 'MIN' | 'INCREASE', field: FieldOf<'gateway_health'>, alias = '$tag_gateway') => ({
    query: select('gateway_health', { columns: [[fn, field, field]], where, groupBy: ['$interval', 'gateway'], fill: 'null' }),
    alias,
  });
  return dashboard({
    uid: 'pemda-gateway-health',
    title: 'Kesehatan Gateway',
    description: 'Gateway health reports (gateway_health, 30-day ops retention policy): outbox, CPU, memory, disk, snapshot bandwidth, dropped reports. Filter with $opd and $gateway.',
    time: { from: 'now-24h', to: 'now' },
    refresh: '1m',
    variables: [
      variable('opd', 'OPD', tagValues('gateway_health', 'opd')),
      variable('gateway', 'Gateway', tagValues('gateway_health', 'gateway', byOpd)),
    ],
    rows: [
      [
        table({
          title: 'Kondisi terakhir per gateway',
          description: 'Latest health report per gateway: outbox depth and disk-budget state (ok / near: above 80 % / over: health and snapshots dropped, punches kept), load, uptime.',
          w: 24, h: 7,
          targets: [{ query: latest('gateway_health', { value: 'outbox_depth', also: ['outbox_budget', 'load1', 'uptime_s'], by: ['opd', 'gateway'], where }) }],
          rename: { Time: 'Laporan terakhir', opd: 'OPD', gateway: 'Gateway', outbox_depth: 'Antrean outbox', outbox_budget: 'Anggaran disk', load1: 'Load1', uptime_s: 'Uptime (s)' },
          stateField: 'Anggaran disk', states: BUDGET,
        }),
      ],
      [
        timeseries({ title: 'Antrean outbox (record)', description: 'Records waiting in the gateway outbox (not yet acked by the central).', w: 12, h: 8, unit: 'short', targets: [series('MAX', 'outbox_depth')] }),
        timeseries({
          title: 'Ukuran outbox vs anggaran', description: 'Disk space the outbox uses, and its budget (dashed).', w: 12, h: 8, unit: 'bytes', dashed: '.* anggaran$',
          targets: [series('MAX', 'outbox_bytes', '$tag_gateway terpakai'), series('MAX', 'outbox_budget_bytes', '$tag_gateway anggaran')],
        }),
      ],
      [
        timeseries({ title: 'Beban CPU (load1)', description: 'One-minute load average of the gateway host.', w: 8, h: 8, unit: 'short', targets: [series('MEAN', 'load1')] }),
        timeseries({ title: 'Memori proses (RSS)', description: 'Resident memory of the pemda-edge process.', w: 8, h: 8, unit: 'bytes', targets: [series('MAX', 'rss_bytes')] }),
        timeseries({ title: 'Disk kosong', description: 'Free space on the disk holding the outbox.', w: 8, h: 8, unit: 'bytes', targets: [series('MIN', 'disk_free_bytes')] }),
      ],
      [
        timeseries({
          title: 'Snapshot terkirim vs anggaran (kbps)', description: 'Camera thumbnail bandwidth sent, and the office budget snapshots.bandwidthKbps (dashed).',
          w: 12, h: 8, unit: 'Kbits', dashed: '.* anggaran$',
          targets: [series('MEAN', 'snapshots_sent_kbps', '$tag_gateway terkirim'), series('MAX', 'snapshots_budget_kbps', '$tag_gateway anggaran')],
        }),
        timeseries({
          title: 'Laporan kesehatan & snapshot dibuang', description: 'Health reports and thumbnails dropped per interval (increase of counters that restart at 0 with the gateway).',
          w: 12, h: 8, unit: 'short', bars: true,
          targets: [series('INCREASE', 'dropped_health', '$tag_gateway kesehatan'), series('INCREASE', 'snapshots_dropped', '$tag_gateway snapshot')],
        }),
      ],
    ],
  });
}

export function allDashboards(): Dashboard[] {
  return [overviewDashboard(), attendanceDashboard(), gatewayHealthDashboard()];
}
