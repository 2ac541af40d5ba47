import { afterEach, describe, expect, it } from 'vitest';
import type { ApiAlert, ApiCamera, ApiOpdComplaintStats } from '../../central/web/src/api-types.js';
import { AlertBook, bannerSummary, compareAlerts } from '../../central/web/src/alerts-model.js';
import { actorText, complaintsPath, formatWait, noteText, parseComplaintDraft, parseRulesDraft, photoProblem, slowestFirst } from '../../central/web/src/complaints-model.js';
import { emptyDatasetDraft, emptyField, fieldSeries, formatFieldValue, parseDatasetDraft, pushExamples, sparkline } from '../../central/web/src/datasets-model.js';
import { setLanguage, t } from '../../central/web/src/i18n.js';
import { panicFrame, panicInput } from '../../central/web/src/panic-model.js';

/** The rules of the panic banner, the Pengaduan pages and the Data OPD tiles, without a browser. */

const PRESS = '2026-11-26T01:15:03.000Z';

function alert(id: number, over: Partial<ApiAlert> = {}): ApiAlert {
  return {
    id,
    kind: 'camera-offline',
    severity: 'warning',
    opd: 'dinkes',
    gateway: 'gw-dinkes',
    device: 'lobby',
    message: { id: `peringatan ${id}`, en: `alert ${id}` },
    raisedAt: new Date(Date.parse(PRESS) - id * 1000).toISOString(),
    acknowledgedAt: null,
    acknowledgedBy: null,
    clearedAt: null,
    ...over,
  };
}

function panic(id: number, over: Partial<ApiAlert> = {}): ApiAlert {
  return alert(id, {
    kind: 'panic',
    severity: 'critical',
    device: 'phone-app',
    raisedAt: PRESS,
    panic: {
      eventId: '6f1c0c53-4a8e-4e8e-9a57-0d7b2f6f2d11',
      seq: 12,
      input: 'phone-app',
      via: 'http',
      pressedAt: PRESS,
      source: 'Satpam Budi',
      note: null,
      location: null,
      cameras: [{ id: 'lobby', frameUrl: '/api/cameras/gw-dinkes/lobby/latest.jpg' }],
    },
    ...over,
  });
}

function camera(capturedAt: string): ApiCamera {
  return { opd: 'dinkes', gateway: 'gw-dinkes', camera: 'lobby', capturedAt, ageS: 1, kind: 'full', width: 1280, height: 720, bytes: 90_000, url: '/api/cameras/gw-dinkes/lobby/latest.jpg' };
}

afterEach(() => setLanguage('id'));

describe('panic alerts', () => {
  it('come first in the open list, before older critical alerts', () => {
    const list = [alert(1, { severity: 'critical', kind: 'gateway-offline' }), panic(2, { raisedAt: '2026-11-26T00:00:00.000Z' }), alert(3)].sort(compareAlerts);
    expect(list.map((a) => a.id)).toEqual([2, 1, 3]);
  });

  it('have their own banner: the ordinary one counts device alerts only, and an acknowledged panic leaves', () => {
    const book = new AlertBook();
    book.setOpen([alert(1), panic(2)], book.mark());
    expect(book.panics().map((a) => a.id)).toEqual([2]);
    expect(bannerSummary(book.unacknowledgedDeviceAlerts())?.count).toBe(1);
    // The central clears a panic with its acknowledgement.
    book.apply('alert-acknowledged', { ...panic(2), acknowledgedAt: PRESS, acknowledgedBy: 'ani', clearedAt: PRESS });
    expect(book.panics()).toEqual([]);
    expect(book.open().map((a) => a.id)).toEqual([1]);
  });

  it('show the nearest camera\'s newest frame, addressed by its capture time, and say whether it was taken after the press', () => {
    const before = panicFrame(panic(2), [camera('2026-11-26T01:15:01.000Z')]);
    expect(before).toMatchObject({ camera: 'lobby', afterPress: false, src: `/api/cameras/gw-dinkes/lobby/latest.jpg?v=${encodeURIComponent('2026-11-26T01:15:01.000Z')}` });
    const after = panicFrame(panic(2), [camera('2026-11-26T01:15:04.500Z')]);
    expect(after?.afterPress).toBe(true);
    expect(after?.src).not.toBe(before?.src);
    // Not listed yet: asked for anyway, keyed by the press.
    expect(panicFrame(panic(2), [])).toMatchObject({ capturedAt: null, afterPress: null, src: `/api/cameras/gw-dinkes/lobby/latest.jpg?v=${encodeURIComponent(PRESS)}` });
    expect(panicFrame(panic(2, { panic: { ...panic(2).panic!, cameras: [] } }), [])).toBeNull();
  });

  it('name the input by how it was pressed', () => {
    const p = panic(2).panic!;
    expect(t(panicInput(p).key, panicInput(p).params)).toBe('Aplikasi HP (phone-app)');
    expect(t(panicInput({ ...p, via: 'serial-line', input: 'alarm-panel' }).key, { input: 'alarm-panel' })).toBe('Panel alarm alarm-panel');
    expect(panicInput({ ...p, via: 'modem-line', input: 'front-desk' }).key).toBe('panic.via.button');
  });
});

