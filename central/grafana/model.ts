/**
 * A small typed subset of the Grafana 10/11 dashboard JSON model (schemaVersion 39):
 * only what the Pemda dashboards use. Builders return plain JSON objects; `layout`
 * gives panels their ids and grid positions (24 columns, rows top to bottom).
 */
export const SCHEMA_VERSION = 39;

export const DATASOURCE = { type: 'influxdb', uid: 'pemda-influxdb' } as const;
export type DatasourceRef = typeof DATASOURCE;

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface GridPos { h: number; w: number; x: number; y: number }

export interface Target {
  refId: string;
  datasource: DatasourceRef;
  query: string;
  rawQuery: true;
  resultFormat: 'time_series' | 'table';
  alias?: string;
}

export type PanelType = 'timeseries' | 'bargauge' | 'table' | 'stat' | 'piechart' | 'text';

export interface Panel {
  id: number;
  type: PanelType;
  title: string;
  description: string;
  gridPos: GridPos;
  datasource?: DatasourceRef;
  targets?: Target[];
  /** Relative time override, e.g. "1h": the panel's $timeFilter covers the last hour. */
  timeFrom?: string;
  /** Minimum $__interval of the panel, e.g. "1h" for hourly bars. */
  interval?: string;
  fieldConfig: { defaults: JsonObject; overrides: JsonObject[] };
  options: JsonObject;
  transformations?: JsonObject[];
}

/** `id`: a fixed panel id (else the reading-order position); see `layout`. */
export type PanelSpec = Omit<Panel, 'id' | 'gridPos'> & { w: number; h: number; id?: number };

/** A row header: a full-width bar with a title; the panels under it belong to it. */
export interface RowPanel {
  id: number;
  type: 'row';
  title: string;
  collapsed: false;
  gridPos: GridPos;
  panels: [];
}

export type RowSpec = { row: string; id?: number };
/** One line of the grid: panels side by side, or a row header. */
export type Line = readonly PanelSpec[] | RowSpec;

export interface QueryVariable {
  name: string;
  label: string;
  type: 'query';
  datasource: DatasourceRef;
  query: string;
  definition: string;
  refresh: 1;
  includeAll: true;
  multi: true;
  current: { selected: boolean; text: string[]; value: string[] };
  options: [];
  regex: '';
  sort: 1;
  hide: 0;
  skipUrlSync: false;
}

export interface Dashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  timezone: 'browser';
  editable: boolean;
  graphTooltip: 1;
  fiscalYearStartMonth: 0;
  liveNow: false;
  refresh: string;
  schemaVersion: number;
  time: { from: string; to: string };
  timepicker: Record<string, never>;
  templating: { list: QueryVariable[] };
  annotations: { list: [] };
  links: JsonObject[];
  panels: (Panel | RowPanel)[];
}

export interface TargetSpec { query: string; alias?: string }

function targets(specs: readonly TargetSpec[], format: Target['resultFormat']): Target[] {
  return specs.map((s, i) => ({
    refId: String.fromCharCode(65 + i),
    datasource: DATASOURCE,
    query: s.query,
    rawQuery: true,
    resultFormat: format,
    ...(s.alias !== undefined && { alias: s.alias }),
  }));
}

interface Common {
  title: string;
  description: string;
  w: number;
  h: number;
  timeFrom?: string;
  interval?: string;
}

const thresholds = (steps: [number | null, string][]): Json => ({
  mode: 'absolute',
  steps: steps.map(([value, color]) => ({ color, value })),
});

function base(c: Common, type: PanelType): Omit<PanelSpec, 'fieldConfig' | 'options'> {
  return {
    type,
    title: c.title,
    description: c.description,
    w: c.w,
    h: c.h,
    ...(type !== 'text' && { datasource: DATASOURCE }),
    ...(c.timeFrom !== undefined && { timeFrom: c.timeFrom }),
    ...(c.interval !== undefined && { interval: c.interval }),
  };
}

/** `min`: the axis minimum, 0 unless given; null lets Grafana choose (values may be negative). */
export function timeseries(
  c: Common & { targets: readonly TargetSpec[]; unit: string; bars?: boolean; stack?: boolean; dashed?: string; min?: number | null },
): PanelSpec {
  const overrides: JsonObject[] = c.dashed === undefined ? [] : [
    { matcher: { id: 'byRegexp', options: c.dashed }, properties: [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }] },
  ];
  return {
    ...base(c, 'timeseries'),
    targets: targets(c.targets, 'time_series'),
    fieldConfig: {
      defaults: {
        unit: c.unit,
        ...(c.min !== null && { min: c.min ?? 0 }),
        color: { mode: 'palette-classic' },
        custom: {
          drawStyle: c.bars === true ? 'bars' : 'line',
          lineWidth: 1,
          fillOpacity: c.bars === true ? 80 : 10,
          showPoints: 'never',
          spanNulls: false,
          stacking: { mode: c.stack === true ? 'normal' : 'none', group: 'A' },
        },
      },
      overrides,
    },
    options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true, calcs: [] }, tooltip: { mode: 'multi', sort: 'desc' } },
  };
}

export function bargauge(c: Common & { targets: readonly TargetSpec[]; unit: string }): PanelSpec {
  return {
    ...base(c, 'bargauge'),
    targets: targets(c.targets, 'time_series'),
    fieldConfig: { defaults: { unit: c.unit, min: 0, color: { mode: 'continuous-GrYlRd' }, thresholds: thresholds([[null, 'green']]) }, overrides: [] },
    options: {
      orientation: 'horizontal',
      displayMode: 'gradient',
      valueMode: 'color',
      showUnfilled: true,
      namePlacement: 'auto',
      sizing: 'auto',
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
    },
  };
}

export function stat(c: Common & { targets: readonly TargetSpec[]; unit: string; warnAbove?: number }): PanelSpec {
  const steps: [number | null, string][] = c.warnAbove === undefined ? [[null, 'blue']] : [[null, 'green'], [c.warnAbove, 'orange']];
  return {
    ...base(c, 'stat'),
    targets: targets(c.targets, 'time_series'),
    fieldConfig: { defaults: { unit: c.unit, color: { mode: 'thresholds' }, thresholds: thresholds(steps) }, overrides: [] },
    options: {
      colorMode: 'value',
      graphMode: 'none',
      justifyMode: 'auto',
      orientation: 'auto',
      textMode: 'auto',
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
    },
  };
}

export function piechart(c: Common & { targets: readonly TargetSpec[] }): PanelSpec {
  return {
    ...base(c, 'piechart'),
    targets: targets(c.targets, 'time_series'),
    fieldConfig: { defaults: { unit: 'short', color: { mode: 'palette-classic' } }, overrides: [] },
    options: {
      pieType: 'donut',
      displayLabels: ['percent'],
      legend: { displayMode: 'table', placement: 'right', showLegend: true, values: ['value', 'percent'] },
      tooltip: { mode: 'single', sort: 'none' },
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
    },
  };
}

/** Value -> colour of a state column (green online, red offline...). */
export type StateColors = Record<string, 'green' | 'red' | 'orange' | 'yellow' | 'blue'>;

/**
 * A table of an InfluxDB "table" result: one frame per series (GROUP BY tags), merged
 * into one table; columns renamed for the wall and the state column coloured.
 */
export function table(
  c: Common & { targets: readonly TargetSpec[]; rename: Record<string, string>; hide?: string[]; stateField?: string; states?: StateColors },
): PanelSpec {
  const mapping: JsonObject = {};
  Object.entries(c.states ?? {}).forEach(([value, color], index) => (mapping[value] = { color, index }));
  const overrides: JsonObject[] = c.stateField === undefined ? [] : [
    {
      matcher: { id: 'byName', options: c.stateField },
      properties: [
        { id: 'custom.cellOptions', value: { type: 'color-background' } },
        { id: 'mappings', value: [{ type: 'value', options: mapping }] },
      ],
    },
  ];
  return {
    ...base(c, 'table'),
    targets: targets(c.targets, 'table'),
    fieldConfig: { defaults: { custom: { align: 'auto', cellOptions: { type: 'auto' }, inspect: false } }, overrides },
    options: { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], countRows: false, fields: '' } },
    transformations: [
      { id: 'merge', options: {} },
      { id: 'organize', options: { excludeByName: Object.fromEntries((c.hide ?? []).map((h) => [h, true])), indexByName: {}, renameByName: c.rename } },
    ],
  };
}

export function text(c: Common & { markdown: string }): PanelSpec {
  return { ...base(c, 'text'), fieldConfig: { defaults: {}, overrides: [] }, options: { mode: 'markdown', content: c.markdown } };
}

/**
 * Lines of panels, left to right, top to bottom. Ids are the reading-order position unless
 * a spec fixes its own (all or none of a dashboard's should). Throws if a line is wider
 * than 24 or two panels share an id.
 */
export function layout(lines: readonly Line[]): (Panel | RowPanel)[] {
  const panels: (Panel | RowPanel)[] = [];
  const ids = new Set<number>();
  const take = (id: number, title: string): number => {
    if (ids.has(id)) throw new Error(`panel "${title}": id ${id} is taken`);
    ids.add(id);
    return id;
  };
  let y = 0;
  for (const line of lines) {
    if ('row' in line) {
      panels.push({ id: take(line.id ?? panels.length + 1, line.row), type: 'row', title: line.row, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
      y += 1;
      continue;
    }
    let x = 0;
    for (const { w, h, id, ...spec } of line) {
      if (x + w > 24) throw new Error(`panel "${spec.title}" does not fit the 24-column grid (x ${x} + w ${w})`);
      panels.push({ id: take(id ?? panels.length + 1, spec.title), ...spec, gridPos: { h, w, x, y } });
      x += w;
    }
    y += Math.max(0, ...line.map((p) => p.h));
  }
  return panels;
}

/** A multi-value tag variable with "All"; Grafana expands it to a regex alternation. */
export function variable(name: string, label: string, query: string): QueryVariable {
  return {
    name, label, type: 'query', datasource: DATASOURCE, query, definition: query, refresh: 1, includeAll: true, multi: true,
    current: { selected: true, text: ['All'], value: ['$__all'] }, options: [], regex: '', sort: 1, hide: 0, skipUrlSync: false,
  };
}

export function dashboard(d: {
  uid: string;
  title: string;
  description: string;
  time: { from: string; to: string };
  refresh: string;
  variables: QueryVariable[];
  rows: readonly Line[];
  tags?: string[];
}): Dashboard {
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: ['pemda', ...(d.tags ?? [])],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    fiscalYearStartMonth: 0,
    liveNow: false,
    refresh: d.refresh,
    schemaVersion: SCHEMA_VERSION,
    time: d.time,
    timepicker: {},
    templating: { list: d.variables },
    annotations: { list: [] },
    // The other Pemda dashboards, with the current time range and variables.
    links: [{ type: 'dashboards', tags: ['pemda'], asDropdown: false, includeVars: true, keepTime: true, title: 'Pemda', icon: 'external link', targetBlank: false, tooltip: '', url: '' }],
    panels: layout(d.rows),
  };
}