describe('complaints', () => {
  it('checks the filing form as the central does', () => {
    expect(parseComplaintDraft({ category: ' Sampah ', text: ' Sampah menumpuk ', address: 'Pasar Terong', lat: '', lon: '' })).toEqual({
      ok: true,
      body: { category: 'sampah', text: 'Sampah menumpuk', address: 'Pasar Terong' },
    });
    expect(parseComplaintDraft({ category: 'banjir', text: 'Air naik', address: '', lat: '-5,131', lon: '119,422' })).toEqual({ ok: true, body: { category: 'banjir', text: 'Air naik', location: { lat: -5.131, lon: 119.422 } } });
    const bad = parseComplaintDraft({ category: 'jalan rusak', text: ' ', address: '', lat: '', lon: '' });
    expect(bad).toEqual({ ok: false, errors: ['cmp.errCategory', 'cmp.errText', 'cmp.errWhere'] });
    expect(parseComplaintDraft({ category: 'x', text: 'y', address: '', lat: '-95', lon: '' })).toEqual({ ok: false, errors: ['admin.errPair'] });
    expect(photoProblem({ size: 3 * 1024 * 1024, type: 'image/jpeg' })).toBe('cmp.errPhotoSize');
    expect(photoProblem({ size: 1000, type: 'image/gif' })).toBe('cmp.errPhotoType');
    expect(photoProblem({ size: 1000, type: 'image/png' })).toBeUndefined();
  });

  it('checks routing rules: "*" allowed, empty rows dropped, each mistake named by row', () => {
    const opds = new Set(['dlh', 'dpupr']);
    expect(parseRulesDraft([{ category: 'Sampah', opd: 'dlh' }, { category: '', opd: '' }, { category: '*', opd: 'dpupr' }], opds)).toEqual({
      ok: true,
      rules: [
        { category: 'sampah', opd: 'dlh' },
        { category: '*', opd: 'dpupr' },
      ],
    });
    const bad = parseRulesDraft([{ category: 'sampah', opd: 'dlh' }, { category: 'sampah', opd: 'dpupr' }, { category: 'jalan rusak', opd: 'nope' }], opds);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors.map((e) => [e.key, e.params.n])).toEqual([['cmp.errRuleTwice', 2], ['cmp.errRuleCategory', 3], ['cmp.errRuleOpd', 3]]);
  });

  it('judges offices slowest first: silent ones, then by median time to acknowledge; unrouted last', () => {
    const s = (opd: string | null, over: Partial<ApiOpdComplaintStats>): ApiOpdComplaintStats => ({
      opd,
      received: 3,
      open: 0,
      oldestOpenSince: null,
      acknowledge: { count: 3, medianS: 600, p90S: 900 },
      close: { count: 3, medianS: 3600, p90S: 7200 },
      ...over,
    });
    const order = slowestFirst([
      s('fast', { acknowledge: { count: 2, medianS: 60, p90S: 100 } }),
      s(null, { open: 4, acknowledge: { count: 0, medianS: null, p90S: null }, oldestOpenSince: '2026-11-01T00:00:00Z' }),
      s('silent-new', { open: 1, acknowledge: { count: 0, medianS: null, p90S: null }, oldestOpenSince: '2026-11-25T00:00:00Z' }),
      s('slow', { acknowledge: { count: 2, medianS: 7200, p90S: 9000 } }),
      s('silent-old', { open: 2, acknowledge: { count: 0, medianS: null, p90S: null }, oldestOpenSince: '2026-11-20T00:00:00Z' }),
    ]).map((x) => x.opd);
    expect(order).toEqual(['silent-old', 'silent-new', 'slow', 'fast', null]);
  });

  it('says who did a step and how long it took, days included', () => {
    expect(actorText('rule:sampah')).toBe('aturan rute (sampah)');
    expect(actorText('rule:*')).toBe('aturan rute (kategori lain)');
    expect(actorText('ani')).toBe('ani');
    expect(noteText('implicit: closed without a separate acknowledgement')).toBe('otomatis: ditutup tanpa pengakuan terpisah');
    expect(formatWait(1260)).toBe('21 mnt');
    expect(formatWait(3 * 86_400 + 5 * 3600 + 59)).toBe('3 hari 5 jam');
    expect(formatWait(null)).toBe('—');
    setLanguage('en');
    expect(formatWait(2 * 86_400)).toBe('2 d');
    expect(complaintsPath('open', 'dlh')).toBe('/api/complaints?state=open&limit=200&opd=dlh');
    expect(complaintsPath('all', undefined)).toBe('/api/complaints?state=all&limit=200');
  });
});

describe('datasets', () => {
  it('checks a registration as the central does, names each mistake by field row', () => {
    const draft = emptyDatasetDraft('dpupr');
    Object.assign(draft, { slug: 'tinggi-muka-air', name: ' Tinggi Muka Air ', staleMinutes: '15' });
    draft.fields = [
      { ...emptyField(), name: 'level', unit: 'cm', min: '0', max: '2000' },
      { ...emptyField(), name: 'pump_on', type: 'boolean', label: 'Pompa', optional: true },
      emptyField(), // left empty: dropped
    ];
    expect(parseDatasetDraft(draft, new Set(['dpupr']))).toEqual({
      ok: true,
      body: {
        slug: 'tinggi-muka-air',
        name: 'Tinggi Muka Air',
        opd: 'dpupr',
        staleAfterS: 900,
        fields: [
          { name: 'level', type: 'number', unit: 'cm', min: 0, max: 2000 },
          { name: 'pump_on', type: 'boolean', label: 'Pompa', optional: true },
        ],
      },
    });
    draft.slug = 'Tinggi Muka';
    draft.staleMinutes = '0,1';
    draft.fields = [
      { ...emptyField(), name: 'time' },
      { ...emptyField(), name: 'status', type: 'string', min: '1' },
      { ...emptyField(), name: 'level', min: '10', max: '5' },
      { ...emptyField(), name: 'level' },
    ];
    const bad = parseDatasetDraft(draft, new Set(['dpupr']));
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.errors.map((e) => [e.key, e.params.n ?? null])).toEqual([
        ['data.errSlug', null],
        ['data.errStale', null],
        ['data.errFieldReserved', 1],
        ['data.errBoundsType', 2],
        ['data.errBoundsOrder', 3],
        ['data.errFieldTwice', 4],
      ]);
    }
    expect(parseDatasetDraft(emptyDatasetDraft(), new Set()).ok).toBe(false);
  });

  it('shows values with their units in the page\'s language', () => {
    expect(formatFieldValue(120.5, 'number', 'cm')).toBe('120,5 cm');
    expect(formatFieldValue(12, 'integer', null)).toBe('12');
    expect(formatFieldValue(true, 'boolean', null)).toBe('Ya');
    expect(formatFieldValue(null, 'number', 'cm')).toBe('—');
    setLanguage('en');
    expect(formatFieldValue(1234.567, 'number', 'µg/m³')).toBe('1,234.57 µg/m³');
    expect(formatFieldValue(false, 'boolean', null)).toBe('No');
  });

  it('draws the sparkline by time, scaled to the series, flat for a constant one', () => {
    const at = (min: number) => Date.parse('2026-11-26T00:00:00Z') + min * 60_000;
    const line = sparkline(
      [
        { timeMs: at(0), value: 100 },
        { timeMs: at(10), value: 150 },
        { timeMs: at(40), value: 200 },
      ],
      120,
      30,
      2,
    );
    expect(line).toEqual({ points: '0,28 30,15 120,2', last: { x: 120, y: 2 }, min: 100, max: 200 });
    expect(sparkline([{ timeMs: at(0), value: 5 }], 120, 30)).toBeNull();
    expect(sparkline([{ timeMs: at(0), value: 5 }, { timeMs: at(1), value: 5 }], 120, 30)?.points).toBe('0,15 120,15');
    const series = fieldSeries({ series: [{ time: '2026-11-26T00:00:00.000Z', values: { level: 1, status: 'x' } }, { time: '2026-11-26T00:01:00.000Z', values: { level: null } }] }, 'level');
    expect(series).toEqual([{ timeMs: at(0), value: 1 }]);
  });

  it('shows the token with a push example the integrator can paste into a shell', () => {
    const ex = pushExamples('http://central:8080', 'tma', "tok'en", [{ name: 'level', type: 'number', min: 0, max: 2000 }, { name: 'ok', type: 'boolean' }], '2026-11-26T01:00:00.123Z');
    expect(ex.json).toBe(
      `curl -X POST 'http://central:8080/api/datasets/tma/rows' \\\n  -H 'Authorization: Bearer tok'\\''en' \\\n  -H 'Content-Type: application/json' \\\n  -d '[{"time":"2026-11-26T01:00:00Z","level":1000,"ok":true}]'`,
    );
    expect(ex.csv).toContain("-H 'Content-Type: text/csv'");
    expect(ex.csv).toContain('--data-binary @tma.csv');
  });
});
